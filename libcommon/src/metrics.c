/*
 * Request counters and latency histograms per route and status class,
 * gauges per worker (summed, or the latest for what every worker sees
 * alike) and the sizes of batch statements. The table is mmap'ed
 * MAP_SHARED before Kore forks its workers, so any worker answering
 * /metrics sees the whole service. Updates are atomic. Names follow
 * Prometheus's conventions (base units: seconds; counters end in _total).
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
	double			gauges[IS_GAUGES][IS_METRICS_WORKERS];
	int			gauge_set[IS_GAUGES];	/* shown once set */
	unsigned long		batch_bucket[IS_METRICS_BATCH_BUCKETS];
	unsigned long		batch_sum;
	unsigned long		batch_count;
};

const double is_metrics_bounds_s[IS_METRICS_BUCKETS] = {
	0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5
};

static const int	batch_bounds[IS_METRICS_BATCH_BUCKETS] = {
	1, 2, 4, 8, 16, 32, 64, 128
};

/* Each gauge: its name, help, and whether workers' values add up. */
static const struct {
	const char	*name;
	const char	*help;
	int		 sum;
} gauges[IS_GAUGES] = {
	{ "is_db_connections_in_use", "Pooled database connections busy.", 1 },
	{ "is_db_requests_waiting", "Requests waiting for a database "
	    "connection.", 1 },
	{ "is_tasks_running", "Tasks handed to the task threads.", 1 },
	{ "is_tasks_waiting", "Tasks waiting in a task budget.", 1 },
	{ "is_outbox_pending_messages", "Emails and SMS waiting for "
	    "delivery.", 0 },
	{ "is_outbox_oldest_pending_age_seconds", "Age of the oldest message "
	    "waiting for delivery.", 0 },
};

static struct metrics_table	*table;

static struct route_stats	*route_slot(const char *);
static void			 render_gauges(struct is_buf *);
static void			 render_batches(struct is_buf *);

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
is_metrics_gauge(enum is_gauge g, int worker, double value)
{
	if (table == NULL || g < 0 || g >= IS_GAUGES || worker < 0 ||
	    worker >= IS_METRICS_WORKERS)
		return;
	/* A double is stored whole on the platforms Kore runs on. */
	__atomic_store(&table->gauges[g][worker], &value, __ATOMIC_RELAXED);
	__atomic_store_n(&table->gauge_set[g], 1, __ATOMIC_RELAXED);
}

void
is_metrics_batch(int items)
{
	int	i;

	if (table == NULL || items < 0)
		return;
	for (i = 0; i < IS_METRICS_BATCH_BUCKETS; i++) {
		if (items <= batch_bounds[i])
			__atomic_add_fetch(&table->batch_bucket[i], 1,
			    __ATOMIC_RELAXED);
	}
	__atomic_add_fetch(&table->batch_sum, (unsigned long)items,
	    __ATOMIC_RELAXED);
	__atomic_add_fetch(&table->batch_count, 1, __ATOMIC_RELAXED);
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
		if (ms / 1000.0 <= is_metrics_bounds_s[i])
			__atomic_add_fetch(&r->bucket[i], 1, __ATOMIC_RELAXED);
	}
	__atomic_add_fetch(&r->sum_us, (unsigned long)(ms * 1000),
	    __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->total, 1, __ATOMIC_RELAXED);
}

static void
render_gauges(struct is_buf *b)
{
	double	v, w;
	int	g, i;

	for (g = 0; table != NULL && g < IS_GAUGES; g++) {
		/* The outbox's only where it is measured (messaging). */
		if (!__atomic_load_n(&table->gauge_set[g], __ATOMIC_RELAXED))
			continue;
		for (i = 0, v = 0; i < IS_METRICS_WORKERS; i++) {
			__atomic_load(&table->gauges[g][i], &w,
			    __ATOMIC_RELAXED);
			v = gauges[g].sum ? v + w : (w > v ? w : v);
		}
		is_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n"
		    "%s{service=\"%s\"} %g\n", gauges[g].name, gauges[g].help,
		    gauges[g].name, gauges[g].name, table->service, v);
	}
}

static void
render_batches(struct is_buf *b)
{
	int	i;

	if (table == NULL)
		return;
	is_buf_printf(b, "# HELP is_db_batch_items Items in one batch "
	    "statement (check-in).\n# TYPE is_db_batch_items histogram\n");
	for (i = 0; i < IS_METRICS_BATCH_BUCKETS; i++)
		is_buf_printf(b, "is_db_batch_items_bucket{service=\"%s\","
		    "le=\"%d\"} %lu\n", table->service, batch_bounds[i],
		    table->batch_bucket[i]);
	is_buf_printf(b, "is_db_batch_items_bucket{service=\"%s\","
	    "le=\"+Inf\"} %lu\nis_db_batch_items_sum{service=\"%s\"} %lu\n"
	    "is_db_batch_items_count{service=\"%s\"} %lu\n", table->service,
	    table->batch_count, table->service, table->batch_sum,
	    table->service, table->batch_count);
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
	is_buf_printf(&b, "# HELP is_http_request_duration_seconds Time to "
	    "answer a request.\n"
	    "# TYPE is_http_request_duration_seconds histogram\n");
	for (i = 0; table != NULL && i < IS_METRICS_ROUTES; i++) {
		r = &table->routes[i];
		if (r->name[0] == '\0' || r->name[0] == '\x01')
			continue;
		for (j = 0; j < IS_METRICS_BUCKETS; j++) {
			is_buf_printf(&b, "is_http_request_duration_seconds_bucket{"
			    "service=\"%s\",route=\"%s\",le=\"%g\"} %lu\n",
			    table->service, r->name, is_metrics_bounds_s[j],
			    r->bucket[j]);
		}
		is_buf_printf(&b, "is_http_request_duration_seconds_bucket{"
		    "service=\"%s\",route=\"%s\",le=\"+Inf\"} %lu\n",
		    table->service, r->name, r->total);
		is_buf_printf(&b, "is_http_request_duration_seconds_sum{"
		    "service=\"%s\",route=\"%s\"} %.6f\n", table->service,
		    r->name, r->sum_us / 1e6);
		is_buf_printf(&b, "is_http_request_duration_seconds_count{"
		    "service=\"%s\",route=\"%s\"} %lu\n", table->service,
		    r->name, r->total);
	}
	render_gauges(&b);
	render_batches(&b);
	if (b.data == NULL)
		is_buf_append(&b, "", 0);
	return (b.data);
}
