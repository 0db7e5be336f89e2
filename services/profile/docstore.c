/*
 * Document kinds, content typing and the local document store.
 *
 * An upload is typed by libmagic from its bytes, never from its name or
 * the client's Content-Type, so an executable called "photo.png" is
 * refused as what it is. The size is checked before typing: libmagic
 * never sees more than a kind allows.
 *
 * The local store works relative to a directory descriptor of the root
 * (openat and friends): paths are never concatenated from keys, and the
 * two levels below the root are opened with O_NOFOLLOW so a symlink
 * planted there cannot send a read or a write elsewhere. The root itself
 * may be a symlink: the operator chooses it.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <magic.h>
#include <pthread.h>

#include "docstore.h"

#define MIB			(1024UL * 1024)

/* "<key>.tmp" and its NUL. */
#define TMP_SUFFIX		".tmp"
#define TMP_NAME_MAX		(PF_KEY_MAX + sizeof(TMP_SUFFIX))

struct local_store {
	int	rootfd;
};

static int	key_valid(const char *);
static void	key_prefix(const char *, char [3]);
static int	write_all(int, const void *, size_t);
static int	read_all(int, void *, size_t);
static int	open_prefix(struct local_store *, const char *, int);
static int	rename_noreplace(int, const char *, const char *);
static int	local_put(struct pf_store *, const char *, const void *,
		    size_t);
static int	local_get(struct pf_store *, const char *, void **, size_t *);
static int	local_del(struct pf_store *, const char *);
static void	local_close(struct pf_store *);

static const char *const	types_image[] = {
	"image/jpeg", "image/png", NULL
};
static const char *const	types_image_pdf[] = {
	"image/jpeg", "image/png", "application/pdf", NULL
};

const struct pf_doc_kind	pf_doc_kinds[] = {
	{ "photo",		2 * MIB, types_image },
	{ "passport-page",	5 * MIB, types_image_pdf },
	{ "permit-page",	5 * MIB, types_image_pdf },
	{ "entry-stamp",	5 * MIB, types_image_pdf },
	{ "debit-card",		5 * MIB, types_image_pdf },
	{ "rental-contract",	5 * MIB, types_image_pdf },
	{ "hsk-certificate",	5 * MIB, types_image_pdf },
	{ NULL,			0, NULL },
};

/* One per process: see pf_magic_open in docstore.h. */
static magic_t	magic_cookie;

const struct pf_doc_kind *
pf_doc_kind(const char *name)
{
	const struct pf_doc_kind	*k;

	if (name == NULL)
		return (NULL);
	for (k = pf_doc_kinds; k->name != NULL; k++) {
		if (strcmp(k->name, name) == 0)
			return (k);
	}
	return (NULL);
}

int
pf_magic_open(void)
{
	magic_t	m;

	if (magic_cookie != NULL)
		return (0);
	if ((m = magic_open(MAGIC_MIME_TYPE)) == NULL)
		return (-1);
	if (magic_load(m, NULL) == -1) {
		magic_close(m);
		return (-1);
	}
	magic_cookie = m;
	return (0);
}

/* One cookie, used by the worker's task threads: libmagic's is not
 * thread-safe, and its answer lives in the cookie until the next call. */
static pthread_mutex_t	magic_lock = PTHREAD_MUTEX_INITIALIZER;

int
pf_magic_type(const void *data, size_t len, char *out, size_t outlen)
{
	const char	*t;
	size_t		 n;
	int		 rc = -1;

	if (magic_cookie == NULL || out == NULL || outlen == 0)
		return (-1);
	pthread_mutex_lock(&magic_lock);
	/* A truncated type could match a shorter accepted one: refuse. */
	if ((t = magic_buffer(magic_cookie, data, len)) != NULL &&
	    (n = strlen(t)) < outlen) {
		memcpy(out, t, n + 1);
		rc = 0;
	}
	pthread_mutex_unlock(&magic_lock);
	return (rc);
}

int
pf_doc_check(const struct pf_doc_kind *kind, const void *data, size_t len,
    const char **type, char *found, size_t foundlen)
{
	char	t[128];
	size_t	i;

	if (type != NULL)
		*type = NULL;
	if (found != NULL && foundlen > 0)
		found[0] = '\0';
	if (len > kind->max_bytes)
		return (-2);
	if (pf_magic_type(data, len, t, sizeof(t)) == -1) {
		/* Nothing was found: the caller sees "" (when it gave a
		 * buffer) and refuses the upload all the same. */
		if (type != NULL && found != NULL && foundlen > 0)
			*type = found;
		return (-1);
	}
	for (i = 0; kind->types[i] != NULL; i++) {
		if (strcmp(kind->types[i], t) == 0) {
			if (type != NULL)
				*type = kind->types[i];
			return (0);
		}
	}
	if (found != NULL && foundlen > 0) {
		(void)snprintf(found, foundlen, "%s", t);
		if (type != NULL)
			*type = found;
	}
	return (-1);
}

int
pf_store_local(struct pf_store *st, const char *root)
{
	struct local_store	*ls;
	int			 fd;

	if (mkdir(root, 0700) == -1 && errno != EEXIST)
		return (-1);
	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	if ((ls = malloc(sizeof(*ls))) == NULL) {
		(void)close(fd);
		return (-1);
	}
	ls->rootfd = fd;
	st->impl = ls;
	st->put = local_put;
	st->get = local_get;
	st->del = local_del;
	st->close = local_close;
	return (0);
}

/* [a-z0-9-]{1,80}: no dot, no slash, so a key is one path component that
 * is never ".", ".." nor a ".tmp" name. */
