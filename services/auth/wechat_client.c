/*
 * Client for WeChat's server API (base URL from wechat.api_base, so tests
 * point it at tests/fakes/fake_wechat.py):
 *   GET  /cgi-bin/token?grant_type=client_credential&appid&secret
 *   POST /cgi-bin/qrcode/create?access_token  (temporary QR, QR_STR_SCENE)
 *   GET  /sns/jscode2session?appid&secret&js_code&grant_type=...
 *   GET  /cgi-bin/user/info?access_token&openid&lang  (the unionid)
 * Each app has its own openid for one user: the official account's (scans)
 * and the mini-program's (jscode2session) differ; the unionid is shared.
 * Blocking (libcurl): called from Kore task threads only. The official
 * account access token is cached until shortly before it expires.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "auth.h"
#include "wechat.h"
#include "iscommon/delivery.h"
#include "iscommon/validate.h"

#define WX_TIMEOUT	10

static pthread_mutex_t	token_lock = PTHREAD_MUTEX_INITIALIZER;
static char		token_cache[600];
static time_t		token_expires;

static char *
esc(const char *s)
{
	return (curl_easy_escape(NULL, s, 0));
}

/* GETs or POSTs url and parses the JSON answer; NULL on transport errors. */
static cJSON *
wx_call(const char *url, const char *body, struct wx_error *err)
{
	char	*resp = NULL;
	cJSON	*doc;
	int	 status;

	status = is_http_request(url, body ? "application/json" : NULL, body,
	    NULL, WX_TIMEOUT, &resp);
	if (status != 200 || resp == NULL) {
		snprintf(err->message, sizeof(err->message),
		    "wechat api answered %d", status);
		free(resp);
		return (NULL);
	}
	doc = cJSON_Parse(resp);
	free(resp);
	if (doc == NULL) {
		snprintf(err->message, sizeof(err->message),
		    "wechat api sent no JSON");
		return (NULL);
	}
	if ((err->errcode = is_json_int(doc, "errcode", 0)) != 0) {
		snprintf(err->message, sizeof(err->message),
		    "wechat errcode %ld: %s", err->errcode,
		    is_json_str(doc, "errmsg") ? is_json_str(doc, "errmsg") : "");
		cJSON_Delete(doc);
		return (NULL);
	}
	return (doc);
}

static int
access_token(char *out, size_t len, struct wx_error *err)
{
	char		 url[1024], *appid, *secret;
	const char	*tok;
	cJSON		*doc;
	int		 rc = -1;

	pthread_mutex_lock(&token_lock);
	if (token_cache[0] != '\0' && time(NULL) < token_expires) {
		snprintf(out, len, "%s", token_cache);
		pthread_mutex_unlock(&token_lock);
		return (0);
	}
	appid = esc(auth_conf.wechat_appid);
	secret = esc(auth_conf.wechat_secret);
	snprintf(url, sizeof(url), "%s/cgi-bin/token?grant_type="
	    "client_credential&appid=%s&secret=%s", auth_conf.wechat_api_base,
	    appid, secret);
	curl_free(appid);
	curl_free(secret);
	if ((doc = wx_call(url, NULL, err)) != NULL &&
	    (tok = is_json_str(doc, "access_token")) != NULL &&
	    strlen(tok) < sizeof(token_cache)) {
		snprintf(token_cache, sizeof(token_cache), "%s", tok);
		/* Renew a little early: WeChat rotates tokens itself. */
		token_expires = time(NULL) +
		    is_json_int(doc, "expires_in", 7200) - 300;
		snprintf(out, len, "%s", tok);
		rc = 0;
	} else if (doc != NULL)
		snprintf(err->message, sizeof(err->message),
		    "wechat token answer lacks a token");
	cJSON_Delete(doc);
	pthread_mutex_unlock(&token_lock);
	return (rc);
}

