/* WeChat binding, rebinding, scan login and mini-program login against
 * the fake WeChat server (tests/fakes/fake_wechat.py). */
#include <curl/curl.h>

#include "itest.h"
#include "iscommon/config.h"
#include "iscommon/crypto.h"
#include "iscommon/strutil.h"

#define PASSWORD	"Str0ng-Pass-2026"

static void
test_bind_then_miniprogram_login(void **state)
{
	struct it_resp	 r;
	char		 id[16], openid[32], *tok;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	it_unique(openid, sizeof(openid), "oWX");
	/* Unbound: the mini-program cannot log in. */
	it_mp_login(openid, &r);
	it_assert_problem(&r, 403, "wechat-not-bound");
	it_free(&r);
	assert_int_equal(it_wx_bind(tok, "{}", openid), 200);
	it_get("/api/v1/auth/me", tok, &r);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    r.json, "wechat"), "bound")));
	it_free(&r);
	it_mp_login(openid, &r);
	assert_int_equal(r.status, 200);
	{
		char *mp = strdup(it_str(&r, "access_token"));
		it_free(&r);
		it_get("/api/v1/auth/me", mp, &r);
		assert_string_equal(it_str(&r, "client"), "miniprogram");
		assert_string_equal(it_str(&r, "account"), id);
		free(mp);
	}
	it_free(&r);
	/* A used or forged wx.login code is refused. */
	it_post("/api/v1/auth/wechat/miniprogram/login", NULL,
	    "{\"code\":\"forged-code\"}", &r);
	it_assert_problem(&r, 422, "code-invalid");
	it_free(&r);
	free(tok);
}

static void
test_rebind_needs_confirmation_and_replaces(void **state)
{
	struct it_resp	 r;
	char		 id[16], first[32], second[32], *tok;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	it_unique(first, sizeof(first), "oWX");
	it_unique(second, sizeof(second), "oWX");
	/* Subscribing through the QR binds as well. */
	it_post("/api/v1/auth/wechat/bind-ticket", tok, "{}", &r);
	assert_int_equal(it_wx_scan(it_str(&r, "qr_url"), first, 1), 200);
	it_free(&r);
	it_post("/api/v1/auth/wechat/bind-ticket", tok, "{}", &r);
	it_assert_problem(&r, 409, "rebind-confirmation-required");
	it_free(&r);
	assert_int_equal(it_wx_bind(tok, "{\"confirm_rebind\":true}", second), 200);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.wechat_bindings"
	    " b JOIN auth.accounts a ON a.id = b.account_id WHERE a.login = $1",
	    id), 1);
	{
		char *oa = it_wx_id(first, "oa_openid");
		assert_int_equal(it_sql_long("SELECT count(*) FROM "
		    "auth.wechat_bindings WHERE openid = $1", oa), 0);
		free(oa);
	}
	it_mp_login(first, &r);
	it_assert_problem(&r, 403, "wechat-not-bound");
	it_free(&r);
	it_mp_login(second, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.audit_log l "
	    "JOIN auth.accounts a ON a.id = l.target_id WHERE a.login = $1 AND "
	    "l.action = 'wechat.rebound'", id), 1);
	free(tok);
}

static void
test_wechat_bound_elsewhere_is_refused(void **state)
{
	char	a[16], b[16], openid[32], *ta, *tb;

	(void)state;
	ta = it_new_student(a, sizeof(a), PASSWORD);
	tb = it_new_student(b, sizeof(b), PASSWORD);
	it_unique(openid, sizeof(openid), "oWX");
	assert_int_equal(it_wx_bind(ta, "{}", openid), 200);
	assert_int_equal(it_wx_bind(tb, "{}", openid), 200);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.wechat_bindings"
	    " b JOIN auth.accounts a ON a.id = b.account_id WHERE a.login = $1",
	    b), 0);
	free(ta);
	free(tb);
}

