/*
 * Kore tasks for slow work (scrypt, calls to WeChat): the task is the
 * request's "task" part (ctx.h). A task writes its single answer on the
 * channel before it ends. Kore keeps the request while its task runs, so
 * the part answers IS_RELEASE_LATER until the task has finished.
 *
 * Kore hands tasks to its threads in turn, busy or not, each thread
 * running its own in order. A budget (task.h) caps how many of one kind of
 * task are handed over at once; the others wait here, in order, and a full
 * queue is refused (503). So a task of another kind waits at most behind
 * the budget's running few, never behind a whole flood of them.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "reply.h"
#include "task.h"

struct task_call {
	struct kore_task	 task;
	int			 created;
	int			 state;
	char			*out;

	/* Under a budget: counted while it runs, or queued with its input. */
	struct is_task_budget	*budget;
	int			 counted;
	int			 running;	/* in tasks_running */
	int			 queued;
	int			 busy;		/* refused: the queue was full */
	struct http_request	*req;
	int			(*fn)(struct kore_task *);
	void			*in;
	u_int32_t		 len;
	TAILQ_ENTRY(task_call)	 entry;
};

TAILQ_HEAD(task_queue, task_call);

/* This worker's tasks handed to Kore, and waiting in budgets (metrics). */
static int	tasks_running;
static int	tasks_waiting;

void
is_task_counts(int *running, int *waiting)
{
	*running = tasks_running;
	*waiting = tasks_waiting;
}

static int	task_release(void *);

static const struct is_part	task_part = { "task",
				    sizeof(struct task_call), task_release };

static struct task_queue *
budget_queue(struct is_task_budget *b)
{
	if (b->queue == NULL) {
		if ((b->queue = calloc(1, sizeof(struct task_queue))) == NULL)
			fatal("task budget: out of memory");
		TAILQ_INIT((struct task_queue *)b->queue);
	}
	return (b->queue);
}

static int
budget_max(const struct is_task_budget *b)
{
	int	n;

	/* One thread stays free for the tasks outside this budget. */
	n = b->max_running > 0 ? b->max_running : kore_task_threads - 1;
	return (n < 1 ? 1 : n);
}

/*
 * Wakes the head of the queue when a slot is free. Called whenever a slot
 * frees or the head leaves (answered, or its client gone): a wakeup lost
 * with a departed head would leave the queue waiting for ever.
 */
static void
budget_kick(struct is_task_budget *b)
{
	struct task_call	*next;

	if (b->running < budget_max(b) &&
	    (next = TAILQ_FIRST(budget_queue(b))) != NULL)
		http_request_wakeup(next->req);
}

/* Its task has ended: the budget's next waiting request may start. */
static void
budget_done(struct task_call *t)
{
	if (t->running) {
		t->running = 0;
		tasks_running--;
	}
	if (!t->counted)
		return;
	t->counted = 0;
	t->budget->running--;
	budget_kick(t->budget);
}

static void
start(struct task_call *t, struct http_request *req,
    int (*fn)(struct kore_task *), void *in, u_int32_t len)
{
	kore_task_create(&t->task, fn);
	kore_task_bind_request(&t->task, req);
	kore_task_run(&t->task);
	kore_task_channel_write(&t->task, in, len);
	t->created = 1;
	t->running = 1;
	tasks_running++;
	t->state = IS_PENDING;
	if (t->budget != NULL) {
		t->budget->running++;
		t->counted = 1;
	}
}

static void
unqueue(struct task_call *t)
{
	int	was_head;

	if (!t->queued)
		return;
	was_head = TAILQ_FIRST(budget_queue(t->budget)) == t;
	TAILQ_REMOVE(budget_queue(t->budget), t, entry);
	t->budget->waiting--;
	tasks_waiting--;
	t->queued = 0;
	/* A head that leaves passes its wakeup on. */
	if (was_head)
		budget_kick(t->budget);
	if (t->in != NULL)
		OPENSSL_cleanse(t->in, t->len);
	free(t->in);
	t->in = NULL;
}

/* Destroys the task unless Kore or a poll already did (t->req cleared). */
static int
task_release(void *arg)
{
	struct task_call	*t = arg;

	unqueue(t);
	if (t->created && t->task.req != NULL) {
		if (!kore_task_finished(&t->task))
			return (IS_RELEASE_LATER);
		kore_task_destroy(&t->task);
	}
	budget_done(t);
	t->created = 0;
	free(t->out);
	t->out = NULL;
	return (IS_RELEASED);
}

