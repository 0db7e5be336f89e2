/*
 * Kore glue shared by every service: the per-request context, the async
 * PostgreSQL round trip, Kore tasks for slow work, replies (JSON and
 * problem+json), bearer-token authentication, health and metrics.
 *
 * A handler is re-entered by Kore until it answers; it keeps its place in
 * ctx->phase:
 *
 *	if (c->phase == 0) { ...check, parse, is_db_begin(...); c->phase = 1; }
 *	if (is_db_poll(req, c) == IS_PENDING) return (KORE_RESULT_RETRY);
 *	return (is_db_reply(req, c, 200));
 */
#ifndef ISKORE_H
#define ISKORE_H

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>
#include <kore/tasks.h>

#include <cjson/cJSON.h>

#include "iscommon/jwt.h"
#include "iscommon/validate.h"

#define IS_DB_MAX_PARAMS	16
#define IS_PENDING		0
#define IS_DONE			1
#define IS_FAILED		2

/* Flags for is_authenticate(). */
#define IS_AUTH_ALLOW_MCP	0x01	/* allowed before the password change */
#define IS_PUBLIC		0x02	/* is_enter(): no token needed */

struct is_ctx {
	int			 phase;
	int			 released;	/* ctx_free ran */
	char			 request_id[72];
	u_int64_t		 start_ms;
	struct is_claims	 claims;
	cJSON			*body;		/* parsed request body */

	struct http_request	*req;

	/* One database round trip at a time. */
	struct kore_pgsql	 sql;
	int			 db_state;
	int			 db_started;
	int			 db_holds;	/* counted in the pool */
	int			 db_queued;	/* waiting for a connection */
	TAILQ_ENTRY(is_ctx)	 db_wait;
	const char		*db_query;
	char			*db_params[IS_DB_MAX_PARAMS];
	int			 db_nparams;
	char			*db_value;	/* row 0, column 0 (or NULL) */
	int			 db_rows;
	char			 db_sqlstate[6];

	/* An item waiting in a batch (batch.c). */
	struct is_batch		*batch;
	struct is_batch_slot	*batch_slot;	/* in flight there */
	int			 batch_index;
	int			 batch_state;
	int			 batch_queued;
	cJSON			*batch_item;
	TAILQ_ENTRY(is_ctx)	 batch_link;

	/* One Kore task at a time. */
	struct kore_task	 task;
	int			 task_state;
	char			*task_out;
	u_int32_t		 task_outlen;

	/* Handler-specific values; keep[] and user are freed with it. */
	u_int64_t		 scratch[4];
	char			*keep[16];
	void			*user;
	void			(*user_free)(void *);
};

struct is_service {
	const char	*name;
	int		 needs_private_key;
	int		(*init)(void);		/* service's own init, may be NULL */
};

extern struct is_jwt_keys	is_keys;

/* service.c: common start-up for each module's init function. */
int		 is_service_init(const struct is_service *);
const char	*is_service_name(void);
const char	*is_service_conninfo(void);

/* ctx.c */
struct is_ctx	*is_ctx_get(struct http_request *);
char		*is_ctx_keep(struct is_ctx *, const char *);
const char	*is_client_type(struct http_request *);
int		 is_read_json(struct http_request *, struct is_ctx *,
		    const struct is_field *);
int		 is_enter(struct http_request *, struct is_ctx *, int,
		    const char *const *roles, const struct is_field *spec);
int		 is_read_raw(struct http_request *, char **, size_t *,
		    size_t);
int		 is_query_get(struct http_request *, struct is_ctx *,
		    const char *, const char **);
int		 is_read_query(struct http_request *, struct is_ctx *,
		    const struct is_field *);
int		 is_path_tail(struct http_request *, const char *prefix,
		    char *out, size_t len);

/* db.c */
void		 is_db_begin(struct http_request *, struct is_ctx *,
		    const char *query, int n, const char *const *params);
int		 is_db_poll(struct http_request *, struct is_ctx *);
void		 is_db_release(struct is_ctx *);
void		 is_db_warm(const char *dbname, int n);
void		 is_db_cleanup(struct kore_pgsql *);
void		 is_db_check_idle(struct kore_pgsql *);
cJSON		*is_db_json(struct is_ctx *);
cJSON		*is_db_result(struct http_request *, struct is_ctx *);
int		 is_db_reply(struct http_request *, struct is_ctx *, int);
int		 is_db_fail_reply(struct http_request *, struct is_ctx *);

/* batch.c: many requests' small writes in one statement and commit. */
struct is_batch	*is_batch_new(const char *dbname, const char *query,
		    int max_items, int connections);
void		 is_batch_submit(struct is_batch *, struct http_request *,
		    struct is_ctx *, cJSON *item);
int		 is_batch_poll(struct http_request *, struct is_ctx *);
void		 is_batch_release(struct is_ctx *);

/* periodic.c: a SQL function run every interval_s by the first worker. */
void		 is_periodic_add(const char *name, const char *query,
		    long interval_s);

/* Task helpers (ctx.c): run fn in a Kore task thread with input bytes. */
void		 is_task_begin(struct http_request *, struct is_ctx *,
		    int (*fn)(struct kore_task *), const void *, u_int32_t);
int		 is_task_poll(struct http_request *, struct is_ctx *);

/* reply.c */
int		 is_reply_json(struct http_request *, int, const char *);
int		 is_reply_obj(struct http_request *, int, cJSON *);
int		 is_reply_empty(struct http_request *, int);
int		 is_reply_text(struct http_request *, int, const char *,
		    const char *, size_t);
int		 is_reply_problem(struct http_request *, const char *,
		    const char *);
int		 is_reply_problem_errors(struct http_request *, const char *,
		    const char *, cJSON *);

/* csvreq.c: CSV import requests. */
int		 is_read_csv(struct http_request *, struct is_ctx *,
		    const struct is_field *columns, size_t max);
char		*is_csv_rows_json(struct is_ctx *);
int		 is_csv_reply(struct http_request *, struct is_ctx *);

/* authn.c */
int		 is_authenticate(struct http_request *, struct is_ctx *, int);
int		 is_require_role(struct http_request *, struct is_ctx *,
		    const char *const *roles);
void		 is_auth_invalidate_all(void);

#endif
