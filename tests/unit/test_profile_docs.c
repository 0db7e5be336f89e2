/*
 * Unit tests of the profile service's documents (services/profile/
 * docstore.c): the kinds and their limits, typing real bytes built here
 * with libmagic (PNG, JPEG, PDF accepted where the kind allows them; an
 * ELF header and plain text refused whatever they are called), the size
 * limit checked before the type, and the local store: round trips, keys
 * refused, never overwriting, modes, no .tmp left behind, symlinks not
 * followed.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "docstore.h"

#define MIB		(1024UL * 1024)

/* The PNG signature and an IHDR chunk (1x1, 8-bit RGB) with its CRC:
 * the least libmagic calls image/png. */
static const unsigned char	png_head[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
	0x00, 0x00, 0x00, 0x0d, 'I', 'H', 'D', 'R',
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde,
};

/* SOI and a JFIF APP0 segment (version 1.01, 1x1 density). */
static const unsigned char	jpeg_head[] = {
	0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00,
	0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
};

static const char	pdf_doc[] =
    "%PDF-1.4\n"
    "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    "2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    "trailer\n<< /Root 1 0 R >>\n%%EOF\n";

static const char	text_doc[] = "Dear sir, please find my passport attached.\n";

/* An ELF64 header of an x86-64 executable (ET_EXEC): what an upload called
 * "photo.png" may really be. */
static void
elf_header(unsigned char h[64])
{
	memset(h, 0, 64);
	memcpy(h, "\177ELF", 4);
	h[4] = 2;		/* ELFCLASS64 */
	h[5] = 1;		/* ELFDATA2LSB */
	h[6] = 1;		/* EV_CURRENT */
	h[16] = 2;		/* e_type ET_EXEC */
	h[18] = 62;		/* e_machine EM_X86_64 */
	h[20] = 1;		/* e_version */
	h[52] = 64;		/* e_ehsize */
}

/* len bytes that start with head, the rest zero. */
static unsigned char *
padded(const void *head, size_t headlen, size_t len)
{
	unsigned char	*p;

	assert_true(len >= headlen);
	assert_non_null(p = calloc(1, len));
	memcpy(p, head, headlen);
	return (p);
}

static int
setup_magic(void **state)
{
	(void)state;
	return (pf_magic_open());
}

static void
test_kinds(void **state)
{
	static const char *const	 docs[] = { "passport-page",
	    "permit-page", "entry-stamp", "debit-card", "rental-contract",
	    "hsk-certificate", NULL };
	const struct pf_doc_kind	*k;
	size_t				 i, n;

	(void)state;
	assert_non_null(k = pf_doc_kind("photo"));
	assert_string_equal(k->name, "photo");
	assert_int_equal(k->max_bytes, 2 * MIB);
	assert_string_equal(k->types[0], "image/jpeg");
	assert_string_equal(k->types[1], "image/png");
	assert_null(k->types[2]);

	for (i = 0; docs[i] != NULL; i++) {
		assert_non_null(k = pf_doc_kind(docs[i]));
		assert_int_equal(k->max_bytes, 5 * MIB);
		assert_string_equal(k->types[0], "image/jpeg");
		assert_string_equal(k->types[1], "image/png");
		assert_string_equal(k->types[2], "application/pdf");
		assert_null(k->types[3]);
	}

	for (n = 0; pf_doc_kinds[n].name != NULL; n++)
		;
	assert_int_equal(n, 7);

	assert_null(pf_doc_kind("selfie"));
	assert_null(pf_doc_kind("Photo"));
	assert_null(pf_doc_kind(""));
	assert_null(pf_doc_kind(NULL));
}

