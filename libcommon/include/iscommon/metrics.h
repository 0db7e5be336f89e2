/*
 * Prometheus metrics shared by all worker processes of a service: the table
 * lives in anonymous shared memory mapped by the parent before it forks.
 */
#ifndef ISCOMMON_METRICS_H
#define ISCOMMON_METRICS_H

#include <stddef.h>

#define IS_METRICS_ROUTES	96
#define IS_METRICS_BUCKETS	12

int	 is_metrics_init(const char *service);
void	 is_metrics_observe(const char *route, int status, double ms);
/* Renders the exposition text; malloc'd. */
char	*is_metrics_render(void);
extern const double is_metrics_bounds_ms[IS_METRICS_BUCKETS];

#endif
