/*
 * The profile service: a student's personal data in sections, documents,
 * the finance review of bank cards, insurance records and the staff views.
 * The rules of who sees what live in its SQL functions (sql/functions/);
 * this side validates the forms, seals sensitive values before they reach
 * the database and opens them in answers, types and stores documents.
 *   sections.c   the section forms, If-Match, sealing; /me and its cache
 *   documents.c  uploads and downloads (tasks: libmagic, the store)
 *   staff.c      search, a student's profile, expiring documents, the
 *                export, history, insurance import, bank reviews
 *   opened.c     sealed values opened in answers
 *   reseal.c     values under an older key sealed again (key rotation)
 *   docstore.c   document kinds, content typing, the storage interface
 */
#ifndef PROFILE_H
#define PROFILE_H

#include "iskore.h"
#include "iscommon/seal.h"
#include "docstore.h"

#define PF_PREFIX	"/api/v1/profile/"

struct pf_conf {
	struct is_seal_keys	 keys;		/* keys[0] seals */
	const char		*lookup_key;	/* hashes to compare them */
	const char		*storage_root;
	long			 upload_daily_max;
	long			 me_cache_ms;
	long			 reseal_interval_ms;	/* key rotation */
	long			 reseal_batch;
	long			 reseal_idle_s;
};

extern struct pf_conf		 pf_conf;
extern struct pf_store		 pf_store;

extern const char *const	 pf_students[];
extern const char *const	 pf_staff[];

extern const struct is_endpoint	 pf_section_endpoints[];
extern const struct is_endpoint	 pf_document_endpoints[];
extern const struct is_endpoint	 pf_staff_endpoints[];

/* opened.c: replaces each {"sealed", "owner"} of this owner in doc by
 * the value it holds (null when it cannot be opened, or is another's:
 * logged). */
void	pf_open_sealed(cJSON *doc, const char *owner);
/* Answers with the query's value about one student (its "student"
 * object), sealed values opened. */
int	pf_reply_opened(struct http_request *, struct is_ctx *);

/* sections.c: a student's profile changed (NULL: any student's); the
 * cached profiles' upkeep (a timer). */
void	pf_changed(const char *student_id);
void	pf_me_cache_sweep(void *, u_int64_t);

/* reseal.c: starts the re-sealing of values under older keys. */
void	pf_reseal_start(void);

#endif
