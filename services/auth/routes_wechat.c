/*
 * WeChat binding and login.
 *   POST /wechat/bind-ticket            personal binding QR (refreshable);
 *                                       over an existing binding it needs
 *                                       {"confirm_rebind": true}
 *   GET|POST /wechat/callback           WeChat's server: URL check / events
 *   POST /wechat/login-ticket           web "log in by scan" QR
 *   GET  /wechat/login-ticket/{id}      the web page polls it
 *   POST /wechat/miniprogram/login      {"code"} from wx.login
 *   GET  /wechat/login-requests         the phone: web logins to confirm
 *   POST /wechat/login-requests/{id}    {"approve": true|false}
 * Scene ids are random; the database keeps only their SHA-256. Calls to
 * WeChat's API run in task threads (wechat_client.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "routes.h"
#include "wechat.h"
#include "iscommon/log.h"

#define TICKETS		AUTH_PREFIX "wechat/login-ticket/"
#define REQUESTS	AUTH_PREFIX "wechat/login-requests/"

/* WeChat's errcodes that mean the client's wx.login code is bad. */
#define WX_CODE_INVALID		40029
#define WX_CODE_USED		40163

static int	auth_task_wechat(struct kore_task *);

static const struct is_field	bind_spec[] = {
	{ "confirm_rebind", IS_F_BOOL, 0, 0, 0, NULL, NULL },
	IS_FIELDS_END
};
static const struct is_field	empty_spec[] = {
	IS_FIELDS_END
};
static const struct is_field	mp_spec[] = {
	{ "code", IS_F_STRING, 1, 1, 128, "^[A-Za-z0-9_-]+$", NULL },
	IS_FIELDS_END
};
static const struct is_field	decide_spec[] = {
	{ "approve", IS_F_BOOL, 1, 0, 0, NULL, NULL },
	IS_FIELDS_END
};

static const char *const	sql_ticket_create =
    "SELECT auth.wechat_ticket_create($1, $2, $3::uuid, $4::int, $5::bool, "
    "$6, $7, $8::uuid, $9, $10)";
static const char *const	sql_scan =
    "SELECT auth.wechat_scan($1, $2, NULLIF($3, ''), $4)";
static const char *const	sql_nonce =
    "SELECT auth.wechat_nonce_fresh($1, $2::bigint)";
static const char *const	sql_login_poll =
    "SELECT auth.wechat_login_poll($1, $2, $3, $4::int, $5)";
static const char *const	sql_mp_login =
    "SELECT auth.wechat_mp_login($1, NULLIF($2, ''), $3, $4, $5::int, $6)";

/* Between steps: the scene of a ticket; the scan a callback reports. */
struct wechat_flow {
	const char	*scene;		/* kept */
	const char	*openid;	/* kept */
};

static const struct is_part	flow_part = { "wechat",
				    sizeof(struct wechat_flow), NULL };

/*
 * Runs a WeChat API call in a task thread. In: {"op": "qr", "scene",
 * "expire"}, {"op": "js", "code"} or {"op": "user", "openid"}. Out: {"ok",
 * "errcode", "error"} and "qr_url", or "openid" and "unionid", or
 * "unionid".
 */
static int
auth_task_wechat(struct kore_task *t)
{
	struct wx_error	 err;
	char		 in[1024], buf[1024], unionid[80];
	const char	*op;
	cJSON		*req, *out;
	char		*json;
	u_int32_t	 n;
	int		 rc = -1;

	n = kore_task_channel_read(t, in, sizeof(in) - 1);
	if (n >= sizeof(in) - 1)
		return (KORE_RESULT_ERROR);
	in[n] = '\0';
	if ((req = cJSON_Parse(in)) == NULL)
		return (KORE_RESULT_ERROR);
	out = cJSON_CreateObject();
	memset(&err, 0, sizeof(err));
	op = is_json_str(req, "op");
	if (op != NULL && strcmp(op, "qr") == 0) {
		rc = wx_create_qr(is_json_str(req, "scene"),
		    is_json_int(req, "expire", 300), buf, sizeof(buf), &err);
		if (rc == 0)
			cJSON_AddStringToObject(out, "qr_url", buf);
	} else if (op != NULL && strcmp(op, "js") == 0) {
		rc = wx_jscode2session(is_json_str(req, "code"), buf,
		    sizeof(buf), unionid, sizeof(unionid), &err);
		if (rc == 0) {
			cJSON_AddStringToObject(out, "openid", buf);
			cJSON_AddStringToObject(out, "unionid", unionid);
		}
	} else if (op != NULL && strcmp(op, "user") == 0) {
		rc = wx_user_unionid(is_json_str(req, "openid"), unionid,
		    sizeof(unionid), &err);
		if (rc == 0)
			cJSON_AddStringToObject(out, "unionid", unionid);
	}
	cJSON_AddBoolToObject(out, "ok", rc == 0);
	cJSON_AddNumberToObject(out, "errcode", (double)err.errcode);
	cJSON_AddStringToObject(out, "error", err.message);
	json = cJSON_PrintUnformatted(out);
	kore_task_channel_write(t, json, (u_int32_t)strlen(json));
	cJSON_free(json);
	cJSON_Delete(out);
	cJSON_Delete(req);
	return (KORE_RESULT_OK);
}

