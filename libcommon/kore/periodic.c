/*
 * Periodic database jobs: one statement (a SQL function) run every so often
 * by the first worker of a service, asynchronously on a connection of its
 * own, so that no request waits behind it and the event loop never blocks.
 * Each instance of a service runs the job: the function itself makes sure
 * two runs do not overlap (an advisory lock) and that running it twice
 * changes nothing. Its jsonb result is logged.
 */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db.h"
#include "service.h"
#include "iscommon/log.h"
#include "iscommon/strutil.h"

struct is_periodic {
	char			*dbname;
	char			*query;
	struct kore_pgsql	 sql;
	int			 running;
	char			*result;
};

static void	periodic_run(void *, u_int64_t);
static void	periodic_callback(struct kore_pgsql *, void *);

/*
 * Runs query on database connection "name" (registered here, one
 * connection) every interval_s seconds, first after one interval. Only the
 * first worker runs it; the others return at once.
 */
void
is_periodic_add(const char *name, const char *query, long interval_s)
{
	struct is_periodic	*p;
	u_int16_t		 pool;

	if (interval_s <= 0 || worker == NULL || worker->id != KORE_WORKER_BASE)
		return;
	p = kore_calloc(1, sizeof(*p));
	p->dbname = kore_strdup(name);
	p->query = kore_strdup(query);
	pool = pgsql_conn_max;
	pgsql_conn_max = 1;
	if (!kore_pgsql_register(name, is_service_conninfo()))
		fatal("is_periodic_add: cannot register %s", name);
	pgsql_conn_max = pool;
	kore_timer_add(periodic_run, (u_int64_t)interval_s * 1000, p, 0);
	is_log("info", NULL, "%s: every %ld s", name, interval_s);
}

static void
periodic_run(void *arg, u_int64_t now)
{
	struct is_periodic	*p = arg;

	(void)now;
	/* Kore drops a connection the server hung up on without a call back. */
	if (p->running && p->sql.conn == NULL &&
	    p->sql.state == KORE_PGSQL_STATE_ERROR) {
		is_log("error", NULL, "%s: connection lost", p->dbname);
		kore_pgsql_cleanup(&p->sql);
		p->running = 0;
	}
	if (p->running)
		return;
	kore_pgsql_init(&p->sql);
	kore_pgsql_bind_callback(&p->sql, periodic_callback, p);
	p->running = 1;
	if (kore_pgsql_setup(&p->sql, p->dbname, KORE_PGSQL_ASYNC))
		is_db_check_idle(&p->sql);
	if (p->sql.conn == NULL || !kore_pgsql_query(&p->sql, p->query)) {
		is_log("error", NULL, "%s: %s", p->dbname,
		    p->sql.error ? p->sql.error : "no connection");
		is_db_cleanup(&p->sql);
		p->running = 0;
	}
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
		is_db_cleanup(sql);
		break;
	case KORE_PGSQL_STATE_COMPLETE:
		if (p->result != NULL)
			is_log("info", NULL, "%s: %s", p->dbname, p->result);
		free(p->result);
		p->result = NULL;
		p->running = 0;
		break;
	default:
		break;
	}
}
