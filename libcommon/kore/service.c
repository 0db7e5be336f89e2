/*
 * Start-up shared by every service module. Kore calls the module's init in
 * each worker; kore_parent_configure runs once in the parent before the
 * workers fork, which is where the shared metrics table is mapped and the
 * endpoint declarations are checked against the routes.
 */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include <kore/seccomp.h>

#include "authn.h"
#include "db.h"
#include "endpoint.h"
#include "service.h"
#include "task.h"
#include "iscommon/config.h"
#include "iscommon/generation.h"
#include "iscommon/log.h"
#include "iscommon/metrics.h"

/* libpq stats files while connecting (glibc 2.36); see KORE-NOTES. */
KORE_SECCOMP_FILTER("iscommon",
	KORE_SYSCALL_ALLOW(newfstatat),
	KORE_SYSCALL_ALLOW(statx),
	KORE_SYSCALL_ALLOW(getrandom),
	KORE_SYSCALL_ALLOW(uname),
	KORE_SYSCALL_ALLOW(sendmmsg),
	KORE_SYSCALL_ALLOW(recvmmsg),
	KORE_SYSCALL_ALLOW(poll),
	KORE_SYSCALL_ALLOW(ppoll),
	KORE_SYSCALL_ALLOW(getsockname),
	KORE_SYSCALL_ALLOW(getpeername),
	KORE_SYSCALL_ALLOW(setsockopt),
	KORE_SYSCALL_ALLOW(getsockopt),
	KORE_SYSCALL_ALLOW(socketpair),
	KORE_SYSCALL_ALLOW(madvise),
	KORE_SYSCALL_ALLOW(getdents64),
	KORE_SYSCALL_ALLOW(fstatfs),
	KORE_SYSCALL_ALLOW(faccessat),
	KORE_SYSCALL_ALLOW(faccessat2),
	KORE_SYSCALL_ALLOW(sysinfo),
	KORE_SYSCALL_ALLOW(sched_getaffinity),
	KORE_SYSCALL_ALLOW(clone3),
	KORE_SYSCALL_ALLOW(rseq),
	KORE_SYSCALL_ALLOW(set_robust_list),
	KORE_SYSCALL_ALLOW(eventfd2),
	KORE_SYSCALL_ALLOW(pipe2),
	KORE_SYSCALL_ALLOW(fcntl),
	KORE_SYSCALL_ALLOW(setpriority),
	KORE_SYSCALL_ALLOW(gettid),
	/* realloc of a large buffer (an upload being read) moves it. */
	KORE_SYSCALL_ALLOW(mremap),
	/* Kore takes one filter per module: the profile service's document
	 * store (services/profile/docstore.c) writes files in its tasks. */
	KORE_SYSCALL_ALLOW(mkdir),
	KORE_SYSCALL_ALLOW(mkdirat),
	KORE_SYSCALL_ALLOW(renameat2),
	KORE_SYSCALL_ALLOW(linkat),
	KORE_SYSCALL_ALLOW(unlinkat),
	KORE_SYSCALL_ALLOW(fsync),
	KORE_SYSCALL_ALLOW(fdatasync),
);

struct is_jwt_keys	is_keys;
static int		 service_init(const struct is_service *);
static char		*conninfo_named(const char *, const char *);
static void		 keys_reload_timer(void *, u_int64_t);

static const char	*service_name = "is";
static char		*service_conninfo;

void	kore_parent_configure(int, char **);

void
kore_parent_configure(int argc, char **argv)
{
	const char	*path;

	(void)argc;
	(void)argv;
	if ((path = getenv("IS_CONFIG")) != NULL)
		(void)is_config_load(path);
	if (is_metrics_init(is_config_get("service.name", "is")) == -1 ||
	    is_gen_init() == -1)
		kore_log(LOG_ERR, "shared memory unavailable");
	is_endpoints_check();
}

const char *
is_service_name(void)
{
	return (service_name);
}

/* The database connection string, naming the service. */
const char *
is_service_conninfo(void)
{
	return (service_conninfo);
}

static void
log_flush_timer(void *arg, u_int64_t now)
{
	(void)arg;
	(void)now;
	is_log_flush();
}

/* Each second, this worker's share of the gauges /metrics shows. */
static void
gauges_timer(void *arg, u_int64_t now)
{
	int	in_use, waiting, running, queued, id;

	(void)arg;
	(void)now;
	id = worker != NULL ? (int)worker->id : 0;
	is_db_pool_counts(&in_use, &waiting);
	is_task_counts(&running, &queued);
	is_metrics_gauge(IS_GAUGE_DB_IN_USE, id, in_use);
	is_metrics_gauge(IS_GAUGE_DB_WAITING, id, waiting);
	is_metrics_gauge(IS_GAUGE_TASKS_RUNNING, id, running);
	is_metrics_gauge(IS_GAUGE_TASKS_WAITING, id, queued);
}

