/*
 * Login, token refresh, logout, sessions, /me and password change.
 *
 * Login is three steps: look the account up (hash and lockout), verify the
 * password in a task, then record the outcome and open the session in one
 * SQL function. Unknown accounts are verified against a dummy hash so the
 * answer and its timing never tell whether an account exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "routes.h"
#include "iscommon/generation.h"
#include "iscommon/log.h"

int	auth_login(struct http_request *);
int	auth_refresh(struct http_request *);
int	auth_logout(struct http_request *);
int	auth_me(struct http_request *);
int	auth_sessions(struct http_request *);
int	auth_session_revoke(struct http_request *);
int	auth_password_change(struct http_request *);

static const struct is_field login_spec[] = {
	{ "account", IS_F_STRING, 1, 1, 64, NULL, NULL },
	{ "password", IS_F_STRING, 1, 1, 256, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field refresh_spec[] = {
	{ "refresh_token", IS_F_STRING, 1, 16, 128, "^[A-Za-z0-9_-]+$", NULL },
	IS_FIELDS_END
};

static const struct is_field password_spec[] = {
	{ "current_password", IS_F_STRING, 1, 1, 256, NULL, NULL },
	{ "new_password", IS_F_STRING, 1, 1, 256, NULL, NULL },
	IS_FIELDS_END
};

static const char *const sql_login_lookup =
    "SELECT auth.login_lookup($1)";
static const char *const sql_login_finish =
    "SELECT auth.login_finish($1, $2, $3, $4, $5, $6, NULLIF($7, ''), "
    "$8::int, $9::int, $10::int, $11)";
static const char *const sql_refresh =
    "SELECT auth.refresh($1, $2, $3::int, $4, $5)";
static const char *const sql_logout =
    "SELECT auth.logout($1, $2, $3, $4)";
static const char *const sql_me = "SELECT auth.me($1, $2)";
static const char *const sql_sessions = "SELECT auth.sessions_of($1, $2)";
static const char *const sql_session_revoke =
    "SELECT auth.session_revoke($1, $2, $3, $4)";
static const char *const sql_password_of = "SELECT auth.password_of($1)";
static const char *const sql_password_set =
    "SELECT auth.password_set($1, $2, $3, $4, $5)";

/* Formats n into a string that lives as long as the request. */
char *
auth_num(struct is_ctx *c, long n)
{
	char	buf[32];

	snprintf(buf, sizeof(buf), "%ld", n);
	return (is_ctx_keep(c, buf));
}

int
auth_new_refresh(struct is_ctx *c, char **token, char hash[65])
{
	char	*t;

	if ((t = is_random_token(32)) == NULL)
		return (-1);
	if (auth_token_hash(auth_conf.token_secret, t, hash) == -1) {
		free(t);
		return (-1);
	}
	*token = is_ctx_keep(c, t);
	free(t);
	return (0);
}

int
auth_reply_weak_password(struct http_request *req, const char *reason)
{
	cJSON	*errors, *e;

	errors = cJSON_CreateArray();
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "field", "new_password");
	cJSON_AddStringToObject(e, "message", reason);
	cJSON_AddItemToArray(errors, e);
	return (is_reply_problem_errors(req, "weak-password", reason, errors));
}

/*
 * Turns the claims document of the last query into tokens. A refusal
 * document is answered as a problem instead.
 */
int
auth_reply_tokens(struct http_request *req, struct is_ctx *c,
    const char *refresh_token, int status)
{
	struct is_claims	 claims;
	cJSON			*doc, *out;
	char			*access;

	if ((doc = is_db_result(req, c)) == NULL)
		return (KORE_RESULT_OK);
	if (auth_claims_from_json(doc, &claims) == -1) {
		cJSON_Delete(doc);
		return (is_reply_problem(req, "internal", NULL));
	}
	cJSON_Delete(doc);
	if ((access = is_jwt_sign(&is_keys, &claims, time(NULL))) == NULL)
		return (is_reply_problem(req, "internal", NULL));
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "access_token", access);
	cJSON_AddStringToObject(out, "token_type", "Bearer");
	cJSON_AddNumberToObject(out, "expires_in", is_keys.ttl);
	if (refresh_token != NULL)
		cJSON_AddStringToObject(out, "refresh_token", refresh_token);
	cJSON_AddBoolToObject(out, "must_change_password",
	    claims.must_change_password);
	free(access);
	return (is_reply_obj(req, status, out));
}

