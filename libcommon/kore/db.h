/*
 * One asynchronous PostgreSQL round trip at a time per request (db.c),
 * its value (row 0, column 0: a jsonb document by convention) and the
 * answers made from it. The pool is shared by the worker's requests and
 * admits them in arrival order.
 */
#ifndef IS_DB_H
#define IS_DB_H

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>

#include <cjson/cJSON.h>

#include "ctx.h"

#define IS_DB_MAX_PARAMS	16

/* Starts query with n text parameters (NULL is SQL NULL; copied). */
void		 is_db_begin(struct http_request *, struct is_ctx *,
		    const char *query, int n, const char *const *params);
/* IS_PENDING (the handler returns KORE_RESULT_RETRY), IS_DONE, IS_FAILED. */
int		 is_db_poll(struct http_request *, struct is_ctx *);
int		 is_db_state(struct is_ctx *);
/* The value of the last query: row 0, column 0, or NULL. */
const char	*is_db_value(struct is_ctx *);
/* The value as parsed JSON (kept with the request), or NULL. */
const cJSON	*is_db_doc(struct is_ctx *);
/* The refusal code when the value is {"error": code, ...}, else NULL. */
const char	*is_db_refusal(struct is_ctx *);
/* Sets the outcome from elsewhere (a batch); value is copied. */
void		 is_db_set_result(struct is_ctx *, const char *value, int);

/* Answers with the value (a refusal as problem+json); 204 sends none. */
int		 is_db_reply(struct http_request *, struct is_ctx *, int);
/* Answers a failed query: 409/422 for constraints, 503 to retry... */
int		 is_db_fail_reply(struct http_request *, struct is_ctx *);
/* This worker's pool: connections busy, requests waiting (metrics). */
void		 is_db_pool_counts(int *in_use, int *waiting);
/* The parsed value for a further step (caller owns it), or NULL when it
 * has answered instead (failure, no value, refusal). */
cJSON		*is_db_result(struct http_request *, struct is_ctx *);

/* Pool upkeep, for the batcher and periodic jobs too. */
void		 is_db_warm(const char *dbname, int n);
void		 is_db_cleanup(struct kore_pgsql *);
void		 is_db_check_idle(struct kore_pgsql *);

#endif