/*
 * Rotating the signing key needs no restart: each worker looks at the key
 * files every second (a stat of each; per request there is nothing to do)
 * and takes them when they changed and load, whole. Verified tokens are
 * cached by token (authn.c): the cache is emptied, so a key dropped from
 * the files is no longer trusted through it either.
 */
static void
keys_reload_timer(void *arg, u_int64_t now)
{
	(void)arg;
	(void)now;
	switch (is_jwt_keys_reload(&is_keys)) {
	case 1:
		is_token_cache_clear();
		is_log("info", NULL, "JWT keys reloaded: current %s, previous "
		    "%s, signing %s", is_keys.current.kid,
		    is_keys.previous.pkey != NULL ? is_keys.previous.kid :
		    "none", is_keys.private_pem != NULL ?
		    is_keys.signing_kid : "no");
		break;
	case -1:
		is_log("error", NULL, "JWT key files changed but do not load, "
		    "the keys in use stay: %s", is_jwt_error());
		break;
	default:
		break;
	}
}

/* Every module's init function (the Kore config's "load" line). */
/*
 * The service's connection string: it names the service in
 * pg_stat_activity, and bounds connecting (which blocks the worker: Kore's
 * own pool, a reset after a lost connection) unless the operator chose a
 * connect_timeout. key=value form only: a URI takes no keywords after it.
 */
static char *
conninfo_named(const char *conninfo, const char *name)
{
	PQconninfoOption	*opts, *o;
	char			*err = NULL, *named;
	int			 timeout = 0;

	if (strncmp(conninfo, "postgres", 8) == 0 ||
	    (opts = PQconninfoParse(conninfo, &err)) == NULL) {
		is_log("error", NULL, "%s.db_conninfo: %s", name, err != NULL ?
		    err : "write it as key=value pairs, not a URI");
		PQfreemem(err);
		return (NULL);
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "connect_timeout") == 0 &&
		    o->val != NULL)
			timeout = 1;
	}
	PQconninfoFree(opts);
	if ((named = malloc(strlen(conninfo) + strlen(name) + 64)) == NULL)
		return (NULL);
	sprintf(named, "%s application_name=%s%s", conninfo, name,
	    timeout ? "" : " connect_timeout=2");
	return (named);
}

int
is_module_init(int state)
{
	if (state == KORE_MODULE_UNLOAD)
		return (KORE_RESULT_OK);
	return (service_init(&is_this_service));
}

static int
service_init(const struct is_service *svc)
{
	const char	*path, *conninfo;
	char		 key[64];

	service_name = svc->name;
	is_log_init(svc->name);
	if ((path = getenv("IS_CONFIG")) != NULL &&
	    is_config_load(path) == -1) {
		is_log("error", NULL, "cannot read config %s", path);
		return (KORE_RESULT_ERROR);
	}
	conninfo = is_config_conninfo(svc->name);
	if (conninfo == NULL) {
		is_log("error", NULL, "%s.db_conninfo is not set", svc->name);
		return (KORE_RESULT_ERROR);
	}
	/* Before registering: Kore copies the pool size into the database. */
	snprintf(key, sizeof(key), "%s.db_conn_max", svc->name);
	pgsql_conn_max = (u_int16_t)is_config_int(key,
	    is_config_int("db.conn_max", 6));
	if ((service_conninfo = conninfo_named(conninfo, svc->name)) == NULL)
		return (KORE_RESULT_ERROR);
	if (!kore_pgsql_register("db", service_conninfo))
		return (KORE_RESULT_ERROR);

	if (is_jwt_keys_load(&is_keys,
	    is_config_get("jwt.alg", "ES256"),
	    is_config_get("jwt.issuer", "is-system"),
	    is_config_get("jwt.audience", "is-api"),
	    svc->needs_private_key ?
	    is_config_get("jwt.private_key", "") : NULL,
	    is_config_get("jwt.public_key", ""),
	    is_config_get("jwt.previous_public_key", ""),
	    is_config_int("jwt.access_ttl", 900)) == -1) {
		is_log("error", NULL, "cannot load JWT keys: %s",
		    is_jwt_error());
		return (KORE_RESULT_ERROR);
	}
	kore_timer_add(keys_reload_timer, 1000, NULL, 0);
	if (svc->init != NULL && svc->init() == -1)
		return (KORE_RESULT_ERROR);
	is_db_warm("db", pgsql_conn_max);
	is_revocations_start();
	kore_timer_add(log_flush_timer, 1000, NULL, 0);
	kore_timer_add(gauges_timer, 1000, NULL, 0);
	is_log("info", NULL, "%s worker ready (JWT key %s%s%s)", svc->name,
	    is_keys.current.kid, is_keys.previous.pkey != NULL ?
	    ", previous " : "", is_keys.previous.pkey != NULL ?
	    is_keys.previous.kid : "");
	is_log_flush();
	return (KORE_RESULT_OK);
}
