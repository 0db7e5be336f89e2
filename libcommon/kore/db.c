/*
 * One asynchronous PostgreSQL round trip per call, on kore_pgsql bound to
 * the request: Kore wakes the handler on each state change and is_db_poll()
 * advances the query. Each query returns one value (a jsonb document from
 * an SQL function, by convention): row 0, column 0 is copied out. The
 * query's state is the request's "db" part (ctx.h).
 *
 * A jsonb result {"error": code, "detail": ..., "errors": [...]} is a
 * business refusal and is answered as problem+json by is_db_reply().
 *
 * Requests are admitted to the connection pool in arrival order. Kore 4.1
 * queues a request that finds no free connection, but a request arriving
 * meanwhile takes the connection freed for it and the woken one goes to
 * the back of the queue again: under load some requests waited seconds.
 * Here a request takes a connection only when none is waiting before it.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db.h"
#include "reply.h"
#include "service.h"
#include "iscommon/log.h"
#include "iscommon/strutil.h"
#include "iscommon/validate.h"

/* A request's query: its text, parameters, outcome and pool position. */
struct db_call {
	struct is_ctx		*ctx;
	struct kore_pgsql	 sql;
	int			 state;
	int			 bound;		/* sql is in the request's list */
	int			 started;	/* sent; sql holds a connection */
	int			 holds;		/* counted in db_in_use */
	int			 queued;	/* waiting for a connection */
	TAILQ_ENTRY(db_call)	 wait;
	const char		*query;
	char			*params[IS_DB_MAX_PARAMS];
	int			 nparams;
	char			*value;		/* row 0, column 0 (or NULL) */
	cJSON			*doc;		/* value parsed, on demand */
	int			 parsed;
	char			 sqlstate[6];
};

static int	db_release(void *);
static void	db_reset(struct db_call *);
static void	db_read_result(struct db_call *);
static void	db_record_error(struct db_call *);
static int	db_admit(struct http_request *, struct db_call *);
static void	db_wake_next(void);

static const struct is_part	db_part = { "db", sizeof(struct db_call),
				    db_release };

static TAILQ_HEAD(, db_call)	db_waiting = TAILQ_HEAD_INITIALIZER(db_waiting);
static int			db_in_use;

void
is_db_pool_counts(int *in_use, int *waiting)
{
	struct db_call	*d;

	*in_use = db_in_use;
	*waiting = 0;
	TAILQ_FOREACH(d, &db_waiting, wait)
		(*waiting)++;
}

/* Wakes the first waiting request when a connection is free for it. */
static void
db_wake_next(void)
{
	struct db_call	*next;

	if (db_in_use < pgsql_conn_max &&
	    (next = TAILQ_FIRST(&db_waiting)) != NULL)
		http_request_wakeup(next->ctx->req);
}

/* 1 when c may take a connection now; otherwise it waits its turn. */
static int
db_admit(struct http_request *req, struct db_call *d)
{
	if (d->queued) {
		if (TAILQ_FIRST(&db_waiting) != d ||
		    db_in_use >= pgsql_conn_max) {
			http_request_sleep(req);
			return (0);
		}
		TAILQ_REMOVE(&db_waiting, d, wait);
		d->queued = 0;
		return (1);
	}
	if (TAILQ_EMPTY(&db_waiting) && db_in_use < pgsql_conn_max)
		return (1);
	TAILQ_INSERT_TAIL(&db_waiting, d, wait);
	d->queued = 1;
	http_request_sleep(req);
	return (0);
}

static void
db_warm_callback(struct kore_pgsql *sql, void *arg)
{
	(void)sql;
	(void)arg;
}

/*
 * Opens n pooled connections to dbname now, at worker start-up: Kore opens
 * them on first use with a blocking connect, which would stall the first
 * burst of requests. A database that is down is only logged here.
 */