static int
key_valid(const char *key)
{
	size_t	i;

	if (key == NULL)
		return (0);
	for (i = 0; key[i] != '\0'; i++) {
		if (i >= PF_KEY_MAX)
			return (0);
		if (!((key[i] >= 'a' && key[i] <= 'z') ||
		    (key[i] >= '0' && key[i] <= '9') || key[i] == '-'))
			return (0);
	}
	return (i > 0);
}

/* The first two characters of a valid key (one when the key is that
 * short): random ids spread over up to 37 * 37 directories. */
static void
key_prefix(const char *key, char prefix[3])
{
	prefix[0] = key[0];
	prefix[1] = key[1];
	prefix[2] = '\0';
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Exactly len bytes; a file that ends early is an error. */
static int
read_all(int fd, void *buf, size_t len)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		if ((n = read(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (n == 0) {
			errno = EIO;	/* shrank since fstat */
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * The key's directory, opened; with create, made first (0700) and the
 * root fsynced so the new directory's entry is as durable as the file
 * about to be renamed into it.
 */
static int
open_prefix(struct local_store *ls, const char *key, int create)
{
	char	prefix[3];

	key_prefix(key, prefix);
	if (create) {
		if (mkdirat(ls->rootfd, prefix, 0700) == 0) {
			if (fsync(ls->rootfd) == -1)
				return (-1);
		} else if (errno != EEXIST)
			return (-1);
	}
	return (openat(ls->rootfd, prefix,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

/*
 * rename(2) replaces its target silently, and a check before it would
 * race with another put: RENAME_NOREPLACE makes "never overwrite" atomic.
 * Where the file system lacks it, link(2) fails on an existing name too.
 */
static int
rename_noreplace(int dfd, const char *from, const char *to)
{
	if (renameat2(dfd, from, dfd, to, RENAME_NOREPLACE) == 0)
		return (0);
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return (-1);
	if (linkat(dfd, from, dfd, to, 0) == -1)
		return (-1);
	(void)unlinkat(dfd, from, 0);
	return (0);
}

static int
local_put(struct pf_store *st, const char *key, const void *data, size_t len)
{
	struct local_store	*ls = st->impl;
	struct stat		 sb;
	char			 tmp[TMP_NAME_MAX];
	int			 dfd, fd, saved;

	if (!key_valid(key))
		return (-1);
	if ((dfd = open_prefix(ls, key, 1)) == -1)
		return (-1);
	/* Not required for correctness (the rename refuses too), but an
	 * existing key need not cost a whole write first. */
	if (fstatat(dfd, key, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		goto fail_dir;
	(void)snprintf(tmp, sizeof(tmp), "%s%s", key, TMP_SUFFIX);
	/* O_EXCL: a second put of the same key must not write into the
	 * first one's file. */
	if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		goto fail_dir;
	if (write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		(void)close(fd);
		goto fail_tmp;
	}
	if (close(fd) == -1)
		goto fail_tmp;
	if (rename_noreplace(dfd, tmp, key) == -1)
		goto fail_tmp;
	if (fsync(dfd) == -1) {
		/* The caller is told it failed and will not record the key:
		 * do not leave a document nobody refers to. */
		saved = errno;
		(void)unlinkat(dfd, key, 0);
		(void)close(dfd);
		errno = saved;
		return (-1);
	}
	(void)close(dfd);
	return (0);

fail_tmp:
	saved = errno;
	(void)unlinkat(dfd, tmp, 0);
	errno = saved;
fail_dir:
	saved = errno;
	(void)close(dfd);
	errno = saved;
	return (-1);
}

static int
local_get(struct pf_store *st, const char *key, void **out, size_t *len)
{
	struct local_store	*ls = st->impl;
	struct stat		 sb;
	void			*buf;
	int			 dfd, fd, saved;

	if (!key_valid(key))
		return (-1);
	if ((dfd = open_prefix(ls, key, 0)) == -1)
		return (-1);
	fd = openat(dfd, key, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	saved = errno;
	(void)close(dfd);
	if (fd == -1) {
		errno = saved;
		return (-1);
	}
	if (fstat(fd, &sb) == -1)
		goto fail;
	if (!S_ISREG(sb.st_mode) || (unsigned long long)sb.st_size >
	    PF_GET_MAX) {
		errno = EFBIG;
		goto fail;
	}
	/* malloc(0) may return NULL: an empty document still gets a buffer. */
	if ((buf = malloc(sb.st_size > 0 ? (size_t)sb.st_size : 1)) == NULL)
		goto fail;
	if (read_all(fd, buf, (size_t)sb.st_size) == -1) {
		saved = errno;
		free(buf);
		errno = saved;
		goto fail;
	}
	(void)close(fd);
	*out = buf;
	*len = (size_t)sb.st_size;
	return (0);

fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return (-1);
}

static int
local_del(struct pf_store *st, const char *key)
{
	struct local_store	*ls = st->impl;
	int			 dfd, rc, saved;

	if (!key_valid(key))
		return (-1);
	if ((dfd = open_prefix(ls, key, 0)) == -1)
		return (-1);
	/* A deleted document must stay deleted after a crash too. */
	rc = (unlinkat(dfd, key, 0) == -1 || fsync(dfd) == -1) ? -1 : 0;
	saved = errno;
	(void)close(dfd);
	errno = saved;
	return (rc);
}

static void
local_close(struct pf_store *st)
{
	struct local_store	*ls = st->impl;

	if (ls == NULL)
		return;
	(void)close(ls->rootfd);
	free(ls);
	st->impl = NULL;
}
