/*
 * Verification codes: binding the university email and a Chinese mobile,
 * and password recovery through either. A code is 6 random digits, stored
 * as an HMAC bound to purpose and account, valid code_ttl seconds, for
 * code_max_attempts tries, with a resend cooldown. Comparison is constant
 * time, in C, after the database has counted the attempt.
 *
 * Sending a code is one query (code_send); confirming one is a state
 * machine: take an attempt and compare, hash the new password (recovery
 * only), consume the code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "routes.h"

#define EMAIL_PATTERN	"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$"
#define MOBILE_PATTERN	"^1[3-9][0-9]{9}$"
#define CODE_PATTERN	"^[0-9]{6}$"
#define LOGIN_PATTERN	"^[A-Za-z0-9]+$"

static const char *const	channels[] = { "email", "mobile", NULL };

static const struct is_field	email_spec[] = {
	{ "email", IS_F_STRING, 0, 6, 120, EMAIL_PATTERN, NULL },
	IS_FIELDS_END
};
static const struct is_field	mobile_spec[] = {
	{ "mobile", IS_F_STRING, 1, 11, 11, MOBILE_PATTERN, NULL },
	IS_FIELDS_END
};
static const struct is_field	confirm_spec[] = {
	{ "code", IS_F_STRING, 1, 6, 6, CODE_PATTERN, NULL },
	IS_FIELDS_END
};
static const struct is_field	recover_start_spec[] = {
	{ "account", IS_F_STRING, 1, 4, 20, LOGIN_PATTERN, NULL },
	{ "channel", IS_F_STRING, 1, 0, 0, NULL, channels },
	IS_FIELDS_END
};
static const struct is_field	recover_finish_spec[] = {
	{ "account", IS_F_STRING, 1, 4, 20, LOGIN_PATTERN, NULL },
	{ "channel", IS_F_STRING, 1, 0, 0, NULL, channels },
	{ "code", IS_F_STRING, 1, 6, 6, CODE_PATTERN, NULL },
	{ "new_password", IS_F_STRING, 1, 1, 256, NULL, NULL },
	IS_FIELDS_END
};

static const char *const	sql_code_issue =
    "SELECT auth.code_issue($1::uuid, $2, $3, $4, $5, $6::int, $7::int, "
    "$8::int, $9, $10, $11, $12, $13::uuid, $14::int, $15)";
static const char *const	sql_code_attempt =
    "SELECT auth.code_attempt($1, $2, $3::int)";
static const char *const	sql_code_consume =
    "SELECT auth.code_consume($1::uuid, $2, $3, $4)";

/* What a code is for, as endpoints declare it (.data). */
enum code_use { CODE_BIND_EMAIL, CODE_BIND_MOBILE, CODE_RECOVER };

static const enum code_use	use_email = CODE_BIND_EMAIL;
static const enum code_use	use_mobile = CODE_BIND_MOBILE;
static const enum code_use	use_recover = CODE_RECOVER;

/* A confirmation in progress: whose code, which one it matched. */
struct code_flow {
	const char	*login;
	const char	*purpose;
	char		 code_id[40];
};

static const struct is_part	flow_part = { "code",
				    sizeof(struct code_flow), NULL };

static enum code_use
code_use(struct is_ctx *c)
{
	return (*(const enum code_use *)c->ep->data);
}

/* The stored purpose: a binding, or a recovery through a channel. */
static const char *
code_purpose(struct is_ctx *c)
{
	switch (code_use(c)) {
	case CODE_BIND_EMAIL:
		return ("bind-email");
	case CODE_BIND_MOBILE:
		return ("bind-mobile");
	case CODE_RECOVER:
		break;
	}
	return (strcmp(is_json_str(c->body, "channel"), "email") == 0 ?
	    "recover-email" : "recover-mobile");
}

/* ------------------------------------------------------------------ */
/* Sending */

enum { SEND_START, SEND_ANSWER };

/* Where a binding code goes: the university address unless any is
 * allowed, or the number given. -1 when it has answered. */