void
is_db_warm(const char *dbname, int n)
{
	struct kore_pgsql	*sql;
	int			 i, opened = 0;

	sql = kore_calloc((size_t)n, sizeof(*sql));
	for (i = 0; i < n; i++) {
		kore_pgsql_init(&sql[i]);
		kore_pgsql_bind_callback(&sql[i], db_warm_callback, NULL);
		if (!kore_pgsql_setup(&sql[i], dbname, KORE_PGSQL_ASYNC)) {
			is_log("warn", NULL, "database %s: %s", dbname,
			    sql[i].error ? sql[i].error : "no connection");
			kore_pgsql_cleanup(&sql[i]);
			break;
		}
		opened++;
	}
	for (i = 0; i < opened; i++)
		kore_pgsql_cleanup(&sql[i]);
	kore_free(sql);
}

/*
 * Gives back the query's connection (or its place in either queue) and
 * lets the next request in. Safe to call more than once. The query leaves
 * the request's list of queries here, whether it ran or not: Kore walks
 * that list when it frees the request, after this part has gone.
 */
static void
db_giveback(struct db_call *d)
{
	if (d->queued) {
		TAILQ_REMOVE(&db_waiting, d, wait);
		d->queued = 0;
	}
	if (d->bound)
		is_db_cleanup(&d->sql);
	d->bound = 0;
	d->started = 0;
	if (d->holds) {
		d->holds = 0;
		db_in_use--;
	}
	db_wake_next();
}

/* Forgets the outcome of the previous query. */
static void
db_reset(struct db_call *d)
{
	int	i;

	for (i = 0; i < d->nparams; i++) {
		free(d->params[i]);
		d->params[i] = NULL;
	}
	d->nparams = 0;
	free(d->value);
	d->value = NULL;
	cJSON_Delete(d->doc);
	d->doc = NULL;
	d->parsed = 0;
	d->sqlstate[0] = '\0';
}

/* The request is ending: its part goes (ctx.c frees the struct). */
static int
db_release(void *arg)
{
	struct db_call	*d = arg;

	db_giveback(d);
	db_reset(d);
	return (IS_RELEASED);
}

void
is_db_begin(struct http_request *req, struct is_ctx *c, const char *query,
    int n, const char *const *params)
{
	struct db_call	*d = is_ctx_part(c, &db_part);
	int		 i;

	if (n > IS_DB_MAX_PARAMS)
		fatal("is_db_begin: too many parameters");
	db_giveback(d);
	db_reset(d);
	d->ctx = c;
	d->query = query;
	d->nparams = n;
	for (i = 0; i < n; i++)
		d->params[i] = params[i] ? is_strdup(params[i]) : NULL;
	kore_pgsql_init(&d->sql);
	kore_pgsql_bind_request(&d->sql, req);
	d->bound = 1;
	d->state = IS_PENDING;
	d->started = 0;
}

static void
db_read_result(struct db_call *d)
{
	if (kore_pgsql_ntuples(&d->sql) > 0 && d->value == NULL &&
	    kore_pgsql_nfields(&d->sql) > 0 &&
	    !PQgetisnull(d->sql.result, 0, 0))
		d->value = is_strdup(kore_pgsql_getvalue(&d->sql, 0, 0));
}

static void
db_record_error(struct db_call *d)
{
	const char	*state;

	if (d->sql.result != NULL &&
	    (state = PQresultErrorField(d->sql.result,
	    PG_DIAG_SQLSTATE)) != NULL)
		snprintf(d->sqlstate, sizeof(d->sqlstate), "%s", state);
	/* Kore leaves the message empty when epoll saw the socket hang up. */
	is_log("error", d->ctx->request_id, "database: %s [%s]",
	    d->sql.error && d->sql.error[0] ? d->sql.error : "connection lost",
	    d->sqlstate);
}

/*
 * Checks a pooled connection before a query is sent on it. An idle
 * connection has nothing to read: EOF there, or a message (the FATAL a
 * server sends when it ends a session), means the server has gone away
 * since; the connection is reset now rather than failing the query.
 */