/* The login requests the phone of tok (a mini-program session) sees. */
static cJSON *
login_requests(const char *mp, struct it_resp *r)
{
	it_get("/api/v1/auth/wechat/login-requests", mp, r);
	assert_int_equal(r->status, 200);
	return (cJSON_GetObjectItem(r->json, "items"));
}

/* A login ticket asked by a browser; its poll path and QR. */
static void
login_ticket(char *path, size_t plen, char *qr, size_t qlen)
{
	struct it_resp	r;

	it_request("POST", "/api/v1/auth/wechat/login-ticket", NULL,
	    "application/json", "{}", 2, &r);
	assert_int_equal(r.status, 201);
	snprintf(path, plen, "/api/v1/auth/wechat/login-ticket/%s",
	    it_str(&r, "ticket_id"));
	snprintf(qr, qlen, "%s", it_str(&r, "qr_url"));
	it_free(&r);
}

static void
test_web_login_by_scan(void **state)
{
	struct it_resp	 r;
	char		 id[16], user[32], stranger[32], path[256], qr[512];
	char		 decide[160], *tok, *mp;
	cJSON		*items, *item;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	it_unique(stranger, sizeof(stranger), "oWX");
	mp = it_mp_token(tok, user, sizeof(user));
	assert_non_null(mp);

	login_ticket(path, sizeof(path), qr, sizeof(qr));
	it_get(path, NULL, &r);
	assert_int_equal(r.status, 202);
	assert_string_equal(it_str(&r, "status"), "pending");
	it_free(&r);
	/* The scan alone logs nobody in: the phone must confirm. */
	assert_int_equal(it_wx_scan(qr, user, 0), 200);
	it_get(path, NULL, &r);
	assert_int_equal(r.status, 202);
	assert_string_equal(it_str(&r, "status"), "awaiting-confirmation");
	assert_null(it_str(&r, "access_token"));
	it_free(&r);
	items = login_requests(mp, &r);
	assert_int_equal(cJSON_GetArraySize(items), 1);
	item = cJSON_GetArrayItem(items, 0);
	/* What the phone shows: the browser, its address, the time. */
	assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(item,
	    "browser")), "curl"));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(item,
	    "address")), "127.0.0.1");
	assert_non_null(cJSON_GetObjectItem(item, "requested_at"));
	snprintf(decide, sizeof(decide), "/api/v1/auth/wechat/login-requests/%s",
	    cJSON_GetStringValue(cJSON_GetObjectItem(item, "id")));
	it_free(&r);
	/* Not from a web session (a stolen web token cannot confirm). */
	it_post(decide, tok, "{\"approve\":true}", &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	it_post(decide, mp, "{\"approve\":\"yes\"}", &r);
	it_assert_problem(&r, 422, "validation");
	it_free(&r);
	it_post(decide, mp, "{\"approve\":true}", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(it_str(&r, "status"), "confirmed");
	it_free(&r);
	it_post(decide, mp, "{\"approve\":true}", &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
	it_get(path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(it_str(&r, "access_token"));
	assert_non_null(it_str(&r, "refresh_token"));
	it_free(&r);
	/* Single use. */
	it_get(path, NULL, &r);
	it_assert_problem(&r, 410, "ticket-expired");
	it_free(&r);

	/* QR-login hijacking: the victim scans the attacker's QR, sees a
	 * request they did not make and refuses it. */
	login_ticket(path, sizeof(path), qr, sizeof(qr));
	assert_int_equal(it_wx_scan(qr, user, 0), 200);
	items = login_requests(mp, &r);
	assert_int_equal(cJSON_GetArraySize(items), 1);
	snprintf(decide, sizeof(decide), "/api/v1/auth/wechat/login-requests/%s",
	    cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(items,
	    0), "id")));
	it_free(&r);
	/* Another account's phone does not see or decide it. */
	{
		char other[16], ouser[32], *otok, *omp;

		otok = it_new_student(other, sizeof(other), PASSWORD);
		omp = it_mp_token(otok, ouser, sizeof(ouser));
		items = login_requests(omp, &r);
		assert_int_equal(cJSON_GetArraySize(items), 0);
		it_free(&r);
		it_post(decide, omp, "{\"approve\":true}", &r);
		it_assert_problem(&r, 404, "not-found");
		it_free(&r);
		free(otok);
		free(omp);
	}
	it_post(decide, mp, "{\"approve\":false}", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(it_str(&r, "status"), "refused");
	it_free(&r);
	it_get(path, NULL, &r);
	it_assert_problem(&r, 403, "login-refused");
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.audit_log l "
	    "JOIN auth.accounts a ON a.id = l.target_id WHERE a.login = $1 AND "
	    "l.action IN ('wechat.login_confirmed', 'wechat.login_refused')",
	    id), 2);

	/* Tickets expire in minutes and are cleaned up. */
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.wechat_tickets "
	    "WHERE expires_at > now() + interval '10 minutes'", NULL), 0);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.wechat_tickets "
	    "WHERE expires_at < now() - interval '15 minutes'", NULL), 0);

	/* A WeChat that is bound to no account gets told so. */
	login_ticket(path, sizeof(path), qr, sizeof(qr));
	assert_int_equal(it_wx_scan(qr, stranger, 0), 200);
	it_get(path, NULL, &r);
	it_assert_problem(&r, 403, "wechat-not-bound");
	it_free(&r);
	it_get("/api/v1/auth/wechat/login-ticket/unknownticket", NULL, &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
	free(mp);
	free(tok);
}

