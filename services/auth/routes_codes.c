/*
 * Verification codes: binding the university email and a Chinese mobile,
 * and password recovery through either. A code is 6 random digits, stored
 * as an HMAC bound to purpose and account, valid code_ttl seconds, for
 * code_max_attempts tries, with a resend cooldown. Comparison is constant
 * time, in C, after the database has counted the attempt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "routes.h"

int	auth_email_start(struct http_request *);
int	auth_mobile_start(struct http_request *);
int	auth_email_confirm(struct http_request *);
int	auth_mobile_confirm(struct http_request *);
int	auth_recover_start(struct http_request *);
int	auth_recover_finish(struct http_request *);

#define EMAIL_PATTERN	"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$"
#define MOBILE_PATTERN	"^1[3-9][0-9]{9}$"
#define CODE_PATTERN	"^[0-9]{6}$"

static const char *const channels[] = { "email", "mobile", NULL };

static const struct is_field email_spec[] = {
	{ "email", IS_F_STRING, 0, 6, 120, EMAIL_PATTERN, NULL },
	IS_FIELDS_END
};
static const struct is_field mobile_spec[] = {
	{ "mobile", IS_F_STRING, 1, 11, 11, MOBILE_PATTERN, NULL },
	IS_FIELDS_END
};
static const struct is_field confirm_spec[] = {
	{ "code", IS_F_STRING, 1, 6, 6, CODE_PATTERN, NULL },
	IS_FIELDS_END
};
static const struct is_field recover_start_spec[] = {
	{ "account", IS_F_STRING, 1, 4, 20, "^[A-Za-z0-9]+$", NULL },
	{ "channel", IS_F_STRING, 1, 0, 0, NULL, channels },
	IS_FIELDS_END
};
static const struct is_field recover_finish_spec[] = {
	{ "account", IS_F_STRING, 1, 4, 20, "^[A-Za-z0-9]+$", NULL },
	{ "channel", IS_F_STRING, 1, 0, 0, NULL, channels },
	{ "code", IS_F_STRING, 1, 6, 6, CODE_PATTERN, NULL },
	{ "new_password", IS_F_STRING, 1, 1, 256, NULL, NULL },
	IS_FIELDS_END
};

static const char *const sql_code_issue =
    "SELECT auth.code_issue($1::uuid, $2, $3, $4, $5, $6::int, $7::int, "
    "$8::int, $9, $10, $11, $12)";
static const char *const sql_code_attempt =
    "SELECT auth.code_attempt($1, $2)";
static const char *const sql_code_consume =
    "SELECT auth.code_consume($1::uuid, $2, $3, $4)";

static int	issue_code(struct http_request *, struct is_ctx *,
		    const char *account_id, const char *login,
		    const char *purpose, const char *target);
static int	confirm_code(struct http_request *, struct is_ctx *,
		    const char *login, const char *purpose, const char *code,
		    const char *new_password);

/* Builds the message, hashes the code and starts auth.code_issue(). */
static int
issue_code(struct http_request *req, struct is_ctx *c, const char *account_id,
    const char *login, const char *purpose, const char *target)
{
	char	code[8], hash[65], body[512];
	long	minutes = auth_conf.code_ttl / 60;

	if (is_random_digits(code, 6) == -1 ||
	    auth_code_hash(auth_conf.token_secret, purpose, login, code,
	    hash) == -1)
		return (-1);
	snprintf(body, sizeof(body),
	    "您的验证码是 %s，%ld 分钟内有效。\n"
	    "Your IS System verification code is %s. It is valid for %ld "
	    "minutes. If you did not ask for it, ignore this message.",
	    code, minutes, code, minutes);
	is_db_begin(req, c, sql_code_issue, 12, (const char *[]){
	    account_id, login, purpose, target, hash,
	    auth_num(c, auth_conf.code_ttl),
	    auth_num(c, auth_conf.code_cooldown),
	    auth_num(c, auth_conf.code_max_attempts),
	    "IS System verification code / 验证码", body, c->request_id,
	    is_client_type(req) });
	return (0);
}

static int
issue_reply(struct http_request *req, struct is_ctx *c, int status)
{
	cJSON	*doc;
	char	 retry[32];

	if (c->db_state == IS_DONE && (doc = is_db_json(c)) != NULL) {
		if (is_json_int(doc, "retry_after", 0) > 0) {
			snprintf(retry, sizeof(retry), "%ld",
			    is_json_int(doc, "retry_after", 0));
			http_response_header(req, "retry-after", retry);
		}
		cJSON_Delete(doc);
	}
	return (is_db_reply(req, c, status));
}

