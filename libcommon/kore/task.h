/*
 * Slow work off the event loop (task.c): one Kore task at a time per
 * request, with bytes in and one answer out.
 */
#ifndef IS_TASK_H
#define IS_TASK_H

#include <kore/kore.h>
#include <kore/tasks.h>

#include "ctx.h"

#define IS_TASK_OUT_MAX		4096

/*
 * A share of the worker's task threads for one kind of task (scrypt): at
 * most max_running of them are handed to Kore at once (0: the threads but
 * one); up to max_waiting more wait their turn, in order; beyond that the
 * request is refused with 503. Kore gives tasks to its threads in turn,
 * busy or not, so another kind of task (a call to WeChat) waits at most
 * behind those few, never behind a flood.
 */
struct is_task_budget {
	const char	*name;
	int		 max_running;
	int		 max_waiting;
	/* Kept by task.c. */
	int		 running;
	int		 waiting;
	unsigned long	 refused;
	void		*queue;
};

/* This worker's tasks handed to Kore, and waiting in budgets (metrics). */
void		 is_task_counts(int *running, int *waiting);

/* Runs fn in a task thread; it reads in from its channel first. */
void		 is_task_begin(struct http_request *, struct is_ctx *,
		    int (*fn)(struct kore_task *), const void *in,
		    u_int32_t len);
/* The same within a budget (NULL: none). */
void		 is_task_begin_within(struct http_request *, struct is_ctx *,
		    struct is_task_budget *, int (*fn)(struct kore_task *),
		    const void *in, u_int32_t len);
/* IS_PENDING (return KORE_RESULT_RETRY), IS_DONE or IS_FAILED. */
int		 is_task_poll(struct http_request *, struct is_ctx *);
/* The task's answer (NUL-terminated), once IS_DONE. */
const char	*is_task_output(struct is_ctx *);
/*
 * For a state (endpoint.h) that waits on its task: HTTP_STATE_RETRY while
 * it runs, HTTP_STATE_COMPLETE once it has answered 500 for a failed one,
 * else 0 with the task's answer in *out.
 */
int		 is_task_wait(struct http_request *, struct is_ctx *,
		    const char **out);

#endif