void
is_db_check_idle(struct kore_pgsql *sql)
{
	PGconn	*db;
	ssize_t	 n;
	char	 byte;

	if (sql->conn == NULL || (db = sql->conn->db) == NULL)
		return;
	if (PQstatus(db) == CONNECTION_OK) {
		n = recv(PQsocket(db), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* The message, then the EOF behind it. */
		if (n > 0 && PQconsumeInput(db))
			(void)PQconsumeInput(db);
		/* Still fine after a notice (or a TLS record): keep it. */
		if (n > 0 && PQstatus(db) == CONNECTION_OK)
			return;
	}
	PQreset(db);
	is_log("warn", NULL, "database connection was lost while idle; "
	    "reset: %s", PQstatus(db) == CONNECTION_OK ? "ok" : "still down");
}

/*
 * kore_pgsql_cleanup() that survives a connection the server dropped.
 * Kore 4.1.0 keeps a dead pooled connection forever after a server
 * restart, so it is reset once given back (shared/KORE-NOTES.md). And when
 * libpq has already closed the socket of a query in flight, Kore would ask
 * epoll to forget a descriptor that is gone and the worker would die
 * (fatal "kore_platform_disable_read"): closing it already removed it.
 */
void
is_db_cleanup(struct kore_pgsql *sql)
{
	struct pgsql_conn	*conn = sql->conn;
	int			 dead;

	dead = conn != NULL && conn->db != NULL &&
	    PQstatus(conn->db) == CONNECTION_BAD;
	if (dead && PQsocket(conn->db) == -1)
		sql->flags &= ~KORE_PGSQL_SCHEDULED;
	kore_pgsql_cleanup(sql);
	/* The connection is back in Kore's free list, still allocated. */
	if (dead) {
		PQreset(conn->db);
		is_log("warn", NULL, "database connection reset: %s",
		    PQstatus(conn->db) == CONNECTION_OK ? "ok" : "still down");
	}
}

int
is_db_poll(struct http_request *req, struct is_ctx *c)
{
	struct db_call	*d = is_ctx_part(c, &db_part);
	const char	*values[IS_DB_MAX_PARAMS];
	int		 lengths[IS_DB_MAX_PARAMS], formats[IS_DB_MAX_PARAMS], i;

	if (d->ctx == NULL)
		fatal("is_db_poll: no query was begun");
	if (d->state != IS_PENDING)
		return (d->state);
	if (!d->started) {
		if (!db_admit(req, d))
			return (IS_PENDING);
		if (!kore_pgsql_setup(&d->sql, "db", KORE_PGSQL_ASYNC)) {
			/* No free connection yet: Kore wakes us later. */
			if (d->sql.state == KORE_PGSQL_STATE_INIT)
				return (IS_PENDING);
			db_record_error(d);
			db_giveback(d);
			d->state = IS_FAILED;
			return (IS_FAILED);
		}
		is_db_check_idle(&d->sql);
		d->started = 1;
		d->holds = 1;
		db_in_use++;
		db_wake_next();
		for (i = 0; i < d->nparams; i++) {
			values[i] = d->params[i];
			lengths[i] = d->params[i] ? (int)strlen(d->params[i]) : 0;
			formats[i] = 0;
		}
		if (!kore_pgsql_query_param_fields(&d->sql, d->query, 0,
		    d->nparams, values, lengths, formats)) {
			db_record_error(d);
			db_giveback(d);
			d->state = IS_FAILED;
			return (IS_FAILED);
		}
		return (IS_PENDING);
	}
	for (;;) {
		switch (d->sql.state) {
		case KORE_PGSQL_STATE_WAIT:
			return (IS_PENDING);
		case KORE_PGSQL_STATE_RESULT:
			db_read_result(d);
			kore_pgsql_continue(&d->sql);
			break;
		case KORE_PGSQL_STATE_COMPLETE:
			db_giveback(d);
			d->state = IS_DONE;
			return (IS_DONE);
		case KORE_PGSQL_STATE_ERROR:
			db_record_error(d);
			db_giveback(d);
			d->state = IS_FAILED;
			return (IS_FAILED);
		default:
			kore_pgsql_continue(&d->sql);
			break;
		}
	}
}

int
is_db_state(struct is_ctx *c)
{
	struct db_call	*d = is_ctx_part_find(c, &db_part);

	return (d != NULL ? d->state : IS_FAILED);
}

const char *
is_db_value(struct is_ctx *c)
{
	struct db_call	*d = is_ctx_part_find(c, &db_part);

	return (d != NULL && d->state == IS_DONE ? d->value : NULL);
}

const cJSON *
is_db_doc(struct is_ctx *c)
{
	struct db_call	*d = is_ctx_part_find(c, &db_part);

	if (d == NULL || d->state != IS_DONE || d->value == NULL)
		return (NULL);
	if (!d->parsed) {
		d->doc = cJSON_Parse(d->value);
		d->parsed = 1;
	}
	return (d->doc);
}

const char *
is_db_refusal(struct is_ctx *c)
{
	return (is_json_str(is_db_doc(c), "error"));
}

void
is_db_set_result(struct is_ctx *c, const char *value, int state)
{
	struct db_call	*d = is_ctx_part(c, &db_part);

	db_giveback(d);
	db_reset(d);
	d->ctx = c;
	d->value = value != NULL ? is_strdup(value) : NULL;
	d->state = state;
}

/* Maps a failed query to a problem: constraint violations are the client's. */
int
is_db_fail_reply(struct http_request *req, struct is_ctx *c)
{
	struct db_call	*d = is_ctx_part(c, &db_part);
	const char	*st = d->sqlstate;

	if (strcmp(st, "23505") == 0)
		return (is_reply_problem(req, "conflict", NULL));
	if (strncmp(st, "23", 2) == 0 || strncmp(st, "22", 2) == 0)
		return (is_reply_problem(req, "validation", NULL));
	/*
	 * Worth retrying: serialization failures and deadlocks, lost
	 * connections (08, or no state at all), the server out of resources
	 * (53) or ending sessions (57: shutdown, terminated, timed out).
	 */
	if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 ||
	    strncmp(st, "08", 2) == 0 || strncmp(st, "53", 2) == 0 ||
	    strncmp(st, "57", 2) == 0 || st[0] == '\0')
		return (is_reply_problem(req, "service-unavailable", NULL));
	return (is_reply_problem(req, "internal", NULL));
}

