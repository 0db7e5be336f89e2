/*
 * Kore tasks for slow work (scrypt, calls to WeChat): the task is the
 * request's "task" part (ctx.h). A task writes its single answer on the
 * channel before it ends. Kore keeps the request while its task runs, so
 * the part answers IS_RELEASE_LATER until the task has finished.
 */
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "task.h"

struct task_call {
	struct kore_task	 task;
	int			 created;
	int			 state;
	char			*out;
};

static int	task_release(void *);

static const struct is_part	task_part = { "task",
				    sizeof(struct task_call), task_release };

/* Destroys the task unless Kore or a poll already did (t->req cleared). */
static int
task_release(void *arg)
{
	struct task_call	*t = arg;

	if (t->created && t->task.req != NULL) {
		if (!kore_task_finished(&t->task))
			return (IS_RELEASE_LATER);
		kore_task_destroy(&t->task);
	}
	t->created = 0;
	free(t->out);
	t->out = NULL;
	return (IS_RELEASED);
}

void
is_task_begin(struct http_request *req, struct is_ctx *c,
    int (*fn)(struct kore_task *), const void *in, u_int32_t len)
{
	struct task_call	*t = is_ctx_part(c, &task_part);
	/* Kore's channel takes a non-const pointer that it only reads. */
	union {
		const void	*in;
		void		*out;
	}			 bytes = { .in = in };

	if (t->created && t->task.req != NULL)
		fatal("is_task_begin: a task is still bound to the request");
	free(t->out);
	t->out = NULL;
	kore_task_create(&t->task, fn);
	kore_task_bind_request(&t->task, req);
	kore_task_run(&t->task);
	kore_task_channel_write(&t->task, bytes.out, len);
	t->created = 1;
	t->state = IS_PENDING;
}

int
is_task_poll(struct http_request *req, struct is_ctx *c)
{
	struct task_call	*t = is_ctx_part(c, &task_part);
	char			 buf[IS_TASK_OUT_MAX];
	u_int32_t		 n;

	if (!t->created || t->state != IS_PENDING)
		return (t->created ? t->state : IS_FAILED);
	if (kore_task_state(&t->task) != KORE_TASK_STATE_FINISHED) {
		http_request_sleep(req);
		return (IS_PENDING);
	}
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
	if (is_task_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if ((*out = is_task_output(c)) == NULL) {
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
