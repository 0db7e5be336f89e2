/*
 * WeChat binding and login.
 *   POST /wechat/bind-ticket            personal binding QR (refreshable);
 *                                       over an existing binding it needs
 *                                       {"confirm_rebind": true}
 *   GET|POST /wechat/callback           WeChat's server: URL check / events
 *   POST /wechat/login-ticket           web "log in by scan" QR
 *   GET  /wechat/login-ticket/{id}      the web page polls it
 *   POST /wechat/miniprogram/login      {"code"} from wx.login
 * Scene ids are random; the database keeps only their SHA-256.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "routes.h"
#include "wechat.h"
#include "iscommon/log.h"

int	auth_wx_bind_ticket(struct http_request *);
int	auth_wx_callback(struct http_request *);
int	auth_wx_login_ticket(struct http_request *);
int	auth_wx_login_poll(struct http_request *);
int	auth_wx_mp_login(struct http_request *);
int	auth_task_wechat(struct kore_task *);

static const struct is_field bind_spec[] = {
	{ "confirm_rebind", IS_F_BOOL, 0, 0, 0, NULL, NULL },
	IS_FIELDS_END
};
static const struct is_field empty_spec[] = {
	IS_FIELDS_END
};
static const struct is_field mp_spec[] = {
	{ "code", IS_F_STRING, 1, 1, 128, "^[A-Za-z0-9_-]+$", NULL },
	IS_FIELDS_END
};

static const char *const sql_ticket_create =
    "SELECT auth.wechat_ticket_create($1, $2, $3::uuid, $4::int, $5::bool, "
    "$6, $7)";
static const char *const sql_scan = "SELECT auth.wechat_scan($1, $2, $3)";
static const char *const sql_login_poll =
    "SELECT auth.wechat_login_poll($1, $2, $3, $4::int, $5)";
static const char *const sql_mp_login =
    "SELECT auth.wechat_mp_login($1, $2, $3, $4::int, $5)";

/* Runs a WeChat API call in a task thread; in and out are JSON. */
int
auth_task_wechat(struct kore_task *t)
{
	char		 in[1024], buf[1024], err[256];
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
	err[0] = '\0';
	op = is_json_str(req, "op");
	if (op != NULL && strcmp(op, "qr") == 0) {
		rc = wx_create_qr(is_json_str(req, "scene"),
		    is_json_int(req, "expire", 300), buf, sizeof(buf), err,
		    sizeof(err));
		if (rc == 0)
			cJSON_AddStringToObject(out, "qr_url", buf);
	} else if (op != NULL && strcmp(op, "js") == 0) {
		rc = wx_jscode2session(is_json_str(req, "code"), buf,
		    sizeof(buf), err, sizeof(err));
		if (rc == 0)
			cJSON_AddStringToObject(out, "openid", buf);
	}
	cJSON_AddBoolToObject(out, "ok", rc == 0);
	cJSON_AddStringToObject(out, "error", err);
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

/* The task's answer, or NULL (after answering 502) when WeChat failed. */
static cJSON *
wechat_result(struct http_request *req, struct is_ctx *c)
{
	cJSON		*doc;
	const char	*err;

	if (c->task_state == IS_FAILED ||
	    (doc = cJSON_Parse(c->task_out)) == NULL) {
		is_reply_problem(req, "bad-gateway", "WeChat is unreachable");
		return (NULL);
	}
	if (!is_json_bool(doc, "ok", 0)) {
		err = is_json_str(doc, "error");
		is_log("warn", c->request_id, "wechat: %s", err);
		/* 40029 invalid code, 40163 code already used: the client's. */
		if (err != NULL && (strstr(err, "errcode 40029") != NULL ||
		    strstr(err, "errcode 40163") != NULL))
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

/* A new random scene id ("b..." or "l...") and its hash. */
static int
new_scene(struct is_ctx *c, char kind, char **scene, char hash[65])
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
qr_reply(struct http_request *req, struct is_ctx *c, int with_id)
{
	cJSON	*doc, *out;

	if ((doc = wechat_result(req, c)) == NULL)
		return (KORE_RESULT_OK);
	out = cJSON_CreateObject();
	if (with_id) {
		cJSON_AddStringToObject(out, "ticket_id", c->user);
		cJSON_AddStringToObject(out, "poll",
		    "/api/v1/auth/wechat/login-ticket/{ticket_id}");
	}
	cJSON_AddStringToObject(out, "qr_url", is_json_str(doc, "qr_url"));
	cJSON_AddNumberToObject(out, "expires_in",
	    (double)auth_conf.wechat_ticket_ttl);
	cJSON_Delete(doc);
	return (is_reply_obj(req, 201, out));
}

/* Shared by both ticket kinds: create in the DB, then ask WeChat for a QR. */
static int
ticket_flow(struct http_request *req, struct is_ctx *c, const char *kind)
{
	cJSON	*call, *doc;
	char	 hash[65], *scene;

	switch (c->phase) {
	case 1:
		if (new_scene(c, kind[0], &scene, hash) == -1)
			return (is_reply_problem(req, "internal", NULL));
		c->user = scene;
		is_db_begin(req, c, sql_ticket_create, 7, (const char *[]){
		    kind, hash, kind[0] == 'b' ? c->claims.sub : NULL,
		    auth_num(c, auth_conf.wechat_ticket_ttl),
		    is_json_bool(c->body, "confirm_rebind", 0) ? "t" : "f",
		    c->request_id, is_client_type(req) });
		c->phase = 2;
		/* FALLTHROUGH */
	case 2:
		if (is_db_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		if ((doc = is_db_result(req, c)) == NULL)
			return (KORE_RESULT_OK);
		cJSON_Delete(doc);
		call = cJSON_CreateObject();
		cJSON_AddStringToObject(call, "op", "qr");
		cJSON_AddStringToObject(call, "scene", c->user);
		cJSON_AddNumberToObject(call, "expire",
		    (double)auth_conf.wechat_ticket_ttl);
		begin_wechat(req, c, call);
		c->phase = 3;
		/* FALLTHROUGH */
	case 3:
		if (is_task_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		return (qr_reply(req, c, kind[0] == 'l'));
	}
	return (is_reply_problem(req, "internal", NULL));
}

int
auth_wx_bind_ticket(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (c->phase == 0) {
		if (is_enter(req, c, 0, NULL, bind_spec) == -1)
			return (KORE_RESULT_OK);
		c->phase = 1;
	}
	return (ticket_flow(req, c, "bind"));
}

int
auth_wx_login_ticket(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (c->phase == 0) {
		if (is_read_json(req, c, empty_spec) == -1)
			return (KORE_RESULT_OK);
		c->phase = 1;
	}
	return (ticket_flow(req, c, "login"));
}

/* WeChat signs every call; a stale timestamp is a replay. */
static int
callback_authentic(struct http_request *req, struct is_ctx *c)
{
	const char	*sig, *ts, *nonce;
	long		 age;

	if (is_query_get(req, c, "signature", &sig) == -1 ||
	    is_query_get(req, c, "timestamp", &ts) == -1 ||
	    is_query_get(req, c, "nonce", &nonce) == -1)
		return (0);
	age = (long)time(NULL) - strtol(ts, NULL, 10);
	if (age > 300 || age < -300)
		return (0);
	return (auth_wechat_signature_ok(auth_conf.wechat_callback_token, ts,
	    nonce, sig));
}

int
auth_wx_callback(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	const char	*echo;
	char		*raw, openid[80], scene[80], hash[65];
	size_t		 len;
	int		 rc;

	if (c->phase == 0) {
		if (!callback_authentic(req, c))
			return (is_reply_problem(req, "forbidden",
			    "bad WeChat signature"));
		/* Server URL verification when the callback is configured. */
		if (req->method == HTTP_METHOD_GET) {
			if (is_query_get(req, c, "echostr", &echo) == -1)
				return (is_reply_problem(req, "bad-request",
				    NULL));
			return (is_reply_text(req, 200, "text/plain", echo,
			    strlen(echo)));
		}
		rc = is_read_raw(req, &raw, &len, 64 * 1024);
		if (rc != 0)
			return (is_reply_problem(req, rc == -2 ?
			    "payload-too-large" : "bad-request", NULL));
		rc = wx_parse_scan_event(raw, len, openid, sizeof(openid),
		    scene, sizeof(scene));
		free(raw);
		/* Other events (messages, unsubscribe...) need no action. */
		if (rc == -1)
			return (is_reply_text(req, 200, "text/plain",
			    "success", 7));
		is_sha256_hex(scene, strlen(scene), hash);
		is_db_begin(req, c, sql_scan, 3, (const char *[]){ hash, openid,
		    c->request_id });
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	if (c->db_state == IS_FAILED)
		return (is_db_fail_reply(req, c));
	/* The scene's account is not known here: a binding may have moved. */
	auth_changed(NULL);
	return (is_reply_text(req, 200, "text/plain", "success", 7));
}

int
auth_wx_login_poll(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	char		 id[80], hash[65], rhash[65], *refresh;
	const char	*ua;
	cJSON		*doc;

	if (c->phase == 0) {
		if (is_path_tail(req, "/api/v1/auth/wechat/login-ticket/", id,
		    sizeof(id)) == -1)
			return (is_reply_problem(req, "not-found", NULL));
		is_sha256_hex(id, strlen(id), hash);
		if (auth_new_refresh(c, &refresh, rhash) == -1)
			return (is_reply_problem(req, "internal", NULL));
		if (!http_request_header(req, "user-agent", &ua))
			ua = "";
		c->user = refresh;
		is_db_begin(req, c, sql_login_poll, 5, (const char *[]){ hash,
		    rhash, ua, auth_num(c, auth_conf.refresh_ttl),
		    c->request_id });
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	if (c->db_state == IS_DONE && (doc = is_db_json(c)) != NULL) {
		if (is_json_str(doc, "status") != NULL) {
			cJSON_Delete(doc);
			return (is_reply_json(req, 202,
			    "{\"status\":\"pending\"}"));
		}
		cJSON_Delete(doc);
	}
	return (auth_reply_tokens(req, c, c->user, 200));
}

int
auth_wx_mp_login(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	cJSON		*call, *doc;
	char		 rhash[65], *refresh;
	const char	*ua;

	switch (c->phase) {
	case 0:
		if (is_read_json(req, c, mp_spec) == -1)
			return (KORE_RESULT_OK);
		call = cJSON_CreateObject();
		cJSON_AddStringToObject(call, "op", "js");
		cJSON_AddStringToObject(call, "code",
		    is_json_str(c->body, "code"));
		begin_wechat(req, c, call);
		c->phase = 1;
		/* FALLTHROUGH */
	case 1:
		if (is_task_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		if ((doc = wechat_result(req, c)) == NULL)
			return (KORE_RESULT_OK);
		if (auth_new_refresh(c, &refresh, rhash) == -1) {
			cJSON_Delete(doc);
			return (is_reply_problem(req, "internal", NULL));
		}
		if (!http_request_header(req, "user-agent", &ua))
			ua = "";
		c->user = refresh;
		is_db_begin(req, c, sql_mp_login, 5, (const char *[]){
		    is_json_str(doc, "openid"), rhash, ua,
		    auth_num(c, auth_conf.refresh_ttl), c->request_id });
		cJSON_Delete(doc);
		c->phase = 2;
		/* FALLTHROUGH */
	case 2:
		if (is_db_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		return (auth_reply_tokens(req, c, c->user, 200));
	}
	return (is_reply_problem(req, "internal", NULL));
}
