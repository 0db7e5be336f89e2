/*
 * One asynchronous PostgreSQL round trip per call, on kore_pgsql bound to
 * the request: Kore wakes the handler on each state change and is_db_poll()
 * advances the query. Each query returns one value (a jsonb document from
 * an SQL function, by convention): row 0, column 0 is copied out.
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

#include "iskore.h"
#include "iscommon/log.h"
#include "iscommon/strutil.h"

static void	db_read_result(struct is_ctx *);
static void	db_record_error(struct is_ctx *);
static int	db_admit(struct http_request *, struct is_ctx *);
static void	db_wake_next(void);

static TAILQ_HEAD(, is_ctx)	db_waiting = TAILQ_HEAD_INITIALIZER(db_waiting);
static int			db_in_use;

/* Wakes the first waiting request when a connection is free for it. */
static void
db_wake_next(void)
{
	struct is_ctx	*next;

	if (db_in_use < pgsql_conn_max &&
	    (next = TAILQ_FIRST(&db_waiting)) != NULL)
		http_request_wakeup(next->req);
}

/* 1 when c may take a connection now; otherwise it waits its turn. */
static int
db_admit(struct http_request *req, struct is_ctx *c)
{
	if (c->db_queued) {
		if (TAILQ_FIRST(&db_waiting) != c ||
		    db_in_use >= pgsql_conn_max) {
			http_request_sleep(req);
			return (0);
		}
		TAILQ_REMOVE(&db_waiting, c, db_wait);
		c->db_queued = 0;
		return (1);
	}
	if (TAILQ_EMPTY(&db_waiting) && db_in_use < pgsql_conn_max)
		return (1);
	TAILQ_INSERT_TAIL(&db_waiting, c, db_wait);
	c->db_queued = 1;
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
 * Gives back c's connection (or its place in the queue) and lets the next
 * request in. Safe to call more than once.
 */
void
is_db_release(struct is_ctx *c)
{
	if (c->db_queued) {
		TAILQ_REMOVE(&db_waiting, c, db_wait);
		c->db_queued = 0;
	}
	if (c->db_started)
		is_db_cleanup(&c->sql);
	c->db_started = 0;
	if (c->db_holds) {
		c->db_holds = 0;
		db_in_use--;
	}
	db_wake_next();
}

void
is_db_begin(struct http_request *req, struct is_ctx *c, const char *query,
    int n, const char *const *params)
{
	int	i;

	(void)req;
	if (n > IS_DB_MAX_PARAMS)
		fatal("is_db_begin: too many parameters");
	is_db_release(c);
	for (i = 0; i < c->db_nparams; i++)
		free(c->db_params[i]);
	free(c->db_value);
	c->db_value = NULL;
	c->db_rows = 0;
	c->db_sqlstate[0] = '\0';
	c->db_query = query;
	c->db_nparams = n;
	for (i = 0; i < n; i++)
		c->db_params[i] = params[i] ? is_strdup(params[i]) : NULL;
	kore_pgsql_init(&c->sql);
	kore_pgsql_bind_request(&c->sql, req);
	c->db_state = IS_PENDING;
	c->db_started = 0;
}

static void
db_read_result(struct is_ctx *c)
{
	int	n;

	n = kore_pgsql_ntuples(&c->sql);
	c->db_rows += n;
	if (n > 0 && c->db_value == NULL &&
	    kore_pgsql_nfields(&c->sql) > 0 &&
	    !PQgetisnull(c->sql.result, 0, 0))
		c->db_value = is_strdup(kore_pgsql_getvalue(&c->sql, 0, 0));
}

static void
db_record_error(struct is_ctx *c)
{
	const char	*state;

	if (c->sql.result != NULL &&
	    (state = PQresultErrorField(c->sql.result,
	    PG_DIAG_SQLSTATE)) != NULL)
		snprintf(c->db_sqlstate, sizeof(c->db_sqlstate), "%s", state);
	/* Kore leaves the message empty when epoll saw the socket hang up. */
	is_log("error", c->request_id, "database: %s [%s]",
	    c->sql.error && c->sql.error[0] ? c->sql.error : "connection lost",
	    c->db_sqlstate);
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
	int	lengths[IS_DB_MAX_PARAMS], formats[IS_DB_MAX_PARAMS], i;

	if (c->db_state != IS_PENDING)
		return (c->db_state);
	if (!c->db_started) {
		if (!db_admit(req, c))
			return (IS_PENDING);
		if (!kore_pgsql_setup(&c->sql, "db", KORE_PGSQL_ASYNC)) {
			/* No free connection yet: Kore wakes us later. */
			if (c->sql.state == KORE_PGSQL_STATE_INIT)
				return (IS_PENDING);
			db_record_error(c);
			is_db_cleanup(&c->sql);
			c->db_state = IS_FAILED;
			db_wake_next();
			return (IS_FAILED);
		}
		is_db_check_idle(&c->sql);
		c->db_started = 1;
		c->db_holds = 1;
		db_in_use++;
		db_wake_next();
		for (i = 0; i < c->db_nparams; i++) {
			lengths[i] = c->db_params[i] ?
			    (int)strlen(c->db_params[i]) : 0;
			formats[i] = 0;
		}
		if (!kore_pgsql_query_param_fields(&c->sql, c->db_query, 0,
		    c->db_nparams, (const char **)c->db_params, lengths,
		    formats)) {
			db_record_error(c);
			is_db_release(c);
			c->db_state = IS_FAILED;
			return (IS_FAILED);
		}
		return (IS_PENDING);
	}
	for (;;) {
		switch (c->sql.state) {
		case KORE_PGSQL_STATE_WAIT:
			return (IS_PENDING);
		case KORE_PGSQL_STATE_RESULT:
			db_read_result(c);
			kore_pgsql_continue(&c->sql);
			break;
		case KORE_PGSQL_STATE_COMPLETE:
			is_db_release(c);
			c->db_state = IS_DONE;
			return (IS_DONE);
		case KORE_PGSQL_STATE_ERROR:
			db_record_error(c);
			is_db_release(c);
			c->db_state = IS_FAILED;
			return (IS_FAILED);
		default:
			kore_pgsql_continue(&c->sql);
			break;
		}
	}
}

/* The result as JSON, owned by the caller; NULL when there is none. */
cJSON *
is_db_json(struct is_ctx *c)
{
	if (c->db_value == NULL)
		return (NULL);
	return (cJSON_Parse(c->db_value));
}

/* Maps a failed query to a problem: constraint violations are the client's. */
int
is_db_fail_reply(struct http_request *req, struct is_ctx *c)
{
	if (strcmp(c->db_sqlstate, "23505") == 0)
		return (is_reply_problem(req, "conflict", NULL));
	if (strncmp(c->db_sqlstate, "23", 2) == 0 ||
	    strncmp(c->db_sqlstate, "22", 2) == 0)
		return (is_reply_problem(req, "validation", NULL));
	/*
	 * Worth retrying: serialization failures and deadlocks, lost
	 * connections (08, or no state at all), the server out of resources
	 * (53) or ending sessions (57: shutdown, terminated, timed out).
	 */
	if (strcmp(c->db_sqlstate, "40001") == 0 ||
	    strcmp(c->db_sqlstate, "40P01") == 0 ||
	    strncmp(c->db_sqlstate, "08", 2) == 0 ||
	    strncmp(c->db_sqlstate, "53", 2) == 0 ||
	    strncmp(c->db_sqlstate, "57", 2) == 0 || c->db_sqlstate[0] == '\0')
		return (is_reply_problem(req, "service-unavailable", NULL));
	return (is_reply_problem(req, "internal", NULL));
}

/*
 * Answers with the query's jsonb value: a refusal document becomes a
 * problem, anything else is sent with status ok (204 sends no body).
 */
int
is_db_reply(struct http_request *req, struct is_ctx *c, int ok)
{
	cJSON		*doc, *errors;
	const char	*code, *detail;
	int		 rc;

	if (c->db_state == IS_FAILED)
		return (is_db_fail_reply(req, c));
	if ((doc = is_db_json(c)) == NULL) {
		if (ok == 204)
			return (is_reply_empty(req, 204));
		return (is_reply_problem(req, "not-found", NULL));
	}
	if ((code = is_json_str(doc, "error")) != NULL) {
		detail = is_json_str(doc, "detail");
		errors = cJSON_DetachItemFromObject(doc, "errors");
		rc = is_reply_problem_errors(req, code, detail, errors);
		cJSON_Delete(doc);
		return (rc);
	}
	cJSON_Delete(doc);
	if (ok == 204)
		return (is_reply_empty(req, 204));
	return (is_reply_json(req, ok, c->db_value));
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
	cJSON	*doc;

	if (c->db_state == IS_FAILED || (doc = is_db_json(c)) == NULL) {
		is_db_fail_reply(req, c);
		return (NULL);
	}
	if (is_json_str(doc, "error") != NULL) {
		cJSON_Delete(doc);
		is_db_reply(req, c, 200);
		return (NULL);
	}
	return (doc);
}