static void
test_magic_type(void **state)
{
	unsigned char	elf[64];
	char		t[64];

	(void)state;
	/* Opening again is harmless. */
	assert_int_equal(pf_magic_open(), 0);

	assert_int_equal(pf_magic_type(png_head, sizeof(png_head), t,
	    sizeof(t)), 0);
	assert_string_equal(t, "image/png");
	assert_int_equal(pf_magic_type(jpeg_head, sizeof(jpeg_head), t,
	    sizeof(t)), 0);
	assert_string_equal(t, "image/jpeg");
	assert_int_equal(pf_magic_type(pdf_doc, strlen(pdf_doc), t,
	    sizeof(t)), 0);
	assert_string_equal(t, "application/pdf");
	elf_header(elf);
	assert_int_equal(pf_magic_type(elf, sizeof(elf), t, sizeof(t)), 0);
	assert_string_equal(t, "application/x-executable");
	assert_int_equal(pf_magic_type(text_doc, strlen(text_doc), t,
	    sizeof(t)), 0);
	assert_string_equal(t, "text/plain");

	/* Too small for "image/png": refused, not truncated. */
	assert_int_equal(pf_magic_type(png_head, sizeof(png_head), t, 9), -1);
	assert_int_equal(pf_magic_type(png_head, sizeof(png_head), t, 10), 0);
	assert_string_equal(t, "image/png");
}

static void
test_check_accepts(void **state)
{
	const struct pf_doc_kind	*photo, *passport;
	const char			*type;
	char				 found[64];

	(void)state;
	photo = pf_doc_kind("photo");
	passport = pf_doc_kind("passport-page");

	type = NULL;
	assert_int_equal(pf_doc_check(photo, png_head, sizeof(png_head),
	    &type, found, sizeof(found)), 0);
	/* The kind's own string, not a copy: the caller may keep it. */
	assert_ptr_equal(type, photo->types[1]);
	assert_string_equal(type, "image/png");

	assert_int_equal(pf_doc_check(photo, jpeg_head, sizeof(jpeg_head),
	    &type, found, sizeof(found)), 0);
	assert_ptr_equal(type, photo->types[0]);

	assert_int_equal(pf_doc_check(passport, pdf_doc, strlen(pdf_doc),
	    &type, found, sizeof(found)), 0);
	assert_ptr_equal(type, passport->types[2]);
	assert_string_equal(type, "application/pdf");
	assert_int_equal(pf_doc_check(passport, jpeg_head, sizeof(jpeg_head),
	    &type, NULL, 0), 0);
	assert_string_equal(type, "image/jpeg");
}

