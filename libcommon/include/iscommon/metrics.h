/*
 * Prometheus metrics shared by all worker processes of a service: the table
 * lives in anonymous shared memory mapped by the parent before it forks.
 */
#ifndef ISCOMMON_METRICS_H
#define ISCOMMON_METRICS_H

#include <stddef.h>

#define IS_METRICS_ROUTES	96
#define IS_METRICS_BUCKETS	12
#define IS_METRICS_WORKERS	64
#define IS_METRICS_BATCH_BUCKETS	8

/* What an operator graphs first, per worker (slot: Kore's worker id). */
enum is_gauge {
	IS_GAUGE_DB_IN_USE,		/* pooled connections busy */
	IS_GAUGE_DB_WAITING,		/* requests waiting for one */
	IS_GAUGE_TASKS_RUNNING,		/* handed to task threads */
	IS_GAUGE_TASKS_WAITING,		/* waiting in a task budget */
	IS_GAUGE_OUTBOX_PENDING,	/* messaging: messages to deliver */
	IS_GAUGE_OUTBOX_OLDEST,		/* messaging: oldest one's age, s */
	IS_GAUGES
};

int	 is_metrics_init(const char *service);
void	 is_metrics_observe(const char *route, int status, double ms);
void	 is_metrics_gauge(enum is_gauge, int worker, double value);
/* A batch statement sent with this many items (check-in). */
void	 is_metrics_batch(int items);
/* Renders the exposition text (Prometheus text format 0.0.4); malloc'd. */
char	*is_metrics_render(void);
extern const double is_metrics_bounds_s[IS_METRICS_BUCKETS];

#endif