int
auth_email_start(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	const char	*email;
	char		 fallback[128];

	if (c->phase == 0) {
		if (is_enter(req, c, 0, NULL, email_spec) == -1)
			return (KORE_RESULT_OK);
		if (auth_student_email(c->claims.account,
		    auth_conf.email_domain, fallback, sizeof(fallback)) == -1)
			return (is_reply_problem(req, "internal", NULL));
		email = is_json_str(c->body, "email");
		if (email == NULL)
			email = fallback;
		if (!auth_conf.email_any_address &&
		    strcasecmp(email, fallback) != 0)
			return (is_reply_problem(req, "validation",
			    "only the university address may be bound"));
		if (issue_code(req, c, c->claims.sub, c->claims.account,
		    "bind-email", email) == -1)
			return (is_reply_problem(req, "internal", NULL));
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	return (issue_reply(req, c, 202));
}

int
auth_mobile_start(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (c->phase == 0) {
		if (is_enter(req, c, 0, NULL, mobile_spec) == -1)
			return (KORE_RESULT_OK);
		if (issue_code(req, c, c->claims.sub, c->claims.account,
		    "bind-mobile", is_json_str(c->body, "mobile")) == -1)
			return (is_reply_problem(req, "internal", NULL));
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	return (issue_reply(req, c, 202));
}

/*
 * Shared second half: take an attempt, compare, then (for recovery, after
 * hashing the new password in a task) consume the code. Phases 1..4.
 */
static int
confirm_code(struct http_request *req, struct is_ctx *c, const char *login,
    const char *purpose, const char *code, const char *new_password)
{
	cJSON		*doc;
	const char	*stored, *id;
	char		 want[65];

	switch (c->phase) {
	case 1:
		is_db_begin(req, c, sql_code_attempt, 2, (const char *[]){
		    login, purpose });
		c->phase = 2;
		/* FALLTHROUGH */
	case 2:
		if (is_db_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		if ((doc = is_db_result(req, c)) == NULL)
			return (KORE_RESULT_OK);
		stored = is_json_str(doc, "hash");
		id = is_json_str(doc, "id");
		if (stored == NULL || id == NULL ||
		    auth_code_hash(auth_conf.token_secret, purpose, login,
		    code, want) == -1 || !is_secure_streq(want, stored)) {
			cJSON_Delete(doc);
			return (is_reply_problem(req, "code-invalid", NULL));
		}
		c->user = is_ctx_keep(c, id);
		cJSON_Delete(doc);
		if (new_password == NULL) {
			c->phase = 4;
			return (confirm_code(req, c, login, purpose, code,
			    new_password));
		}
		auth_begin_hash(req, c, new_password);
		c->phase = 3;
		/* FALLTHROUGH */
	case 3:
		if (is_task_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		if (c->task_state == IS_FAILED)
			return (is_reply_problem(req, "internal", NULL));
		c->phase = 4;
		/* FALLTHROUGH */
	case 4:
		is_db_begin(req, c, sql_code_consume, 4, (const char *[]){
		    c->user, new_password ? c->task_out : NULL, c->request_id,
		    is_client_type(req) });
		c->phase = 5;
		/* FALLTHROUGH */
	case 5:
		if (is_db_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		/* Bindings change /me; a recovery ends every session. */
		auth_changed(new_password == NULL ? c->claims.sub : NULL);
		return (is_db_reply(req, c, 200));
	}
	return (is_reply_problem(req, "internal", NULL));
}

/* Second half of a binding: the code sent to the address or number. */
static int
bind_confirm(struct http_request *req, const char *purpose)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (c->phase == 0) {
		if (is_enter(req, c, 0, NULL, confirm_spec) == -1)
			return (KORE_RESULT_OK);
		c->phase = 1;
	}
	return (confirm_code(req, c, c->claims.account, purpose,
	    is_json_str(c->body, "code"), NULL));
}

int
auth_email_confirm(struct http_request *req)
{
	return (bind_confirm(req, "bind-email"));
}

int
auth_mobile_confirm(struct http_request *req)
{
	return (bind_confirm(req, "bind-mobile"));
}

/* Always 202: the answer never tells whether the account exists. */
int
auth_recover_start(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	const char	*purpose;

	if (c->phase == 0) {
		if (is_read_json(req, c, recover_start_spec) == -1)
			return (KORE_RESULT_OK);
		purpose = strcmp(is_json_str(c->body, "channel"), "email") == 0 ?
		    "recover-email" : "recover-mobile";
		if (issue_code(req, c, NULL, is_json_str(c->body, "account"),
		    purpose, NULL) == -1)
			return (is_reply_problem(req, "internal", NULL));
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	if (c->db_state == IS_FAILED)
		return (is_db_fail_reply(req, c));
	return (is_reply_json(req, 202, "{\"status\":\"accepted\"}"));
}

int
auth_recover_finish(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	enum auth_pw_verdict	 v;
	const char		*login;

	login = c->body ? is_json_str(c->body, "account") : NULL;
	if (c->phase == 0) {
		if (is_read_json(req, c, recover_finish_spec) == -1)
			return (KORE_RESULT_OK);
		login = is_json_str(c->body, "account");
		v = auth_password_check(is_json_str(c->body, "new_password"),
		    login, auth_conf.initial_password,
		    auth_conf.password_min_length);
		if (v != AUTH_PW_OK)
			return (auth_reply_weak_password(req,
			    auth_password_reason(v)));
		c->phase = 1;
	}
	return (confirm_code(req, c, login,
	    strcmp(is_json_str(c->body, "channel"), "email") == 0 ?
	    "recover-email" : "recover-mobile", is_json_str(c->body, "code"),
	    is_json_str(c->body, "new_password")));
}