static void
begin_wechat(struct http_request *req, struct is_ctx *c, cJSON *call)
{
	char	*json;

	json = cJSON_PrintUnformatted(call);
	cJSON_Delete(call);
	is_task_begin(req, c, auth_task_wechat, json, (u_int32_t)strlen(json));
	cJSON_free(json);
}

/* The task's answer, or NULL when it has answered (WeChat failed). */
static cJSON *
wechat_result(struct http_request *req, struct is_ctx *c)
{
	const char	*out = is_task_output(c);
	cJSON		*doc;
	long		 errcode;

	if (out == NULL || (doc = cJSON_Parse(out)) == NULL) {
		is_reply_problem(req, "bad-gateway", "WeChat is unreachable");
		return (NULL);
	}
	if (!is_json_bool(doc, "ok", 0)) {
		errcode = is_json_int(doc, "errcode", 0);
		is_log("warn", c->request_id, "wechat: %s",
		    is_json_str(doc, "error"));
		if (errcode == WX_CODE_INVALID || errcode == WX_CODE_USED)
			is_reply_problem(req, "code-invalid",
			    "the wx.login code is invalid or used");
		else
			is_reply_problem(req, "bad-gateway",
			    "WeChat refused the call");
		cJSON_Delete(doc);
		return (NULL);
	}
	return (doc);
}

/* ------------------------------------------------------------------ */
/* Tickets: the binding QR and the web login QR (.data: "bind"/"login"). */

enum { TICKET_CREATE, TICKET_QR, TICKET_ANSWER };

/* A new random scene id ("b..." or "l...") and its hash. */
static int
new_scene(struct is_ctx *c, char kind, const char **scene, char hash[65])
{
	char	*tok, buf[64];

	if ((tok = is_random_token(24)) == NULL)
		return (-1);
	snprintf(buf, sizeof(buf), "%c%s", kind, tok);
	free(tok);
	is_sha256_hex(buf, strlen(buf), hash);
	*scene = is_ctx_keep(c, buf);
	return (0);
}