int
wx_create_qr(const char *scene, long expire, char *qr_url, size_t len,
    struct wx_error *err)
{
	char		 token[600], url[1024], *etok, *body, *eticket;
	const char	*ticket;
	cJSON		*req, *doc;
	int		 rc = -1;

	if (access_token(token, sizeof(token), err) == -1)
		return (-1);
	req = cJSON_CreateObject();
	cJSON_AddNumberToObject(req, "expire_seconds", (double)expire);
	cJSON_AddStringToObject(req, "action_name", "QR_STR_SCENE");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(
	    req, "action_info"), "scene"), "scene_str", scene);
	body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	etok = esc(token);
	snprintf(url, sizeof(url), "%s/cgi-bin/qrcode/create?access_token=%s",
	    auth_conf.wechat_api_base, etok);
	curl_free(etok);
	doc = wx_call(url, body, err);
	cJSON_free(body);
	if (doc != NULL && (ticket = is_json_str(doc, "ticket")) != NULL) {
		/* The image is fetched by the client from showqrcode. */
		eticket = esc(ticket);
		snprintf(qr_url, len, "https://mp.weixin.qq.com/cgi-bin/"
		    "showqrcode?ticket=%s", eticket);
		curl_free(eticket);
		rc = 0;
	} else if (doc != NULL)
		snprintf(err->message, sizeof(err->message),
		    "wechat qrcode answer lacks a ticket");
	cJSON_Delete(doc);
	return (rc);
}

/* Copies the string field name of doc (6 to len - 1 chars) into out. */
static int
id_field(const cJSON *doc, const char *name, char *out, size_t len)
{
	const char	*v;

	if ((v = is_json_str(doc, name)) == NULL || strlen(v) < 6 ||
	    strlen(v) >= len)
		return (-1);
	snprintf(out, len, "%s", v);
	return (0);
}

int
wx_jscode2session(const char *code, char *openid, size_t len, char *unionid,
    size_t ulen, struct wx_error *err)
{
	char		 url[1024], *appid, *secret, *ecode;
	cJSON		*doc;
	int		 rc = -1;

	appid = esc(auth_conf.wechat_mp_appid);
	secret = esc(auth_conf.wechat_mp_secret);
	ecode = esc(code);
	snprintf(url, sizeof(url), "%s/sns/jscode2session?appid=%s&secret=%s"
	    "&js_code=%s&grant_type=authorization_code",
	    auth_conf.wechat_api_base, appid, secret, ecode);
	curl_free(appid);
	curl_free(secret);
	curl_free(ecode);
	if ((doc = wx_call(url, NULL, err)) != NULL &&
	    id_field(doc, "openid", openid, len) == 0) {
		/* Absent unless the app is under an open-platform account. */
		if (id_field(doc, "unionid", unionid, ulen) == -1)
			unionid[0] = '\0';
		rc = 0;
	} else if (doc != NULL)
		snprintf(err->message, sizeof(err->message),
		    "jscode2session answer lacks an openid");
	cJSON_Delete(doc);
	return (rc);
}

int
wx_user_unionid(const char *openid, char *unionid, size_t len,
    struct wx_error *err)
{
	char		 token[600], url[1024], *etok, *eopenid;
	cJSON		*doc;

	if (access_token(token, sizeof(token), err) == -1)
		return (-1);
	etok = esc(token);
	eopenid = esc(openid);
	snprintf(url, sizeof(url), "%s/cgi-bin/user/info?access_token=%s"
	    "&openid=%s&lang=en", auth_conf.wechat_api_base, etok, eopenid);
	curl_free(etok);
	curl_free(eopenid);
	if ((doc = wx_call(url, NULL, err)) == NULL)
		return (-1);
	/* WeChat gives no unionid for a user who does not follow. */
	if (id_field(doc, "unionid", unionid, len) == -1)
		unionid[0] = '\0';
	cJSON_Delete(doc);
	return (0);
}
