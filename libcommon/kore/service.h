/*
 * What every service module shares at start-up (service.c): configuration,
 * its database role's connection, the JWT keys, the start-up check of its
 * endpoints, periodic jobs (periodic.c) and health (health.c).
 */
#ifndef IS_SERVICE_H
#define IS_SERVICE_H

#include <kore/kore.h>
#include <kore/http.h>

#include "iscommon/jwt.h"

struct is_service {
	const char	*name;
	int		 needs_private_key;
	int		(*init)(void);		/* the service's own, or NULL */
};

extern struct is_jwt_keys	is_keys;

/* Each module defines what it is; Kore loads it with is_module_init. */
extern const struct is_service	is_this_service;
int		 is_module_init(int);
const char	*is_service_name(void);
/* The service's database connection string (its own role, named). */
const char	*is_service_conninfo(void);

/* A SQL function run every interval_s by the first worker (periodic.c). */
void		 is_periodic_add(const char *name, const char *query,
		    long interval_s);
/* A query run by this worker every interval_ms with the parameters params
 * writes (at most 4, it returns how many); done takes the value, or NULL
 * when the run failed. */
void		 is_periodic_watch(const char *name, const char *query,
		    long interval_ms, int (*params)(void *, const char **, int),
		    void (*done)(void *, const char *), void *arg);

/* Health, readiness and metrics (health.c), routed by every service;
 * the nginx -> Kore baseline of the benchmarks when bench.routes = 1. */
int		 is_healthz(struct http_request *);
int		 is_readyz(struct http_request *);
int		 is_metrics(struct http_request *);
int		 is_hello(struct http_request *);

#endif