static int
send_target(struct http_request *req, struct is_ctx *c, const char **out)
{
	const char	*email;
	char		 fallback[128];

	if (code_use(c) == CODE_BIND_MOBILE) {
		*out = is_json_str(c->body, "mobile");
		return (0);
	}
	if (auth_student_email(c->claims.account, auth_conf.email_domain,
	    fallback, sizeof(fallback)) == -1) {
		is_reply_problem(req, "internal", NULL);
		return (-1);
	}
	if ((email = is_json_str(c->body, "email")) == NULL)
		email = fallback;
	if (!auth_conf.email_any_address && strcasecmp(email, fallback) != 0) {
		is_reply_problem(req, "validation",
		    "only the university address may be bound");
		return (-1);
	}
	*out = is_ctx_keep(c, email);
	return (0);
}

/* Builds the message, hashes the code and starts auth.code_issue(). */
static int
send_start(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	const char	*login, *target = NULL, *account = NULL, *purpose;
	char		 code[8], hash[65], body[512];
	long		 minutes = auth_conf.code_ttl / 60;

	if (code_use(c) == CODE_RECOVER) {
		login = is_json_str(c->body, "account");
	} else {
		login = c->claims.account;
		account = c->claims.sub;
		if (send_target(req, c, &target) == -1)
			return (HTTP_STATE_COMPLETE);
	}
	purpose = code_purpose(c);
	if (is_random_digits(code, 6) == -1 ||
	    auth_code_hash(auth_conf.token_secret, purpose, login, code,
	    hash) == -1) {
		is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	snprintf(body, sizeof(body),
	    "您的验证码是 %s，%ld 分钟内有效。\n"
	    "Your IS System verification code is %s. It is valid for %ld "
	    "minutes. If you did not ask for it, ignore this message.",
	    code, minutes, code, minutes);
	is_db_begin(req, c, sql_code_issue, 15, (const char *[]){
	    account, login, purpose, target, hash,
	    is_ctx_keep_num(c, auth_conf.code_ttl),
	    is_ctx_keep_num(c, auth_conf.code_cooldown),
	    is_ctx_keep_num(c, auth_conf.code_max_attempts),
	    "IS System verification code / 验证码", body, c->request_id,
	    is_client_type(req), account != NULL ? c->claims.sid : NULL,
	    is_ctx_keep_num(c, auth_conf.code_daily_per_recipient),
	    is_client_address(req) });
	req->fsm_state = SEND_ANSWER;
	return (HTTP_STATE_CONTINUE);
}

/*
 * A binding tells when a code may be sent again. A recovery always
 * answers 202: it never tells whether the account exists.
 */
static int
send_answer(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	char		 retry[32];
	long		 after;

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if (code_use(c) == CODE_RECOVER) {
		if (is_db_state(c) != IS_DONE)
			is_db_fail_reply(req, c);
		else
			is_reply_json(req, 202, "{\"status\":\"accepted\"}");
		return (HTTP_STATE_COMPLETE);
	}
	if ((after = is_json_int(is_db_doc(c), "retry_after", 0)) > 0) {
		snprintf(retry, sizeof(retry), "%ld", after);
		http_response_header(req, "retry-after", retry);
	}
	is_db_reply(req, c, 202);
	return (HTTP_STATE_COMPLETE);
}

/* ------------------------------------------------------------------ */
/* Confirming */

enum { CONFIRM_ATTEMPT, CONFIRM_COMPARE, CONFIRM_CONSUME, CONFIRM_ANSWER };

/* A recovery's new password must meet the policy before any attempt. */
static int
recover_check(struct http_request *req, struct is_ctx *c)
{
	enum auth_pw_verdict	v;

	v = auth_password_check(is_json_str(c->body, "new_password"),
	    is_json_str(c->body, "account"), auth_conf.initial_password,
	    auth_conf.password_min_length);
	if (v != AUTH_PW_OK) {
		auth_reply_weak_password(req, auth_password_reason(v));
		return (-1);
	}
	return (0);
}

static int
confirm_attempt(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct code_flow	*f = is_ctx_part(c, &flow_part);

	f->login = code_use(c) == CODE_RECOVER ?
	    is_json_str(c->body, "account") : c->claims.account;
	f->purpose = code_purpose(c);
	is_db_begin(req, c, sql_code_attempt, 3, (const char *[]){ f->login,
	    f->purpose, is_ctx_keep_num(c, auth_conf.code_daily_attempts) });
	req->fsm_state = CONFIRM_COMPARE;
	return (HTTP_STATE_CONTINUE);
}

static int
confirm_compare(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct code_flow	*f = is_ctx_part(c, &flow_part);
	cJSON			*doc;
	const char		*stored, *id;
	char			 want[65];

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if ((doc = is_db_result(req, c)) == NULL)
		return (HTTP_STATE_COMPLETE);
	stored = is_json_str(doc, "hash");
	id = is_json_str(doc, "id");
	if (stored == NULL || id == NULL ||
	    auth_code_hash(auth_conf.token_secret, f->purpose, f->login,
	    is_json_str(c->body, "code"), want) == -1 ||
	    !is_secure_streq(want, stored)) {
		cJSON_Delete(doc);
		is_reply_problem(req, "code-invalid", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	snprintf(f->code_id, sizeof(f->code_id), "%s", id);
	cJSON_Delete(doc);
	if (code_use(c) == CODE_RECOVER)
		auth_begin_hash(req, c, is_json_str(c->body, "new_password"));
	req->fsm_state = CONFIRM_CONSUME;
	return (HTTP_STATE_CONTINUE);
}

static int
confirm_consume(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct code_flow	*f = is_ctx_part(c, &flow_part);
	const char		*hash = NULL;
	int			 rc;

	if (code_use(c) == CODE_RECOVER) {
		if ((rc = is_task_wait(req, c, &hash)) != 0)
			return (rc);
	}
	is_db_begin(req, c, sql_code_consume, 4, (const char *[]){
	    f->code_id, hash, c->request_id, is_client_type(req) });
	req->fsm_state = CONFIRM_ANSWER;
	return (HTTP_STATE_CONTINUE);
}

static int
confirm_answer(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	/* Bindings change /me; a recovery ends every session. */
	auth_changed(code_use(c) == CODE_RECOVER ? NULL : c->claims.sub);
	is_db_reply(req, c, 200);
	return (HTTP_STATE_COMPLETE);
}

/* The state machines of the endpoints below. */
static struct http_state	send_states[] = {
	KORE_HTTP_STATE(send_start),
	KORE_HTTP_STATE(send_answer),
};

static struct http_state	confirm_states[] = {
	KORE_HTTP_STATE(confirm_attempt),
	KORE_HTTP_STATE(confirm_compare),
	KORE_HTTP_STATE(confirm_consume),
	KORE_HTTP_STATE(confirm_answer),
};

const struct is_endpoint	auth_code_endpoints[] = {
	{ .name = "email_start", .route = AUTH_PREFIX "me/email",
	  .method = HTTP_METHOD_POST, .guard = &auth_session_fresh,
	  .body = email_spec, IS_STATES(send_states), .data = &use_email },
	{ .name = "email_confirm", .route = AUTH_PREFIX "me/email/confirm",
	  .method = HTTP_METHOD_POST, .guard = &auth_session_live,
	  .body = confirm_spec, IS_STATES(confirm_states),
	  .data = &use_email },
	{ .name = "mobile_start", .route = AUTH_PREFIX "me/mobile",
	  .method = HTTP_METHOD_POST, .guard = &auth_session_fresh,
	  .body = mobile_spec, IS_STATES(send_states), .data = &use_mobile },
	{ .name = "mobile_confirm", .route = AUTH_PREFIX "me/mobile/confirm",
	  .method = HTTP_METHOD_POST, .guard = &auth_session_live,
	  .body = confirm_spec, IS_STATES(confirm_states),
	  .data = &use_mobile },
	{ .name = "recover_start", .route = AUTH_PREFIX "password/recover",
	  .method = HTTP_METHOD_POST, .flags = IS_PUBLIC,
	  .body = recover_start_spec, IS_STATES(send_states),
	  .data = &use_recover },
	{ .name = "recover_finish", .route = AUTH_PREFIX "password/reset",
	  .method = HTTP_METHOD_POST, .flags = IS_PUBLIC,
	  .body = recover_finish_spec, .check = recover_check,
	  IS_STATES(confirm_states), .data = &use_recover },
	IS_ENDPOINTS_END
};
