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
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.wechat_bindings"
	    " WHERE openid = $1", first), 0);
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

static void
test_web_login_by_scan(void **state)
{
	struct it_resp	 r;
	char		 id[16], openid[32], stranger[32], path[256], qr[512];
	char		*tok;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	it_unique(openid, sizeof(openid), "oWX");
	it_unique(stranger, sizeof(stranger), "oWX");
	assert_int_equal(it_wx_bind(tok, "{}", openid), 200);

	it_post("/api/v1/auth/wechat/login-ticket", NULL, "{}", &r);
	assert_int_equal(r.status, 201);
	snprintf(path, sizeof(path), "/api/v1/auth/wechat/login-ticket/%s",
	    it_str(&r, "ticket_id"));
	snprintf(qr, sizeof(qr), "%s", it_str(&r, "qr_url"));
	it_free(&r);
	it_get(path, NULL, &r);
	assert_int_equal(r.status, 202);
	assert_string_equal(it_str(&r, "status"), "pending");
	it_free(&r);
	assert_int_equal(it_wx_scan(qr, openid, 0), 200);
	it_get(path, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(it_str(&r, "access_token"));
	assert_non_null(it_str(&r, "refresh_token"));
	it_free(&r);
	/* Single use. */
	it_get(path, NULL, &r);
	it_assert_problem(&r, 410, "ticket-expired");
	it_free(&r);
	/* A WeChat that is bound to no account gets told so. */
	it_post("/api/v1/auth/wechat/login-ticket", NULL, "{}", &r);
	snprintf(path, sizeof(path), "/api/v1/auth/wechat/login-ticket/%s",
	    it_str(&r, "ticket_id"));
	assert_int_equal(it_wx_scan(it_str(&r, "qr_url"), stranger, 0), 200);
	it_free(&r);
	it_get(path, NULL, &r);
	it_assert_problem(&r, 403, "wechat-not-bound");
	it_free(&r);
	it_get("/api/v1/auth/wechat/login-ticket/unknownticket", NULL, &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
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
		cmocka_unit_test(test_callback_checks_signature),
		cmocka_unit_test(test_callback_replay_refused),
	};

	it_init();
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