int
auth_login(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	cJSON		*doc;
	const char	*hash, *account_id, *ua;
	char		*refresh, rhash[65], retry[32];
	long		 locked_for;

	switch (c->phase) {
	case 0:
		if (is_read_json(req, c, login_spec) == -1)
			return (KORE_RESULT_OK);
		is_db_begin(req, c, sql_login_lookup, 1, (const char *[]){
		    is_json_str(c->body, "account") });
		c->phase = 1;
		/* FALLTHROUGH */
	case 1:
		if (is_db_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		if ((doc = is_db_result(req, c)) == NULL)
			return (KORE_RESULT_OK);
		locked_for = is_json_int(doc, "locked_for", 0);
		if (locked_for > 0) {
			cJSON_Delete(doc);
			snprintf(retry, sizeof(retry), "%ld", locked_for);
			http_response_header(req, "retry-after", retry);
			return (is_reply_problem(req, "account-locked", NULL));
		}
		hash = is_json_str(doc, "hash");
		account_id = is_json_str(doc, "account_id");
		c->user = is_ctx_keep(c, account_id ? account_id : "");
		auth_begin_verify(req, c, is_json_str(c->body, "password"),
		    hash ? hash : auth_dummy_hash);
		cJSON_Delete(doc);
		c->phase = 2;
		/* FALLTHROUGH */
	case 2:
		if (is_task_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		if (c->task_state == IS_FAILED)
			return (is_reply_problem(req, "internal", NULL));
		if (auth_new_refresh(c, &refresh, rhash) == -1)
			return (is_reply_problem(req, "internal", NULL));
		if (!http_request_header(req, "user-agent", &ua))
			ua = "";
		is_db_begin(req, c, sql_login_finish, 11, (const char *[]){
		    is_json_str(c->body, "account"),
		    *(char *)c->user ? (char *)c->user : NULL,
		    (c->task_out[0] == '1' && *(char *)c->user) ? "t" : "f",
		    rhash, is_client_type(req), ua, "",
		    auth_num(c, auth_conf.lockout_failures),
		    auth_num(c, auth_conf.lockout_seconds),
		    auth_num(c, auth_conf.refresh_ttl), c->request_id });
		c->user = refresh;
		c->phase = 3;
		/* FALLTHROUGH */
	case 3:
		if (is_db_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		return (auth_reply_tokens(req, c, c->user, 200));
	}
	return (is_reply_problem(req, "internal", NULL));
}

int
auth_refresh(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	char		 old[65], fresh[65], *token;

	if (c->phase == 0) {
		if (is_read_json(req, c, refresh_spec) == -1)
			return (KORE_RESULT_OK);
		if (auth_token_hash(auth_conf.token_secret,
		    is_json_str(c->body, "refresh_token"), old) == -1 ||
		    auth_new_refresh(c, &token, fresh) == -1)
			return (is_reply_problem(req, "internal", NULL));
		c->user = token;
		is_db_begin(req, c, sql_refresh, 5, (const char *[]){ old,
		    fresh, auth_num(c, auth_conf.refresh_ttl), c->request_id,
		    is_client_type(req) });
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	/* A refused refresh may have revoked a token family (reuse). */
	if (c->db_state != IS_DONE || c->db_value == NULL ||
	    strstr(c->db_value, "\"error\"") != NULL)
		auth_changed(NULL);
	return (auth_reply_tokens(req, c, c->user, 200));
}

int
auth_logout(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (c->phase == 0) {
		if (is_authenticate(req, c, IS_AUTH_ALLOW_MCP) == -1)
			return (KORE_RESULT_OK);
		is_db_begin(req, c, sql_logout, 4, (const char *[]){
		    c->claims.sub, c->claims.sid, c->request_id,
		    is_client_type(req) });
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	auth_changed(c->claims.sub);
	return (is_db_reply(req, c, 204));
}

int
auth_me(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct is_gen_stamp	*stamp = (struct is_gen_stamp *)c->scratch;
	const char		*cached;
	cJSON			*doc;
	int			 refused;

	if (c->phase == 0) {
		if (is_authenticate(req, c, IS_AUTH_ALLOW_MCP) == -1)
			return (KORE_RESULT_OK);
		if ((cached = auth_me_cached(&c->claims)) != NULL)
			return (is_reply_json(req, 200, cached));
		is_gen_stamp(c->claims.sub, stamp);
		is_db_begin(req, c, sql_me, 2, (const char *[]){
		    c->claims.sub, c->claims.sid });
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	if (c->db_state == IS_DONE && (doc = is_db_json(c)) != NULL) {
		refused = is_json_str(doc, "error") != NULL;
		cJSON_Delete(doc);
		if (!refused)
			auth_me_store(&c->claims, stamp, c->db_value);
	}
	return (is_db_reply(req, c, 200));
}

int
auth_sessions(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (c->phase == 0) {
		if (is_authenticate(req, c, 0) == -1)
			return (KORE_RESULT_OK);
		is_db_begin(req, c, sql_sessions, 2, (const char *[]){
		    c->claims.sub, c->claims.sid });
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	return (is_db_reply(req, c, 200));
}

int
auth_session_revoke(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	char		 id[64];

	if (c->phase == 0) {
		if (is_authenticate(req, c, 0) == -1)
			return (KORE_RESULT_OK);
		if (is_path_tail(req, "/api/v1/auth/sessions/", id,
		    sizeof(id)) == -1 || strlen(id) != 36)
			return (is_reply_problem(req, "not-found", NULL));
		is_db_begin(req, c, sql_session_revoke, 4, (const char *[]){
		    c->claims.sub, id, c->request_id, is_client_type(req) });
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	auth_changed(c->claims.sub);
	return (is_db_reply(req, c, 204));
}

/*
 * Password change: check the policy, fetch the hash, verify the current
 * password (task), hash the new one (task), store it and answer with a new
 * access token that no longer carries must_change_password.
 */
int
auth_password_change(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	enum auth_pw_verdict	 v;
	cJSON			*doc;
	const char		*hash;

	switch (c->phase) {
	case 0:
		if (is_enter(req, c, IS_AUTH_ALLOW_MCP, NULL,
		    password_spec) == -1)
			return (KORE_RESULT_OK);
		v = auth_password_check(is_json_str(c->body, "new_password"),
		    c->claims.account, auth_conf.initial_password,
		    auth_conf.password_min_length);
		if (v != AUTH_PW_OK)
			return (auth_reply_weak_password(req,
			    auth_password_reason(v)));
		is_db_begin(req, c, sql_password_of, 1, (const char *[]){
		    c->claims.sub });
		c->phase = 1;
		/* FALLTHROUGH */
	case 1:
		if (is_db_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		if ((doc = is_db_result(req, c)) == NULL)
			return (KORE_RESULT_OK);
		hash = is_json_str(doc, "hash");
		auth_begin_verify(req, c,
		    is_json_str(c->body, "current_password"),
		    hash ? hash : auth_dummy_hash);
		cJSON_Delete(doc);
		c->phase = 2;
		/* FALLTHROUGH */
	case 2:
		if (is_task_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		if (c->task_state == IS_FAILED)
			return (is_reply_problem(req, "internal", NULL));
		if (c->task_out[0] != '1')
			return (is_reply_problem(req, "current-password-wrong",
			    NULL));
		auth_begin_hash(req, c, is_json_str(c->body, "new_password"));
		c->phase = 3;
		/* FALLTHROUGH */
	case 3:
		if (is_task_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		if (c->task_state == IS_FAILED)
			return (is_reply_problem(req, "internal", NULL));
		is_db_begin(req, c, sql_password_set, 5, (const char *[]){
		    c->claims.sub, c->task_out, c->claims.sid, c->request_id,
		    is_client_type(req) });
		c->phase = 4;
		/* FALLTHROUGH */
	case 4:
		if (is_db_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		auth_changed(c->claims.sub);
		return (auth_reply_tokens(req, c, NULL, 200));
	}
	return (is_reply_problem(req, "internal", NULL));
}

int	auth_not_found(struct http_request *);

int
auth_not_found(struct http_request *req)
{
	(void)is_ctx_get(req);
	return (is_reply_problem(req, "not-found", NULL));
}
