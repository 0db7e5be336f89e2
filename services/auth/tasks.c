/*
 * scrypt is deliberately slow (tens of ms): it runs in Kore task threads so
 * a login never stalls the worker's other requests. Input arrives on the
 * task channel as NUL-separated fields; the answer is written back. It runs
 * within a budget: a flood of password requests queues (then is refused),
 * so the mini-program login's call to WeChat, on which check-in depends,
 * waits at most behind the few hashes running, never behind the flood.
 */
#include <sys/resource.h>

#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "routes.h"

#define TASK_IN_MAX	1024

static int	auth_task_verify(struct kore_task *);
static int	auth_task_hash(struct kore_task *);

/* All task threads but one; the waiting line is auth.scrypt_queue_max. */
struct is_task_budget	auth_scrypt_budget = { "scrypt", 0, 64, 0, 0, 0,
			    NULL };

/*
 * Hashing threads run at a lower priority than the event loop, so a burst
 * of logins takes spare CPU and never the time of requests already served.
 */
static void
lower_priority(void)
{
	static __thread int	done;

	if (!done) {
		(void)setpriority(PRIO_PROCESS, (id_t)gettid(), 19);
		done = 1;
	}
}

static int
auth_task_verify(struct kore_task *t)
{
	char		buf[TASK_IN_MAX];
	const char	*password, *hash;
	u_int32_t	n;
	char		ok;

	lower_priority();
	n = kore_task_channel_read(t, buf, sizeof(buf) - 1);
	if (n >= sizeof(buf) - 1)
		return (KORE_RESULT_ERROR);
	buf[n] = '\0';
	password = buf;
	hash = buf + strlen(buf) + 1;
	if (hash >= buf + n)
		return (KORE_RESULT_ERROR);
	ok = is_password_verify(password, hash) ? '1' : '0';
	OPENSSL_cleanse(buf, sizeof(buf));
	kore_task_channel_write(t, &ok, 1);
	return (KORE_RESULT_OK);
}

static int
auth_task_hash(struct kore_task *t)
{
	char		buf[TASK_IN_MAX];
	char		*hash;
	u_int32_t	n;

	lower_priority();
	n = kore_task_channel_read(t, buf, sizeof(buf) - 1);
	if (n >= sizeof(buf) - 1)
		return (KORE_RESULT_ERROR);
	buf[n] = '\0';
	hash = is_password_hash(buf, &auth_conf.scrypt);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (hash == NULL)
		return (KORE_RESULT_ERROR);
	kore_task_channel_write(t, hash, (u_int32_t)strlen(hash));
	free(hash);
	return (KORE_RESULT_OK);
}

void
auth_begin_verify(struct http_request *req, struct is_ctx *c,
    const char *password, const char *hash)
{
	char	buf[TASK_IN_MAX];
	size_t	a, b;

	a = strlen(password);
	b = strlen(hash);
	if (a + b + 2 > sizeof(buf)) {
		/* Too long to be a valid password: verify an impossible one. */
		a = 0;
		b = strlen(auth_dummy_hash);
		hash = auth_dummy_hash;
	}
	memcpy(buf, password, a);
	buf[a] = '\0';
	memcpy(buf + a + 1, hash, b);
	is_task_begin_within(req, c, &auth_scrypt_budget, auth_task_verify, buf,
	    (u_int32_t)(a + b + 1));
	OPENSSL_cleanse(buf, sizeof(buf));
}

void
auth_begin_hash(struct http_request *req, struct is_ctx *c,
    const char *password)
{
	is_task_begin_within(req, c, &auth_scrypt_budget, auth_task_hash,
	    password, (u_int32_t)strlen(password));
}