/*
 * Real WeChat gives the official account (scans) and the mini-program
 * (wx.login) different openids for one user, and one unionid: the binding
 * made by a scan is found by the mini-program through the unionid.
 */
static void
test_apps_have_their_own_openids(void **state)
{
	struct it_resp	 r;
	char		 id[16], user[32], *tok, *oa, *mpid, *unionid, *v;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	it_unique(user, sizeof(user), "oWX");
	oa = it_wx_id(user, "oa_openid");
	mpid = it_wx_id(user, "mp_openid");
	unionid = it_wx_id(user, "unionid");
	assert_string_not_equal(oa, mpid);
	assert_int_equal(it_wx_bind(tok, "{}", user), 200);
	v = it_sql_text("SELECT concat_ws('|', b.openid, b.unionid, "
	    "coalesce(b.mp_openid, '-')) FROM auth.wechat_bindings b JOIN "
	    "auth.accounts a ON a.id = b.account_id WHERE a.login = $1", id);
	assert_non_null(v);
	assert_non_null(strstr(v, oa));
	assert_non_null(strstr(v, unionid));
	assert_non_null(strstr(v, "|-"));
	free(v);
	/* wx.login gives the mini-program openid: found by the unionid. */
	it_mp_login(user, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.wechat_bindings "
	    "WHERE mp_openid = $1", mpid), 1);
	/* And by its own openid from then on. */
	it_mp_login(user, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	/* The official account's openid means nothing to the mini-program. */
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.sessions s "
	    "JOIN auth.accounts a ON a.id = s.account_id WHERE a.login = $1 "
	    "AND s.client = 'miniprogram' AND s.wechat_openid <> $1 || '' AND "
	    "s.wechat_openid NOT LIKE 'oM%'", id), 0);
	free(oa);
	free(mpid);
	free(unionid);
	free(tok);
}

/*
 * A binding made before unionids were kept stored the one openid WeChat
 * gave then: the mini-program still finds it, and learns its openid.
 */
