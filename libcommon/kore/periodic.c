/*
 * Periodic database work, asynchronously on a connection of its own so
 * that no request waits behind it and the event loop never blocks.
 *
 * Jobs (is_periodic_add): one statement (a SQL function) run by the first
 * worker of a service. Each instance of a service runs it: the function
 * itself makes sure two runs do not overlap (an advisory lock) and that
 * running it twice changes nothing. Its jsonb result is logged.
 *
 * Watches (is_periodic_watch): a query every worker runs with parameters
 * of the moment, its value handed back (the revocation feed, revoked.c).
 */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db.h"
#include "service.h"
#include "iscommon/log.h"
#include "iscommon/strutil.h"

#define PERIODIC_MAX_PARAMS	4

struct is_periodic {
	char			*dbname;
	char			*query;
	struct kore_pgsql	 sql;
	int			 running;
	char			*result;
	/* Watches: the parameters of the next run, and who takes the value
	 * (NULL when the query failed). Jobs: NULL, the value is logged. */
	int			(*params)(void *, const char **, int);
	void			(*done)(void *, const char *);
	void			*arg;
};

static struct is_periodic *periodic_new(const char *, const char *,
		    u_int64_t);
static void	periodic_run(void *, u_int64_t);
static void	periodic_callback(struct kore_pgsql *, void *);
static void	periodic_end(struct is_periodic *);

/* Registers database connection "name" (one connection) for query. */
static struct is_periodic *
periodic_new(const char *name, const char *query, u_int64_t interval_ms)
{
	struct is_periodic	*p;
	u_int16_t		 pool;

	p = kore_calloc(1, sizeof(*p));
	p->dbname = kore_strdup(name);
	p->query = kore_strdup(query);
	pool = pgsql_conn_max;
	pgsql_conn_max = 1;
	if (!kore_pgsql_register(name, is_service_conninfo()))
		fatal("is_periodic: cannot register %s", name);
	pgsql_conn_max = pool;
	kore_timer_add(periodic_run, interval_ms, p, 0);
	return (p);
}

/*
 * Runs query every interval_s seconds, first after one interval. Only the
 * first worker runs it; the others return at once.
 */
void
is_periodic_add(const char *name, const char *query, long interval_s)
{
	if (interval_s <= 0 || worker == NULL || worker->id != KORE_WORKER_BASE)
		return;
	(void)periodic_new(name, query, (u_int64_t)interval_s * 1000);
	is_log("info", NULL, "%s: every %ld s", name, interval_s);
}

/*
 * Runs query in this worker every interval_ms, at once first, with the
 * parameters params writes (at most 4; it returns how many); done takes
 * the value, or NULL when the run failed.
 */
void
is_periodic_watch(const char *name, const char *query, long interval_ms,
    int (*params)(void *, const char **, int),
    void (*done)(void *, const char *), void *arg)
{
	struct is_periodic	*p;

	p = periodic_new(name, query, (u_int64_t)interval_ms);
	p->params = params;
	p->done = done;
	p->arg = arg;
	periodic_run(p, 0);
}

static void
periodic_run(void *arg, u_int64_t now)
{
	struct is_periodic	*p = arg;
	const char		*values[PERIODIC_MAX_PARAMS];
	int			 n = 0, ok;

	(void)now;
	/* The last run failed (logged then), or Kore dropped a connection
	 * the server hung up on without a call back. */
	if (p->running && p->sql.conn == NULL &&
	    p->sql.state == KORE_PGSQL_STATE_ERROR) {
		is_log("error", NULL, "%s: the last run failed", p->dbname);
		kore_pgsql_cleanup(&p->sql);
		free(p->result);
		p->result = NULL;
		periodic_end(p);
	}
	if (p->running)
		return;
	kore_pgsql_init(&p->sql);
	kore_pgsql_bind_callback(&p->sql, periodic_callback, p);
	p->running = 1;
	if (kore_pgsql_setup(&p->sql, p->dbname, KORE_PGSQL_ASYNC))
		is_db_check_idle(&p->sql);
	if (p->params != NULL)
		n = p->params(p->arg, values, PERIODIC_MAX_PARAMS);
	ok = p->sql.conn != NULL && (n == 0 ?
	    kore_pgsql_query(&p->sql, p->query) :
	    kore_pgsql_query_param_fields(&p->sql, p->query, 0, n, values,
	    NULL, NULL));
	if (!ok) {
		is_log("error", NULL, "%s: %s", p->dbname,
		    p->sql.error ? p->sql.error : "no connection");
		/* Cleaning up may have ended the run already (Kore's call
		 * back with KORE_PGSQL_STATE_COMPLETE). */
		is_db_cleanup(&p->sql);
		if (p->running)
			periodic_end(p);
	}
}

/* A run is over: its value (NULL when it failed) goes where it is due. */
static void
periodic_end(struct is_periodic *p)
{
	if (p->done != NULL)
		p->done(p->arg, p->result);
	else if (p->result != NULL)
		is_log("info", NULL, "%s: %s", p->dbname, p->result);
	free(p->result);
	p->result = NULL;
	p->running = 0;
}

static void
periodic_callback(struct kore_pgsql *sql, void *arg)
{
	struct is_periodic	*p = arg;

	switch (sql->state) {
	case KORE_PGSQL_STATE_RESULT:
		if (p->result == NULL && kore_pgsql_ntuples(sql) > 0 &&
		    !PQgetisnull(sql->result, 0, 0))
			p->result = is_strdup(kore_pgsql_getvalue(sql, 0, 0));
		kore_pgsql_continue(sql);
		break;
	case KORE_PGSQL_STATE_DONE:
		kore_pgsql_continue(sql);
		break;
	case KORE_PGSQL_STATE_ERROR:
		is_log("error", NULL, "%s: %s", p->dbname,
		    sql->error ? sql->error : "connection lost");
		free(p->result);
		p->result = NULL;
		is_db_cleanup(sql);
		break;
	case KORE_PGSQL_STATE_COMPLETE:
		periodic_end(p);
		break;
	default:
		break;
	}
}
