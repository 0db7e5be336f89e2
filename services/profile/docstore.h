/*
 * The profile service's documents: which kinds a student uploads and what
 * each accepts, typing an upload by its content (libmagic, never the file
 * name or the client's Content-Type), and where the bytes are kept.
 *
 * Storage sits behind a small interface (struct pf_store) so an object
 * store can replace the local directory without touching the handlers.
 * Plain C, no Kore: the unit tests link it as profile_logic.
 */
#ifndef PROFILE_DOCSTORE_H
#define PROFILE_DOCSTORE_H

#include <stddef.h>

/* Document kinds and what each accepts. */
struct pf_doc_kind {
	const char		*name;
	size_t			 max_bytes;
	const char *const	*types;		/* NULL-terminated MIME types */
};

/*
 * photo: JPEG or PNG, 2 MiB; passport-page, permit-page, entry-stamp,
 * debit-card, rental-contract, hsk-certificate: JPEG, PNG or PDF, 5 MiB.
 */
extern const struct pf_doc_kind	pf_doc_kinds[];	/* ends with name == NULL */

/* The kind called name; NULL when unknown. */
const struct pf_doc_kind	*pf_doc_kind(const char *name);

/*
 * Content typing with libmagic (MAGIC_MIME_TYPE). Open once per process,
 * before the first pf_magic_type or pf_doc_check (a Kore worker: at its
 * start); a libmagic cookie must not be shared between threads.
 */
int	pf_magic_open(void);	/* 0 / -1; loads the default database */

/*
 * The MIME type libmagic finds in data ("application/x-executable",
 * "image/png"...), copied into out; -1 on error, when pf_magic_open has
 * not succeeded, or when out is too small.
 */
int	pf_magic_type(const void *data, size_t len, char *out, size_t outlen);

/*
 * 0 when the kind accepts this content: *type is the accepted MIME type (a
 * static string from the kind's list). -1 when the type is not accepted:
 * what was found is copied into found (foundlen bytes, truncated) and *type
 * points at it; found is "" when libmagic itself failed. -2 when data is
 * larger than the kind's max_bytes (*type NULL, found ""); the size is
 * checked first so an oversized upload is never typed.
 * type and found may be NULL.
 */
int	pf_doc_check(const struct pf_doc_kind *, const void *data, size_t len,
	    const char **type, char *found, size_t foundlen);

/*
 * Storage. Keys are [a-z0-9-]{1,80}, chosen by the caller (random ids);
 * anything else is refused (-1) by every operation.
 */
#define PF_KEY_MAX		80
#define PF_GET_MAX		(64UL * 1024 * 1024)	/* get refuses more */

struct pf_store {
	void	*impl;
	int	(*put)(struct pf_store *, const char *key, const void *data,
		    size_t len);
	/* malloc'd data into *out, its size into *len; -1 not found or error */
	int	(*get)(struct pf_store *, const char *key, void **out,
		    size_t *len);
	int	(*del)(struct pf_store *, const char *key);
	void	(*close)(struct pf_store *);
};

/*
 * A local directory, created 0700 if missing (its parent must exist).
 * put writes "<root>/<key[0..1]>/<key>.tmp", fsyncs it, renames it to
 * "<root>/<key[0..1]>/<key>" and fsyncs the directory, files 0600: a
 * crash never leaves half a document under its key. An existing key is
 * never overwritten (-1), nor is a put of a key whose .tmp is there (a
 * put of the same key in progress, or one a crash interrupted). Returns
 * 0, or -1 with *st untouched.
 */
int	pf_store_local(struct pf_store *st, const char *root);

#endif
