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

#define SESSIONS	AUTH_PREFIX "sessions/"

static const struct is_field	login_spec[] = {
	{ "account", IS_F_STRING, 1, 1, 64, NULL, NULL },
	{ "password", IS_F_STRING, 1, 1, 256, NULL, NULL },
	/* From an earlier login of this browser (the "known" lane). */
	{ "device_token", IS_F_STRING, 0, 20, 64, "^[A-Za-z0-9_-]+$", NULL },
	IS_FIELDS_END
};

static const struct is_field	refresh_spec[] = {
	{ "refresh_token", IS_F_STRING, 1, 16, 128, "^[A-Za-z0-9_-]+$", NULL },
	IS_FIELDS_END
};

static const struct is_field	reauth_spec[] = {
	{ "current_password", IS_F_STRING, 1, 1, 256, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field	password_spec[] = {
	{ "current_password", IS_F_STRING, 1, 1, 256, NULL, NULL },
	{ "new_password", IS_F_STRING, 1, 1, 256, NULL, NULL },
	IS_FIELDS_END
};

static const char *const	sql_login_lookup =
    "SELECT auth.login_lookup($1, $2, $3, $4::int, $5::int)";
static const char *const	sql_login_finish =
    "SELECT auth.login_finish($1, $2::uuid, $3::bool, $4, $5, $6, $7, $8, "
    "$9, $10, $11::int[], $12::int, $13)";
static const char *const	sql_refresh =
    "SELECT auth.refresh($1, $2, $3::int, $4, $5)";
static const char *const	sql_me = "SELECT auth.me($1, $2)";
static const char *const	sql_password_of =
    "SELECT auth.password_of($1, $2::int, $3::int)";
static const char *const	sql_password_set =
    "SELECT auth.password_set($1, $2, $3, $4, $5)";
static const char *const	sql_session_reauth =
    "SELECT auth.session_reauth($1, $2, $3, $4)";
static const char *const	sql_password_failed =
    "SELECT auth.password_failed($1, $2::int, $3::int, $4, $5)";

static int	reauth_seconds_arg(struct http_request *, struct is_ctx *,
		    const char **);

const struct is_guard	auth_session_live = {
	"SELECT auth.session_guard($1, $2, 0)",
	{ IS_ARG_CALLER, IS_ARG_SESSION }
};

const struct is_guard	auth_session_fresh = {
	"SELECT auth.session_guard($1, $2, $3::int)",
	{ IS_ARG_CALLER, IS_ARG_SESSION, IS_ARG_FN(reauth_seconds_arg) }
};

static int
reauth_seconds_arg(struct http_request *req, struct is_ctx *c,
    const char **out)
{
	(void)req;
	*out = is_ctx_keep_num(c, auth_conf.reauth_seconds);
	return (0);
}

/* What a login or /me carries between steps. */
struct session_flow {
	char			 account_id[40];	/* "" when unknown */
	char			 lane[16];		/* login lane */
	char			 device_hash[65];	/* "" when none */
	struct is_gen_stamp	 stamp;			/* /me */
};

/* A device token a login issues (the browser keeps it for next time). */
struct device {
	const char	*token;		/* kept */
};

static const struct is_part	device_part = { "device",
				    sizeof(struct device), NULL };

static const struct is_part	flow_part = { "session",
				    sizeof(struct session_flow), NULL };

/* The refresh token a login, a refresh or a scan login answers with. */
struct refresh {
	const char	*token;		/* kept */
};

static const struct is_part	refresh_part = { "refresh",
				    sizeof(struct refresh), NULL };

int
auth_new_refresh(struct is_ctx *c, char hash[65])
{
	struct refresh	*r = is_ctx_part(c, &refresh_part);
	char		*t;

	if ((t = is_random_token(32)) == NULL)
		return (-1);
	if (auth_token_hash(auth_conf.token_secret, "refresh", t, hash) == -1) {
		free(t);
		return (-1);
	}
	r->token = is_ctx_keep(c, t);
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

int
auth_reply_tokens(struct http_request *req, struct is_ctx *c, int status)
{
	struct refresh		*r = is_ctx_part_find(c, &refresh_part);
	struct device		*dev = is_ctx_part_find(c, &device_part);
	struct is_claims	 claims;
	cJSON			*doc, *out;
	char			*access;
	int			 issued;

	if ((doc = is_db_result(req, c)) == NULL)
		return (KORE_RESULT_OK);
	if (auth_claims_from_json(doc, &claims) == -1) {
		cJSON_Delete(doc);
		return (is_reply_problem(req, "internal", NULL));
	}
	issued = is_json_bool(doc, "device_token_issued", 0);
	cJSON_Delete(doc);
	if ((access = is_jwt_sign(&is_keys, &claims, time(NULL))) == NULL)
		return (is_reply_problem(req, "internal", NULL));
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "access_token", access);
	cJSON_AddStringToObject(out, "token_type", "Bearer");
	cJSON_AddNumberToObject(out, "expires_in", is_keys.ttl);
	if (r != NULL && r->token != NULL)
		cJSON_AddStringToObject(out, "refresh_token", r->token);
	cJSON_AddBoolToObject(out, "must_change_password",
	    claims.must_change_password);
	if (dev != NULL && dev->token != NULL && issued)
		cJSON_AddStringToObject(out, "device_token", dev->token);
	free(access);
	return (is_reply_obj(req, status, out));
}

int
auth_state_tokens(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	auth_reply_tokens(req, c, 200);
	return (HTTP_STATE_COMPLETE);
}

/* Answers 429 with Retry-After when the doc says to wait: "locked_for"
 * seconds (proving the password in a session), or "wait" seconds, locked
 * or slowed down (a login); 1 when it has. */
static int
reply_if_locked(struct http_request *req, const cJSON *doc)
{
	char	retry[32];
	long	wait;
	int	locked;

	wait = is_json_int(doc, "locked_for", 0);
	locked = wait > 0 || is_json_bool(doc, "locked", 0);
	if (wait <= 0)
		wait = is_json_int(doc, "wait", 0);
	if (wait <= 0)
		return (0);
	snprintf(retry, sizeof(retry), "%ld", wait);
	http_response_header(req, "retry-after", retry);
	is_reply_problem(req, locked ? "account-locked" : "login-slow-down",
	    NULL);
	return (1);
}

/* Asks for the caller's stored password and whether proving it must wait. */
static void
begin_password_of(struct http_request *req, struct is_ctx *c)
{
	is_db_begin(req, c, sql_password_of, 3, (const char *[]){
	    c->claims.sub, is_ctx_keep_num(c, auth_conf.lockout_slow_after),
	    is_ctx_keep_num(c, auth_conf.lockout_slow_seconds) });
}

/*
 * Waits for the check of the current password (auth_begin_verify). 1 when
 * it was right. 0 when it was wrong: that counts as a failed login
 * (password_failed) and the request goes on to state wrong, which is
 * password_wrong. -1 while waiting or on failure. *rc is what the state
 * returns unless the password was right.
 */
static int
password_proved(struct http_request *req, struct is_ctx *c, int wrong,
    int *rc)
{
	const char	*out;

	if ((*rc = is_task_wait(req, c, &out)) != 0)
		return (-1);
	if (out[0] == '1')
		return (1);
	is_db_begin(req, c, sql_password_failed, 5, (const char *[]){
	    c->claims.sub, is_ctx_keep_num(c, auth_conf.lockout_failures),
	    is_ctx_keep_num(c, auth_conf.lockout_seconds), c->request_id,
	    is_client_type(req) });
	req->fsm_state = wrong;
	*rc = HTTP_STATE_CONTINUE;
	return (0);
}

static int
password_wrong(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	is_reply_problem(req, "current-password-wrong", NULL);
	return (HTTP_STATE_COMPLETE);
}

/* ------------------------------------------------------------------ */
/* Login */

enum { LOGIN_LOOKUP, LOGIN_VERIFY, LOGIN_FINISH, LOGIN_TOKENS };

static int
login_lookup(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct session_flow	*f = is_ctx_part(c, &flow_part);
	const char		*dev = is_json_str(c->body, "device_token");

	if (dev != NULL && auth_token_hash(auth_conf.token_secret, "device",
	    dev, f->device_hash) == -1) {
		is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	is_db_begin(req, c, sql_login_lookup, 5, (const char *[]){
	    is_json_str(c->body, "account"),
	    f->device_hash[0] != '\0' ? f->device_hash : NULL,
	    is_client_address(req),
	    is_ctx_keep_num(c, auth_conf.lockout_slow_after),
	    is_ctx_keep_num(c, auth_conf.lockout_slow_seconds) });
	req->fsm_state = LOGIN_VERIFY;
	return (HTTP_STATE_CONTINUE);
}

static int
login_verify(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct session_flow	*f = is_ctx_part(c, &flow_part);
	cJSON			*doc;
	const char		*hash, *account_id;

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if ((doc = is_db_result(req, c)) == NULL)
		return (HTTP_STATE_COMPLETE);
	if (reply_if_locked(req, doc)) {
		cJSON_Delete(doc);
		return (HTTP_STATE_COMPLETE);
	}
	hash = is_json_str(doc, "hash");
	account_id = is_json_str(doc, "account_id");
	snprintf(f->account_id, sizeof(f->account_id), "%s",
	    account_id != NULL ? account_id : "");
	snprintf(f->lane, sizeof(f->lane), "%s",
	    is_json_str(doc, "lane") != NULL ? is_json_str(doc, "lane") :
	    "unknown");
	auth_begin_verify(req, c, is_json_str(c->body, "password"),
	    hash != NULL ? hash : auth_dummy_hash);
	cJSON_Delete(doc);
	req->fsm_state = LOGIN_FINISH;
	return (HTTP_STATE_CONTINUE);
}

static int
login_finish(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct session_flow	*f = is_ctx_part(c, &flow_part);
	struct device		*dev = is_ctx_part(c, &device_part);
	const char		*ua, *out;
	char			 rhash[65], dhash[65], limits[96], *t;
	int			 ok, rc;

	if ((rc = is_task_wait(req, c, &out)) != 0)
		return (rc);
	/* A browser not known yet gets a device token for next time. */
	if (auth_new_refresh(c, rhash) == -1 ||
	    (t = is_random_token(32)) == NULL) {
		is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	dev->token = is_ctx_keep(c, t);
	free(t);
	if (auth_token_hash(auth_conf.token_secret, "device", dev->token,
	    dhash) == -1) {
		is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	if (!http_request_header(req, "user-agent", &ua))
		ua = "";
	ok = out[0] == '1' && f->account_id[0] != '\0';
	snprintf(limits, sizeof(limits), "{%ld,%ld,%ld,%ld,%ld}",
	    auth_conf.lockout_failures, auth_conf.lockout_seconds,
	    auth_conf.lockout_slow_after, auth_conf.lockout_slow_seconds,
	    auth_conf.address_accounts_max);
	is_db_begin(req, c, sql_login_finish, 13, (const char *[]){
	    is_json_str(c->body, "account"),
	    f->account_id[0] != '\0' ? f->account_id : NULL, ok ? "t" : "f",
	    rhash, is_client_type(req), ua, f->lane, is_client_address(req),
	    f->device_hash[0] != '\0' ? f->device_hash : NULL, dhash,
	    is_ctx_keep(c, limits),
	    is_ctx_keep_num(c, auth_conf.refresh_ttl), c->request_id });
	req->fsm_state = LOGIN_TOKENS;
	return (HTTP_STATE_CONTINUE);
}

/* ------------------------------------------------------------------ */
/* Refresh: rotates the refresh token; a refused one may have revoked a
 * whole token family (reuse), so every cached /me is stale. */

enum { REFRESH_START, REFRESH_TOKENS };

static int
refresh_start(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	char		 old[65], fresh[65];

	if (auth_token_hash(auth_conf.token_secret, "refresh",
	    is_json_str(c->body, "refresh_token"), old) == -1 ||
	    auth_new_refresh(c, fresh) == -1) {
		is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	is_db_begin(req, c, sql_refresh, 5, (const char *[]){ old, fresh,
	    is_ctx_keep_num(c, auth_conf.refresh_ttl), c->request_id,
	    is_client_type(req) });
	req->fsm_state = REFRESH_TOKENS;
	return (HTTP_STATE_CONTINUE);
}

static int
refresh_tokens(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if (is_db_state(c) != IS_DONE || is_db_refusal(c) != NULL)
		auth_changed(NULL);
	auth_reply_tokens(req, c, 200);
	return (HTTP_STATE_COMPLETE);
}

/* ------------------------------------------------------------------ */
/* /me: answered from the per-worker cache when it is current. */

enum { ME_START, ME_ANSWER };

static int
me_start(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct session_flow	*f;
	const char		*cached;

	if ((cached = auth_me_cached(&c->claims)) != NULL) {
		is_reply_json(req, 200, cached);
		return (HTTP_STATE_COMPLETE);
	}
	/* Stamped before the query: a change during it is not lost. */
	f = is_ctx_part(c, &flow_part);
	is_gen_stamp(c->claims.sub, &f->stamp);
	is_db_begin(req, c, sql_me, 2, (const char *[]){ c->claims.sub,
	    c->claims.sid });
	req->fsm_state = ME_ANSWER;
	return (HTTP_STATE_CONTINUE);
}

static int
me_answer(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct session_flow	*f = is_ctx_part(c, &flow_part);

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if (is_db_doc(c) != NULL && is_db_refusal(c) == NULL)
		auth_me_store(&c->claims, &f->stamp, is_db_value(c));
	is_db_reply(req, c, 200);
	return (HTTP_STATE_COMPLETE);
}

/* ------------------------------------------------------------------ */
/*
 * Password change: check the policy, fetch the hash, verify the current
 * password (task), hash the new one (task), store it and answer with a new
 * access token that no longer carries must_change_password.
 */

enum { PASSWORD_FETCH, PASSWORD_VERIFY, PASSWORD_HASH, PASSWORD_STORE,
    PASSWORD_TOKENS, PASSWORD_WRONG };

static int
password_fetch(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	enum auth_pw_verdict	 v;

	v = auth_password_check(is_json_str(c->body, "new_password"),
	    c->claims.account, auth_conf.initial_password,
	    auth_conf.password_min_length);
	if (v != AUTH_PW_OK) {
		auth_reply_weak_password(req, auth_password_reason(v));
		return (HTTP_STATE_COMPLETE);
	}
	begin_password_of(req, c);
	req->fsm_state = PASSWORD_VERIFY;
	return (HTTP_STATE_CONTINUE);
}

static int
password_verify(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	cJSON		*doc;
	const char	*hash;

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if ((doc = is_db_result(req, c)) == NULL)
		return (HTTP_STATE_COMPLETE);
	if (reply_if_locked(req, doc)) {
		cJSON_Delete(doc);
		return (HTTP_STATE_COMPLETE);
	}
	hash = is_json_str(doc, "hash");
	auth_begin_verify(req, c, is_json_str(c->body, "current_password"),
	    hash != NULL ? hash : auth_dummy_hash);
	cJSON_Delete(doc);
	req->fsm_state = PASSWORD_HASH;
	return (HTTP_STATE_CONTINUE);
}

static int
password_hash(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	int		 rc;

	if (password_proved(req, c, PASSWORD_WRONG, &rc) != 1)
		return (rc);
	auth_begin_hash(req, c, is_json_str(c->body, "new_password"));
	req->fsm_state = PASSWORD_STORE;
	return (HTTP_STATE_CONTINUE);
}

static int
password_store(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	const char	*hash;
	int		 rc;

	if ((rc = is_task_wait(req, c, &hash)) != 0)
		return (rc);
	is_db_begin(req, c, sql_password_set, 5, (const char *[]){
	    c->claims.sub, hash, c->claims.sid, c->request_id,
	    is_client_type(req) });
	req->fsm_state = PASSWORD_TOKENS;
	return (HTTP_STATE_CONTINUE);
}

static int
password_tokens(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	auth_changed(c->claims.sub);
	auth_reply_tokens(req, c, 200);
	return (HTTP_STATE_COMPLETE);
}

/* ------------------------------------------------------------------ */
/*
 * Reauthentication: the session's holder proves the password again (before
 * changing how the account is reached). It shares the password change's
 * verify step, which goes on to the state numbered PASSWORD_HASH.
 */

enum { REAUTH_FETCH = PASSWORD_FETCH, REAUTH_VERIFY = PASSWORD_VERIFY,
    REAUTH_STORE = PASSWORD_HASH, REAUTH_ANSWER, REAUTH_WRONG };

static int
reauth_fetch(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	begin_password_of(req, c);
	req->fsm_state = REAUTH_VERIFY;
	return (HTTP_STATE_CONTINUE);
}

static int
reauth_store(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	int		 rc;

	if (password_proved(req, c, REAUTH_WRONG, &rc) != 1)
		return (rc);
	is_db_begin(req, c, sql_session_reauth, 4, (const char *[]){
	    c->claims.sub, c->claims.sid, c->request_id,
	    is_client_type(req) });
	req->fsm_state = REAUTH_ANSWER;
	return (HTTP_STATE_CONTINUE);
}

/* ------------------------------------------------------------------ */

/* Logout and revocation change /me at once: no answer from the cache. */
static int
reply_session_ended(struct http_request *req, struct is_ctx *c)
{
	auth_changed(c->claims.sub);
	return (is_db_reply(req, c, 204));
}

/* The state machines of the endpoints below. */
static struct http_state	login_states[] = {
	KORE_HTTP_STATE(login_lookup),
	KORE_HTTP_STATE(login_verify),
	KORE_HTTP_STATE(login_finish),
	KORE_HTTP_STATE(auth_state_tokens),	/* LOGIN_TOKENS */
};

static struct http_state	refresh_states[] = {
	KORE_HTTP_STATE(refresh_start),
	KORE_HTTP_STATE(refresh_tokens),
};

static struct http_state	me_states[] = {
	KORE_HTTP_STATE(me_start),
	KORE_HTTP_STATE(me_answer),
};

static struct http_state	reauth_states[] = {
	KORE_HTTP_STATE(reauth_fetch),
	KORE_HTTP_STATE(password_verify),	/* REAUTH_VERIFY */
	KORE_HTTP_STATE(reauth_store),
	KORE_HTTP_STATE(is_state_answer),	/* REAUTH_ANSWER */
	KORE_HTTP_STATE(password_wrong),	/* REAUTH_WRONG */
};

static struct http_state	password_states[] = {
	KORE_HTTP_STATE(password_fetch),
	KORE_HTTP_STATE(password_verify),
	KORE_HTTP_STATE(password_hash),
	KORE_HTTP_STATE(password_store),
	KORE_HTTP_STATE(password_tokens),
	KORE_HTTP_STATE(password_wrong),	/* PASSWORD_WRONG */
};

const struct is_endpoint	auth_session_endpoints[] = {
	{ .name = "login", .route = AUTH_PREFIX "login",
	  .method = HTTP_METHOD_POST, .flags = IS_PUBLIC, .body = login_spec,
	  IS_STATES(login_states) },
	{ .name = "refresh", .route = AUTH_PREFIX "token/refresh",
	  .method = HTTP_METHOD_POST, .flags = IS_PUBLIC,
	  .body = refresh_spec, IS_STATES(refresh_states) },
	{ .name = "logout", .route = AUTH_PREFIX "logout",
	  .method = HTTP_METHOD_POST, .flags = IS_AUTH_ALLOW_MCP | IS_INPUT_OWN,
	  .sql = "SELECT auth.logout($1, $2, $3, $4)",
	  .args = { IS_ARG_CALLER, IS_ARG_SESSION, IS_ARG_REQUEST_ID,
	      IS_ARG_CLIENT },
	  .reply = reply_session_ended },
	{ .name = "me", .route = AUTH_PREFIX "me", .method = HTTP_METHOD_GET,
	  .flags = IS_AUTH_ALLOW_MCP | IS_INPUT_OWN, IS_STATES(me_states) },
	{ .name = "sessions", .route = AUTH_PREFIX "sessions",
	  .method = HTTP_METHOD_GET, .flags = IS_INPUT_OWN,
	  .guard = &auth_session_live,
	  .sql = "SELECT auth.sessions_of($1, $2)",
	  .args = { IS_ARG_CALLER, IS_ARG_SESSION } },
	{ .name = "session_revoke", .route = "^" SESSIONS "[0-9a-fA-F-]+$",
	  .method = HTTP_METHOD_DELETE, .path_prefix = SESSIONS,
	  .flags = IS_INPUT_OWN, .guard = &auth_session_live,
	  .sql = "SELECT auth.session_revoke($1, $2, $3, $4)",
	  .args = { IS_ARG_CALLER, IS_ARG_PATH_ID, IS_ARG_REQUEST_ID,
	      IS_ARG_CLIENT },
	  .reply = reply_session_ended },
	{ .name = "password_change", .route = AUTH_PREFIX "me/password",
	  .method = HTTP_METHOD_POST, .flags = IS_AUTH_ALLOW_MCP,
	  .guard = &auth_session_live, .body = password_spec,
	  IS_STATES(password_states) },
	{ .name = "reauth", .route = AUTH_PREFIX "me/reauth",
	  .method = HTTP_METHOD_POST, .guard = &auth_session_live,
	  .body = reauth_spec, IS_STATES(reauth_states) },
	IS_ENDPOINTS_END
};