static void
test_binding_from_before_unionids_still_logs_in(void **state)
{
	struct it_resp	 r;
	char		 id[16], user[32], *tok, *mpid;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	it_unique(user, sizeof(user), "oWX");
	mpid = it_wx_id(user, "mp_openid");
	{
		char sql[256];

		snprintf(sql, sizeof(sql), "WITH b AS (INSERT INTO "
		    "auth.wechat_bindings (account_id, openid) SELECT id, $1 "
		    "FROM auth.accounts WHERE login = '%s' RETURNING 1) "
		    "SELECT count(*) FROM b", id);
		assert_int_equal(it_sql_long(sql, mpid), 1);
	}
	it_mp_login(user, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.wechat_bindings "
	    "WHERE mp_openid = $1", mpid), 1);
	free(mpid);
	free(tok);
}

/* The query WeChat signs a callback with: token, timestamp and nonce. */
static void
signed_query(const char *nonce, char *out, size_t len)
{
	char		 ts[32], sig[41], joined[256];
	const char	*parts[3], *t;
	int		 i, j;

	snprintf(ts, sizeof(ts), "%ld", (long)time(NULL));
	parts[0] = is_config_get("wechat.callback_token", "");
	parts[1] = ts;
	parts[2] = nonce;
	for (i = 0; i < 3; i++) {
		for (j = i + 1; j < 3; j++) {
			if (strcmp(parts[i], parts[j]) > 0) {
				t = parts[i];
				parts[i] = parts[j];
				parts[j] = t;
			}
		}
	}
	snprintf(joined, sizeof(joined), "%s%s%s", parts[0], parts[1],
	    parts[2]);
	is_sha1_hex(joined, strlen(joined), sig);
	snprintf(out, len, "signature=%s&timestamp=%s&nonce=%s", sig, ts,
	    nonce);
}

/* A signed callback taken once is refused the second time (replay). */
static void
test_callback_replay_refused(void **state)
{
	static const char	 event[] = "<xml><ToUserName><![CDATA[gh_1]]>"
	    "</ToUserName><FromUserName><![CDATA[oReplayTest01]]>"
	    "</FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA["
	    "event]]></MsgType><Event><![CDATA[SCAN]]></Event><EventKey>"
	    "<![CDATA[lnosuchscene]]></EventKey></xml>";
	struct it_resp		 r;
	char			 path[512], query[256], nonce[24];

	(void)state;
	it_unique(nonce, sizeof(nonce), "n");
	signed_query(nonce, query, sizeof(query));
	snprintf(path, sizeof(path), "/api/v1/auth/wechat/callback?%s", query);
	it_request("POST", path, NULL, "text/xml", event, strlen(event), &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "success");
	it_free(&r);
	it_request("POST", path, NULL, "text/xml", event, strlen(event), &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
}

static void
test_callback_checks_signature(void **state)
{
	struct it_resp	r;
	char		path[512], query[256];
	long		before;

	(void)state;
	before = it_sql_long("SELECT count(*) FROM auth.wechat_bindings", NULL);
	it_request("POST", "/api/v1/auth/wechat/callback?signature=00&"
	    "timestamp=1&nonce=2", NULL, "text/xml",
	    "<xml><MsgType>event</MsgType></xml>", 35, &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	it_get("/api/v1/auth/wechat/callback", NULL, &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	/* A correctly signed URL check echoes echostr. */
	signed_query("n0nce", query, sizeof(query));
	snprintf(path, sizeof(path), "/api/v1/auth/wechat/callback?%s"
	    "&echostr=hello42", query);
	it_get(path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "hello42");
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.wechat_bindings",
	    NULL), before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_then_miniprogram_login),
		cmocka_unit_test(test_rebind_needs_confirmation_and_replaces),
		cmocka_unit_test(test_wechat_bound_elsewhere_is_refused),
		cmocka_unit_test(test_web_login_by_scan),
		cmocka_unit_test(test_apps_have_their_own_openids),
		cmocka_unit_test(test_binding_from_before_unionids_still_logs_in),
		cmocka_unit_test(test_callback_checks_signature),
		cmocka_unit_test(test_callback_replay_refused),
	};

	it_init();
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