static void
test_check_refuses(void **state)
{
	const struct pf_doc_kind	*photo, *permit;
	const char			*type;
	unsigned char			 elf[64], head[64];
	char				 found[64];
	ssize_t				 n;
	int				 fd;

	(void)state;
	photo = pf_doc_kind("photo");
	permit = pf_doc_kind("permit-page");

	/* An executable uploaded as "passport.png": typed by content. */
	elf_header(elf);
	assert_int_equal(pf_doc_check(photo, elf, sizeof(elf), &type, found,
	    sizeof(found)), -1);
	assert_string_equal(found, "application/x-executable");
	assert_ptr_equal(type, found);
	assert_int_equal(pf_doc_check(permit, elf, sizeof(elf), &type, found,
	    sizeof(found)), -1);
	assert_string_equal(found, "application/x-executable");

	/* A real one from this host, when there is one to read. */
	if ((fd = open("/bin/true", O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, head, sizeof(head));
		close(fd);
		assert_int_equal(n, sizeof(head));
		assert_int_equal(pf_doc_check(photo, head, sizeof(head), &type,
		    found, sizeof(found)), -1);
		assert_memory_equal(found, "application/x-", 14);
	}

	assert_int_equal(pf_doc_check(permit, text_doc, strlen(text_doc),
	    &type, found, sizeof(found)), -1);
	assert_string_equal(found, "text/plain");

	/* A photo is an image: the PDF every other kind takes is refused. */
	assert_int_equal(pf_doc_check(photo, pdf_doc, strlen(pdf_doc), &type,
	    found, sizeof(found)), -1);
	assert_string_equal(type, "application/pdf");

	/* Nothing at all. */
	assert_int_equal(pf_doc_check(photo, "", 0, &type, found,
	    sizeof(found)), -1);
	assert_string_not_equal(found, "image/png");

	/* A short buffer truncates the report, never the decision. */
	assert_int_equal(pf_doc_check(photo, pdf_doc, strlen(pdf_doc), &type,
	    found, 6), -1);
	assert_string_equal(found, "appli");
	/* No buffer: still refused. */
	assert_int_equal(pf_doc_check(photo, elf, sizeof(elf), &type, NULL, 0),
	    -1);
	assert_null(type);
	assert_int_equal(pf_doc_check(photo, elf, sizeof(elf), NULL, NULL, 0),
	    -1);
}

static void
test_check_size(void **state)
{
	const struct pf_doc_kind	*photo, *contract;
	struct pf_doc_kind		 small;
	const char			*type;
	unsigned char			*p, elf[64];
	char				 found[64];

	(void)state;
	photo = pf_doc_kind("photo");
	contract = pf_doc_kind("rental-contract");

	/* Exactly the limit: still typed (the signature is at offset 0). */
	p = padded(png_head, sizeof(png_head), photo->max_bytes + 1);
	assert_int_equal(pf_doc_check(photo, p, photo->max_bytes, &type,
	    found, sizeof(found)), 0);
	assert_string_equal(type, "image/png");
	assert_int_equal(pf_doc_check(photo, p, photo->max_bytes + 1, &type,
	    found, sizeof(found)), -2);
	assert_null(type);
	assert_string_equal(found, "");
	free(p);

	p = padded("%PDF-1.4\n", 9, contract->max_bytes + 1);
	memset(p + 9, ' ', contract->max_bytes + 1 - 9);
	assert_int_equal(pf_doc_check(contract, p, contract->max_bytes, &type,
	    found, sizeof(found)), 0);
	assert_string_equal(type, "application/pdf");
	assert_int_equal(pf_doc_check(contract, p, contract->max_bytes + 1,
	    &type, found, sizeof(found)), -2);
	free(p);

	/* A kind of the test's own: the limit is the kind's, not a constant. */
	small = *photo;
	small.max_bytes = 100;
	p = padded(png_head, sizeof(png_head), 101);
	assert_int_equal(pf_doc_check(&small, p, 100, &type, found,
	    sizeof(found)), 0);
	assert_int_equal(pf_doc_check(&small, p, 101, &type, found,
	    sizeof(found)), -2);
	free(p);

	/* The size comes first: an oversized executable is -2, not -1. */
	elf_header(elf);
	small.max_bytes = 63;
	assert_int_equal(pf_doc_check(&small, elf, sizeof(elf), &type, found,
	    sizeof(found)), -2);
}

/* A scratch root for the store tests. */
struct scratch {
	char	dir[64];
	char	root[96];
};

static void
scratch_init(struct scratch *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->dir, "/tmp/is-docs-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	/* Below the temporary directory: pf_store_local creates it. */
	snprintf(s->root, sizeof(s->root), "%s/docs", s->dir);
}

static void
scratch_done(struct scratch *s)
{
	char	cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", s->dir);
	assert_int_equal(system(cmd), 0);
}

/* A path under the root, in a static buffer: one at a time. */
static const char *
scratch_path(struct scratch *s, const char *rel)
{
	static char	path[256];

	assert_true(snprintf(path, sizeof(path), "%s/%s", s->root, rel) <
	    (int)sizeof(path));
	return (path);
}

/* How many names under the root's subdirectories end in ".tmp". */
static int
count_tmp(struct scratch *s)
{
	DIR		*root, *sub;
	struct dirent	*de, *fe;
	size_t		 n;
	int		 count = 0;

	assert_non_null(root = opendir(s->root));
	while ((de = readdir(root)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((sub = opendir(scratch_path(s, de->d_name))) == NULL)
			continue;
		while ((fe = readdir(sub)) != NULL) {
			n = strlen(fe->d_name);
			if (n > 4 && strcmp(fe->d_name + n - 4, ".tmp") == 0)
				count++;
		}
		closedir(sub);
	}
	closedir(root);
	return (count);
}

static void
test_store_round_trip(void **state)
{
	struct scratch	 s;
	struct pf_store	 st;
	struct stat	 sb;
	char		 key80[81];
	void		*out;
	size_t		 len;

	(void)state;
	scratch_init(&s);
	assert_int_equal(pf_store_local(&st, s.root), 0);
	assert_int_equal(stat(s.root, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0700);

	assert_int_equal(st.put(&st, "3f2a-photo", png_head, sizeof(png_head)),
	    0);
	assert_int_equal(st.get(&st, "3f2a-photo", &out, &len), 0);
	assert_int_equal(len, sizeof(png_head));
	assert_memory_equal(out, png_head, len);
	free(out);

	/* Where and how it was written. */
	assert_int_equal(stat(scratch_path(&s, "3f/3f2a-photo"), &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(stat(scratch_path(&s, "3f"), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);

	/* The shortest and the longest keys; an empty document. */
	assert_int_equal(st.put(&st, "a", "", 0), 0);
	assert_int_equal(st.get(&st, "a", &out, &len), 0);
	assert_int_equal(len, 0);
	assert_non_null(out);
	free(out);
	assert_int_equal(stat(scratch_path(&s, "a/a"), &sb), 0);
	memset(key80, 'k', 80);
	key80[80] = '\0';
	assert_int_equal(st.put(&st, key80, pdf_doc, strlen(pdf_doc)), 0);
	assert_int_equal(st.get(&st, key80, &out, &len), 0);
	assert_int_equal(len, strlen(pdf_doc));
	assert_memory_equal(out, pdf_doc, len);
	free(out);

	/* An existing key is never overwritten. */
	assert_int_equal(st.put(&st, "3f2a-photo", jpeg_head,
	    sizeof(jpeg_head)), -1);
	assert_int_equal(st.get(&st, "3f2a-photo", &out, &len), 0);
	assert_memory_equal(out, png_head, sizeof(png_head));
	free(out);

	assert_int_equal(st.get(&st, "3f2a-missing", &out, &len), -1);
	assert_int_equal(st.get(&st, "zz-no-directory", &out, &len), -1);
	assert_int_equal(count_tmp(&s), 0);

	/* Deleted means gone; a second delete fails; the key is free again. */
	assert_int_equal(st.del(&st, "3f2a-photo"), 0);
	assert_int_equal(st.get(&st, "3f2a-photo", &out, &len), -1);
	assert_int_equal(stat(scratch_path(&s, "3f/3f2a-photo"), &sb), -1);
	assert_int_equal(st.del(&st, "3f2a-photo"), -1);
	assert_int_equal(st.del(&st, "zz-no-directory"), -1);
	assert_int_equal(st.put(&st, "3f2a-photo", jpeg_head,
	    sizeof(jpeg_head)), 0);
	assert_int_equal(st.get(&st, "3f2a-photo", &out, &len), 0);
	assert_memory_equal(out, jpeg_head, sizeof(jpeg_head));
	free(out);
	assert_int_equal(count_tmp(&s), 0);

	st.close(&st);
	assert_null(st.impl);

	/* The root exists now: opening it again finds the documents. */
	assert_int_equal(pf_store_local(&st, s.root), 0);
	assert_int_equal(st.get(&st, key80, &out, &len), 0);
	free(out);
	st.close(&st);
	scratch_done(&s);
}

static void
test_store_bad_keys(void **state)
{
	static const char *const	 bad[] = { "../x", "A", "", "a.b",
	    "a/b", "ab.tmp", "..", ".", "abc\n", "ab c", "\xc3\xa9", NULL };
	struct scratch			 s;
	struct pf_store			 st;
	char				 key81[82];
	void				*out;
	size_t				 len, i;

	(void)state;
	scratch_init(&s);
	assert_int_equal(pf_store_local(&st, s.root), 0);

	memset(key81, 'k', 81);
	key81[81] = '\0';
	assert_int_equal(st.put(&st, key81, "x", 1), -1);
	assert_int_equal(st.get(&st, key81, &out, &len), -1);
	assert_int_equal(st.del(&st, key81), -1);
	assert_int_equal(st.put(&st, NULL, "x", 1), -1);

	for (i = 0; bad[i] != NULL; i++) {
		assert_int_equal(st.put(&st, bad[i], "x", 1), -1);
		assert_int_equal(st.get(&st, bad[i], &out, &len), -1);
		assert_int_equal(st.del(&st, bad[i]), -1);
	}
	/* Nothing was written anywhere. */
	assert_int_equal(access(scratch_path(&s, "x"), F_OK), -1);
	assert_int_equal(access(scratch_path(&s, "../x"), F_OK), -1);

	st.close(&st);
	scratch_done(&s);
}

static void
test_store_refusals(void **state)
{
	struct scratch	 s;
	struct pf_store	 st;
	char		 other[256];
	void		*out;
	size_t		 len;
	int		 fd;

	(void)state;
	scratch_init(&s);
	assert_int_equal(pf_store_local(&st, s.root), 0);

	/* A directory planted as a symlink is not followed. */
	snprintf(other, sizeof(other), "%s/elsewhere", s.dir);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(symlink(other, scratch_path(&s, "zz")), 0);
	assert_int_equal(st.put(&st, "zz1", "x", 1), -1);
	assert_int_equal(access(strcat(other, "/zz1.tmp"), F_OK), -1);

	/* Nor a document planted as one. */
	assert_int_equal(st.put(&st, "ab1", "x", 1), 0);
	assert_true(snprintf(other, sizeof(other), "%s",
	    scratch_path(&s, "ab/ab1")) < (int)sizeof(other));
	assert_int_equal(symlink(other, scratch_path(&s, "ab/ab2")), 0);
	assert_int_equal(st.get(&st, "ab2", &out, &len), -1);

	/* More than get will read: refused (a sparse file costs nothing). */
	assert_true((fd = open(scratch_path(&s, "ab/ab3"),
	    O_WRONLY | O_CREAT | O_EXCL, 0600)) != -1);
	assert_int_equal(ftruncate(fd, PF_GET_MAX + 1), 0);
	close(fd);
	assert_int_equal(st.get(&st, "ab3", &out, &len), -1);
	assert_int_equal(truncate(scratch_path(&s, "ab/ab3"), PF_GET_MAX), 0);
	assert_int_equal(st.get(&st, "ab3", &out, &len), 0);
	assert_int_equal(len, PF_GET_MAX);
	free(out);

	/* A .tmp left by a crash (or a put in progress) holds its key: the
	 * write is refused rather than mixed into that file. */
	assert_true((fd = open(scratch_path(&s, "ab/ab4.tmp"),
	    O_WRONLY | O_CREAT | O_EXCL, 0600)) != -1);
	close(fd);
	assert_int_equal(st.put(&st, "ab4", "x", 1), -1);
	assert_int_equal(st.get(&st, "ab4", &out, &len), -1);

	st.close(&st);

	/* A root that cannot be made. */
	assert_int_equal(pf_store_local(&st, "/nonexistent-is/docs"), -1);
	scratch_done(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_magic_type),
		cmocka_unit_test(test_check_accepts),
		cmocka_unit_test(test_check_refuses),
		cmocka_unit_test(test_check_size),
		cmocka_unit_test(test_store_round_trip),
		cmocka_unit_test(test_store_bad_keys),
		cmocka_unit_test(test_store_refusals),
	};

	return (cmocka_run_group_tests(tests, setup_magic, NULL));
}