void
is_task_begin(struct http_request *req, struct is_ctx *c,
    int (*fn)(struct kore_task *), const void *in, u_int32_t len)
{
	is_task_begin_within(req, c, NULL, fn, in, len);
}

void
is_task_begin_within(struct http_request *req, struct is_ctx *c,
    struct is_task_budget *b, int (*fn)(struct kore_task *), const void *in,
    u_int32_t len)
{
	struct task_call	*t = is_ctx_part(c, &task_part);
	/* Kore's channel takes a non-const pointer that it only reads. */
	union {
		const void	*in;
		void		*out;
	}			 bytes = { .in = in };

	if ((t->created && t->task.req != NULL) || t->queued || t->counted)
		fatal("is_task_begin: a task is still bound to the request");
	free(t->out);
	t->out = NULL;
	t->budget = b;
	t->busy = 0;
	if (b == NULL || (b->running < budget_max(b) &&
	    TAILQ_EMPTY(budget_queue(b)))) {
		start(t, req, fn, bytes.out, len);
		return;
	}
	if (b->waiting >= b->max_waiting) {
		b->refused++;
		t->busy = 1;
		t->state = IS_FAILED;
		return;
	}
	/* Waits its turn; the input is kept (a password: cleansed after). */
	if ((t->in = malloc(len > 0 ? len : 1)) == NULL)
		fatal("is_task_begin: out of memory");
	memcpy(t->in, in, len);
	t->len = len;
	t->fn = fn;
	t->req = req;
	t->queued = 1;
	t->state = IS_PENDING;
	b->waiting++;
	tasks_waiting++;
	TAILQ_INSERT_TAIL(budget_queue(b), t, entry);
	budget_kick(b);
}

/* The head of the queue starts once a slot is free; the rest sleep. */
static int
queued_poll(struct http_request *req, struct task_call *t)
{
	struct is_task_budget	*b = t->budget;
	void			*in = t->in;
	u_int32_t		 len = t->len;

	if (TAILQ_FIRST(budget_queue(b)) != t || b->running >= budget_max(b)) {
		http_request_sleep(req);
		return (IS_PENDING);
	}
	t->in = NULL;
	start(t, req, t->fn, in, len);
	/* Leaving the head: the next in line starts too if there is room. */
	unqueue(t);
	OPENSSL_cleanse(in, len);
	free(in);
	http_request_sleep(req);
	return (IS_PENDING);
}

int
is_task_poll(struct http_request *req, struct is_ctx *c)
{
	struct task_call	*t = is_ctx_part(c, &task_part);
	char			 buf[IS_TASK_OUT_MAX];
	u_int32_t		 n;

	if (t->queued)
		return (queued_poll(req, t));
	if (!t->created || t->state != IS_PENDING)
		return (t->created ? t->state : IS_FAILED);
	if (kore_task_state(&t->task) != KORE_TASK_STATE_FINISHED) {
		http_request_sleep(req);
		return (IS_PENDING);
	}
	budget_done(t);
	if (kore_task_result(&t->task) != KORE_RESULT_OK) {
		kore_task_destroy(&t->task);
		t->state = IS_FAILED;
		return (IS_FAILED);
	}
	n = kore_task_channel_read(&t->task, buf, sizeof(buf) - 1);
	kore_task_destroy(&t->task);
	if (n > sizeof(buf) - 1) {
		t->state = IS_FAILED;
		return (IS_FAILED);
	}
	buf[n] = '\0';
	if ((t->out = malloc(n + 1)) == NULL) {
		t->state = IS_FAILED;
		return (IS_FAILED);
	}
	memcpy(t->out, buf, n + 1);
	t->state = IS_DONE;
	return (IS_DONE);
}

int
is_task_wait(struct http_request *req, struct is_ctx *c, const char **out)
{
	struct task_call	*t;

	if (is_task_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if ((*out = is_task_output(c)) == NULL) {
		t = is_ctx_part_find(c, &task_part);
		if (t != NULL && t->busy)
			is_reply_problem(req, "service-unavailable",
			    "too many requests of this kind at once: try again");
		else
			is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	return (0);
}

const char *
is_task_output(struct is_ctx *c)
{
	struct task_call	*t = is_ctx_part_find(c, &task_part);

	return (t != NULL && t->state == IS_DONE ? t->out : NULL);
}