/* Answers a refusal document {"error", "detail", "errors"}. */
static int
db_reply_refusal(struct http_request *req, const cJSON *doc)
{
	cJSON	*errors;

	errors = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc,
	    "errors"), 1);
	return (is_reply_problem_errors(req, is_json_str(doc, "error"),
	    is_json_str(doc, "detail"), errors));
}

/*
 * Answers with the query's jsonb value: a refusal document becomes a
 * problem, anything else is sent with status ok (204 sends no body).
 */
int
is_db_reply(struct http_request *req, struct is_ctx *c, int ok)
{
	const cJSON	*doc;

	if (is_db_state(c) != IS_DONE)
		return (is_db_fail_reply(req, c));
	if ((doc = is_db_doc(c)) == NULL) {
		if (ok == 204)
			return (is_reply_empty(req, 204));
		return (is_reply_problem(req, "not-found", NULL));
	}
	if (is_json_str(doc, "error") != NULL)
		return (db_reply_refusal(req, doc));
	if (ok == 204)
		return (is_reply_empty(req, 204));
	return (is_reply_json(req, ok, is_db_value(c)));
}

/*
 * The value of a query that is not the last step of a handler: the
 * parsed document, owned by the caller. NULL when it has already answered
 * (the database failed, there was no value, or the value is a refusal
 * document): the handler then returns KORE_RESULT_OK.
 */
cJSON *
is_db_result(struct http_request *req, struct is_ctx *c)
{
	const cJSON	*doc;

	if (is_db_state(c) != IS_DONE || (doc = is_db_doc(c)) == NULL) {
		is_db_fail_reply(req, c);
		return (NULL);
	}
	if (is_json_str(doc, "error") != NULL) {
		db_reply_refusal(req, doc);
		return (NULL);
	}
	return (cJSON_Duplicate(doc, 1));
}
