/*
 * Request counters and latency histograms per route and status class.
 * The table is mmap'ed MAP_SHARED before Kore forks its workers, so any
 * worker answering /metrics sees the whole service. Updates are atomic adds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iscommon/metrics.h"
#include "iscommon/strutil.h"

#define ROUTE_NAME_LEN	64
#define STATUS_CLASSES	5	/* 1xx..5xx */

struct route_stats {
	char			name[ROUTE_NAME_LEN];
	unsigned long		count[STATUS_CLASSES];
	unsigned long		bucket[IS_METRICS_BUCKETS];
	unsigned long		sum_us;
	unsigned long		total;
};

struct metrics_table {
	char			service[32];
	struct route_stats	routes[IS_METRICS_ROUTES];
};

const double is_metrics_bounds_ms[IS_METRICS_BUCKETS] = {
	0.5, 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 5000
};

static struct metrics_table	*table;

static struct route_stats	*route_slot(const char *);

int
is_metrics_init(const char *service)
{
	if (table != NULL)
		return (0);
	if ((table = is_shared_zalloc(sizeof(*table))) == NULL)
		return (-1);
	snprintf(table->service, sizeof(table->service), "%s", service);
	return (0);
}

static struct route_stats *
route_slot(const char *route)
{
	struct route_stats	*r;
	int			 i;

	/*
	 * Slots are claimed with a compare-and-swap on the first byte so two
	 * workers never take the same empty slot for different routes.
	 */
	for (i = 0; i < IS_METRICS_ROUTES; i++) {
		r = &table->routes[i];
		if (r->name[0] == '\0') {
			char expected = '\0';
			if (__atomic_compare_exchange_n(&r->name[0], &expected,
			    '\x01', 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				snprintf(r->name + 1, ROUTE_NAME_LEN - 1, "%s",
				    route + 1);
				__atomic_store_n(&r->name[0], route[0],
				    __ATOMIC_RELEASE);
				return (r);
			}
		}
		while (__atomic_load_n(&r->name[0], __ATOMIC_ACQUIRE) == '\x01')
			;
		if (strncmp(r->name, route, ROUTE_NAME_LEN - 1) == 0)
			return (r);
	}
	return (NULL);
}

void
is_metrics_observe(const char *route, int status, double ms)
{
	struct route_stats	*r;
	int			 i, cls;

	if (table == NULL || route == NULL || route[0] == '\0' ||
	    (r = route_slot(route)) == NULL)
		return;
	cls = status / 100 - 1;
	if (cls < 0 || cls >= STATUS_CLASSES)
		cls = STATUS_CLASSES - 1;
	__atomic_add_fetch(&r->count[cls], 1, __ATOMIC_RELAXED);
	for (i = 0; i < IS_METRICS_BUCKETS; i++) {
		if (ms <= is_metrics_bounds_ms[i])
			__atomic_add_fetch(&r->bucket[i], 1, __ATOMIC_RELAXED);
	}
	__atomic_add_fetch(&r->sum_us, (unsigned long)(ms * 1000),
	    __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->total, 1, __ATOMIC_RELAXED);
}

char *
is_metrics_render(void)
{
	struct is_buf		 b;
	struct route_stats	*r;
	int			 i, j;

	is_buf_init(&b);
	is_buf_printf(&b, "# HELP is_http_requests_total Requests answered.\n"
	    "# TYPE is_http_requests_total counter\n");
	for (i = 0; table != NULL && i < IS_METRICS_ROUTES; i++) {
		r = &table->routes[i];
		if (r->name[0] == '\0' || r->name[0] == '\x01')
			continue;
		for (j = 0; j < STATUS_CLASSES; j++) {
			is_buf_printf(&b, "is_http_requests_total{service=\"%s\","
			    "route=\"%s\",code=\"%dxx\"} %lu\n", table->service,
			    r->name, j + 1, r->count[j]);
		}
	}
	is_buf_printf(&b, "# HELP is_http_request_duration_ms Latency.\n"
	    "# TYPE is_http_request_duration_ms histogram\n");
	for (i = 0; table != NULL && i < IS_METRICS_ROUTES; i++) {
		r = &table->routes[i];
		if (r->name[0] == '\0' || r->name[0] == '\x01')
			continue;
		for (j = 0; j < IS_METRICS_BUCKETS; j++) {
			is_buf_printf(&b, "is_http_request_duration_ms_bucket{"
			    "service=\"%s\",route=\"%s\",le=\"%g\"} %lu\n",
			    table->service, r->name, is_metrics_bounds_ms[j],
			    r->bucket[j]);
		}
		is_buf_printf(&b, "is_http_request_duration_ms_bucket{"
		    "service=\"%s\",route=\"%s\",le=\"+Inf\"} %lu\n",
		    table->service, r->name, r->total);
		is_buf_printf(&b, "is_http_request_duration_ms_sum{service=\"%s\","
		    "route=\"%s\"} %.3f\n", table->service, r->name,
		    r->sum_us / 1000.0);
		is_buf_printf(&b, "is_http_request_duration_ms_count{"
		    "service=\"%s\",route=\"%s\"} %lu\n", table->service,
		    r->name, r->total);
	}
	if (b.data == NULL)
		is_buf_append(&b, "", 0);
	return (b.data);
}