static int
ticket_create(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct wechat_flow	*f = is_ctx_part(c, &flow_part);
	const char		*kind = c->ep->data, *ua;
	char			 hash[65];

	if (new_scene(c, kind[0], &f->scene, hash) == -1) {
		is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	if (!http_request_header(req, "user-agent", &ua))
		ua = "";
	/* Who asked for a login ticket: what the phone shows to confirm. */
	is_db_begin(req, c, sql_ticket_create, 10, (const char *[]){ kind,
	    hash, kind[0] == 'b' ? c->claims.sub : NULL,
	    is_ctx_keep_num(c, auth_conf.wechat_ticket_ttl),
	    is_json_bool(c->body, "confirm_rebind", 0) ? "t" : "f",
	    c->request_id, is_client_type(req),
	    kind[0] == 'b' ? c->claims.sid : NULL,
	    kind[0] == 'l' ? ua : NULL,
	    kind[0] == 'l' ? is_client_address(req) : NULL });
	req->fsm_state = TICKET_QR;
	return (HTTP_STATE_CONTINUE);
}

/* WeChat makes the QR code of the scene. */
static int
ticket_qr(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct wechat_flow	*f = is_ctx_part(c, &flow_part);
	cJSON			*doc, *call;

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if ((doc = is_db_result(req, c)) == NULL)
		return (HTTP_STATE_COMPLETE);
	cJSON_Delete(doc);
	call = cJSON_CreateObject();
	cJSON_AddStringToObject(call, "op", "qr");
	cJSON_AddStringToObject(call, "scene", f->scene);
	cJSON_AddNumberToObject(call, "expire",
	    (double)auth_conf.wechat_ticket_ttl);
	begin_wechat(req, c, call);
	req->fsm_state = TICKET_ANSWER;
	return (HTTP_STATE_CONTINUE);
}

static int
ticket_answer(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct wechat_flow	*f = is_ctx_part(c, &flow_part);
	const char		*kind = c->ep->data;
	cJSON			*doc, *out;

	if (is_task_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if ((doc = wechat_result(req, c)) == NULL)
		return (HTTP_STATE_COMPLETE);
	out = cJSON_CreateObject();
	/* The web page polls a login ticket by its scene id. */
	if (kind[0] == 'l') {
		cJSON_AddStringToObject(out, "ticket_id", f->scene);
		cJSON_AddStringToObject(out, "poll",
		    TICKETS "{ticket_id}");
	}
	cJSON_AddStringToObject(out, "qr_url", is_json_str(doc, "qr_url"));
	cJSON_AddNumberToObject(out, "expires_in",
	    (double)auth_conf.wechat_ticket_ttl);
	cJSON_Delete(doc);
	is_reply_obj(req, 201, out);
	return (HTTP_STATE_COMPLETE);
}

/* ------------------------------------------------------------------ */
/* WeChat's server calls back: URL verification and scan events. */

/*
 * WeChat signs every call; a timestamp more than 300 s away is refused,
 * and a POST seen before within that window (callback_once) is a replay.
 */
static int
callback_authentic(struct http_request *req, struct is_ctx *c)
{
	const char	*sig, *ts, *nonce;
	char		*end;
	long		 age;

	if (is_query_get(req, c, "signature", &sig) == -1 ||
	    is_query_get(req, c, "timestamp", &ts) == -1 ||
	    is_query_get(req, c, "nonce", &nonce) == -1 ||
	    strlen(nonce) < 1 || strlen(nonce) > 64)
		return (0);
	age = (long)time(NULL) - strtol(ts, &end, 10);
	if (*ts == '\0' || *end != '\0' || age > 300 || age < -300)
		return (0);
	return (auth_wechat_signature_ok(auth_conf.wechat_callback_token, ts,
	    nonce, sig));
}

static int
callback_check(struct http_request *req, struct is_ctx *c)
{
	if (!callback_authentic(req, c)) {
		is_reply_problem(req, "forbidden", "bad WeChat signature");
		return (-1);
	}
	return (0);
}

/* The server URL check, when the callback is configured at WeChat. */
static int
callback_echo(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	const char	*echo;

	if (is_query_get(req, c, "echostr", &echo) == -1)
		is_reply_problem(req, "bad-request", NULL);
	else
		is_reply_text(req, 200, "text/plain", echo, strlen(echo));
	return (HTTP_STATE_COMPLETE);
}

enum { CALLBACK_ONCE, CALLBACK_SCAN, CALLBACK_UNIONID, CALLBACK_ANSWER };

/* The (nonce, timestamp) pair is taken once, across every instance. */
static int
callback_once(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	const char	*ts, *nonce;

	(void)is_query_get(req, c, "timestamp", &ts);
	(void)is_query_get(req, c, "nonce", &nonce);
	is_db_begin(req, c, sql_nonce, 2, (const char *[]){ nonce, ts });
	req->fsm_state = CALLBACK_SCAN;
	return (HTTP_STATE_CONTINUE);
}

/* A scan: WeChat is asked for the user's unionid (the binding's key). */
static int
callback_scan(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct wechat_flow	*f = is_ctx_part(c, &flow_part);
	char			*raw, openid[80], scene[80];
	size_t			 len;
	int			 rc;
	cJSON			*call;

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if (is_db_state(c) != IS_DONE) {
		is_db_fail_reply(req, c);
		return (HTTP_STATE_COMPLETE);
	}
	if (!is_json_bool(is_db_doc(c), "fresh", 0)) {
		is_reply_problem(req, "forbidden", "replayed WeChat callback");
		return (HTTP_STATE_COMPLETE);
	}

	rc = is_read_raw(req, &raw, &len, 64 * 1024);
	if (rc != 0) {
		is_reply_problem(req, rc == -2 ? "payload-too-large" :
		    "bad-request", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	rc = wx_parse_scan_event(raw, len, openid, sizeof(openid), scene,
	    sizeof(scene));
	free(raw);
	/* Other events (messages, unsubscribe...) need no action. */
	if (rc == -1) {
		is_reply_text(req, 200, "text/plain", "success", 7);
		return (HTTP_STATE_COMPLETE);
	}
	f->scene = is_ctx_keep(c, scene);
	f->openid = is_ctx_keep(c, openid);
	call = cJSON_CreateObject();
	cJSON_AddStringToObject(call, "op", "user");
	cJSON_AddStringToObject(call, "openid", openid);
	begin_wechat(req, c, call);
	req->fsm_state = CALLBACK_UNIONID;
	return (HTTP_STATE_CONTINUE);
}

/*
 * Without a unionid the scan still binds and logs in on the web; the
 * mini-program then cannot find the binding, so it is logged.
 */
static int
callback_unionid(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct wechat_flow	*f = is_ctx_part(c, &flow_part);
	const char		*out, *unionid = NULL;
	char			 hash[65];
	cJSON			*doc;

	if (is_task_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	out = is_task_output(c);
	doc = out != NULL ? cJSON_Parse(out) : NULL;
	if (doc != NULL && is_json_bool(doc, "ok", 0))
		unionid = is_ctx_keep(c, is_json_str(doc, "unionid"));
	if (unionid == NULL || *unionid == '\0')
		is_log("warn", c->request_id, "wechat: no unionid for a scan "
		    "(%s): the mini-program will not find this binding",
		    doc != NULL ? is_json_str(doc, "error") : "no answer");
	cJSON_Delete(doc);
	is_sha256_hex(f->scene, strlen(f->scene), hash);
	is_db_begin(req, c, sql_scan, 4, (const char *[]){ hash, f->openid,
	    unionid, c->request_id });
	req->fsm_state = CALLBACK_ANSWER;
	return (HTTP_STATE_CONTINUE);
}

static int
callback_answer(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if (is_db_state(c) != IS_DONE) {
		is_db_fail_reply(req, c);
		return (HTTP_STATE_COMPLETE);
	}
	/* The scene's account is not known here: a binding may have moved. */
	auth_changed(NULL);
	is_reply_text(req, 200, "text/plain", "success", 7);
	return (HTTP_STATE_COMPLETE);
}

/* ------------------------------------------------------------------ */
/* The web page polls its login ticket: pending, or a session. */

enum { POLL_START, POLL_ANSWER };

static int
poll_start(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	char		 id[80], hash[65], rhash[65];
	const char	*ua;

	if (is_path_tail(req, TICKETS, id, sizeof(id)) == -1) {
		is_reply_problem(req, "not-found", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	is_sha256_hex(id, strlen(id), hash);
	if (auth_new_refresh(c, rhash) == -1) {
		is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	if (!http_request_header(req, "user-agent", &ua))
		ua = "";
	is_db_begin(req, c, sql_login_poll, 5, (const char *[]){ hash, rhash,
	    ua, is_ctx_keep_num(c, auth_conf.refresh_ttl), c->request_id });
	req->fsm_state = POLL_ANSWER;
	return (HTTP_STATE_CONTINUE);
}

static int
poll_answer(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	/* pending, or awaiting-confirmation on the phone */
	if (is_json_str(is_db_doc(c), "status") != NULL)
		is_db_reply(req, c, 202);
	else
		auth_reply_tokens(req, c, 200);
	return (HTTP_STATE_COMPLETE);
}

/* ------------------------------------------------------------------ */
/* Mini-program login: jscode2session, then the bound account's session. */

enum { MP_ASK, MP_LOGIN, MP_TOKENS };

static int
mp_ask(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	cJSON		*call;

	call = cJSON_CreateObject();
	cJSON_AddStringToObject(call, "op", "js");
	cJSON_AddStringToObject(call, "code", is_json_str(c->body, "code"));
	begin_wechat(req, c, call);
	req->fsm_state = MP_LOGIN;
	return (HTTP_STATE_CONTINUE);
}

static int
mp_login(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	cJSON		*doc;
	char		 rhash[65];
	const char	*ua;

	if (is_task_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if ((doc = wechat_result(req, c)) == NULL)
		return (HTTP_STATE_COMPLETE);
	if (auth_new_refresh(c, rhash) == -1) {
		cJSON_Delete(doc);
		is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	if (!http_request_header(req, "user-agent", &ua))
		ua = "";
	is_db_begin(req, c, sql_mp_login, 6, (const char *[]){
	    is_ctx_keep(c, is_json_str(doc, "openid")),
	    is_ctx_keep(c, is_json_str(doc, "unionid")), rhash, ua,
	    is_ctx_keep_num(c, auth_conf.refresh_ttl), c->request_id });
	cJSON_Delete(doc);
	req->fsm_state = MP_TOKENS;
	return (HTTP_STATE_CONTINUE);
}

/* ------------------------------------------------------------------ */
/* The phone confirms a web login by scan. */

/*
 * Only a session the mini-program opened with WeChat's login (its "wx"
 * claim; the client type alone is the client's word): WeChat itself
 * vouches for the phone, and a stolen web token cannot confirm its own
 * browser's login.
 */
static int
from_miniprogram(struct http_request *req, struct is_ctx *c)
{
	if (strcmp(c->claims.client, "miniprogram") != 0 ||
	    c->claims.wx[0] == '\0') {
		is_reply_problem(req, "forbidden", "confirm in the mini-program");
		return (-1);
	}
	return (0);
}

/* The state machines of the endpoints below. */
static struct http_state	ticket_states[] = {
	KORE_HTTP_STATE(ticket_create),
	KORE_HTTP_STATE(ticket_qr),
	KORE_HTTP_STATE(ticket_answer),
};

static struct http_state	echo_states[] = {
	KORE_HTTP_STATE(callback_echo),
};

static struct http_state	callback_states[] = {
	KORE_HTTP_STATE(callback_once),
	KORE_HTTP_STATE(callback_scan),
	KORE_HTTP_STATE(callback_unionid),
	KORE_HTTP_STATE(callback_answer),
};

static struct http_state	poll_states[] = {
	KORE_HTTP_STATE(poll_start),
	KORE_HTTP_STATE(poll_answer),
};

static struct http_state	mp_states[] = {
	KORE_HTTP_STATE(mp_ask),
	KORE_HTTP_STATE(mp_login),
	KORE_HTTP_STATE(auth_state_tokens),	/* MP_TOKENS */
};

const struct is_endpoint	auth_wechat_endpoints[] = {
	{ .name = "wechat_bind_ticket", .route = AUTH_PREFIX "wechat/bind-ticket",
	  .method = HTTP_METHOD_POST, .guard = &auth_session_fresh,
	  .body = bind_spec, IS_STATES(ticket_states), .data = "bind" },
	{ .name = "wechat_login_ticket",
	  .route = AUTH_PREFIX "wechat/login-ticket",
	  .method = HTTP_METHOD_POST, .flags = IS_PUBLIC, .body = empty_spec,
	  IS_STATES(ticket_states), .data = "login" },
	{ .name = "wechat_login_poll", .route = "^" TICKETS "[A-Za-z0-9_-]+$",
	  .method = HTTP_METHOD_GET, .flags = IS_PUBLIC | IS_INPUT_OWN,
	  IS_STATES(poll_states) },
	{ .name = "wechat_callback_check",
	  .route = AUTH_PREFIX "wechat/callback", .method = HTTP_METHOD_GET,
	  .flags = IS_PUBLIC | IS_INPUT_OWN, .check = callback_check,
	  IS_STATES(echo_states) },
	{ .name = "wechat_callback", .route = AUTH_PREFIX "wechat/callback",
	  .method = HTTP_METHOD_POST, .flags = IS_PUBLIC | IS_INPUT_OWN,
	  .check = callback_check, IS_STATES(callback_states) },
	{ .name = "wechat_mp_login",
	  .route = AUTH_PREFIX "wechat/miniprogram/login",
	  .method = HTTP_METHOD_POST, .flags = IS_PUBLIC, .body = mp_spec,
	  IS_STATES(mp_states) },
	{ .name = "wechat_login_requests",
	  .route = AUTH_PREFIX "wechat/login-requests",
	  .method = HTTP_METHOD_GET, .check = from_miniprogram,
	  .guard = &auth_session_live,
	  .sql = "SELECT auth.wechat_login_requests($1::uuid)",
	  .args = { IS_ARG_CALLER } },
	{ .name = "wechat_login_decide", .route = "^" REQUESTS "[^/]+$",
	  .method = HTTP_METHOD_POST, .body = decide_spec,
	  .path_prefix = REQUESTS, .check = from_miniprogram,
	  .guard = &auth_session_live,
	  .sql = "SELECT auth.wechat_login_decide($1::uuid, $2::uuid, "
	      "$3::bool, $4, $5)",
	  .args = { IS_ARG_CALLER, IS_ARG_PATH_ID, IS_ARG_FIELD("approve"),
	      IS_ARG_REQUEST_ID, IS_ARG_CLIENT } },
	IS_ENDPOINTS_END
};
