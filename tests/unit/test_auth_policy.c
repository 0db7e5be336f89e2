/* Unit tests of the auth service's pure rules (services/auth/policy.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "auth.h"
#include "wechat.h"

static void
test_password_policy(void **state)
{
	(void)state;
	assert_int_equal(auth_password_check("short1", "2023S0001",
	    "Welcome@HIT2026", 8), AUTH_PW_TOO_SHORT);
	assert_int_equal(auth_password_check("onlyletters", "2023S0001",
	    "Welcome@HIT2026", 8), AUTH_PW_NEEDS_MIX);
	assert_int_equal(auth_password_check("1234567890", "2023S0001",
	    "Welcome@HIT2026", 8), AUTH_PW_NEEDS_MIX);
	assert_int_equal(auth_password_check("Welcome@HIT2026", "2023S0001",
	    "Welcome@HIT2026", 8), AUTH_PW_IS_INITIAL);
	assert_int_equal(auth_password_check("my2023s0001pw", "2023S0001",
	    "Welcome@HIT2026", 8), AUTH_PW_CONTAINS_ID);
	/* The most common passwords, in any case. */
	assert_int_equal(auth_password_check("Password123", "2023S0001",
	    "Welcome@HIT2026", 8), AUTH_PW_COMMON);
	assert_int_equal(auth_password_check("1QAZ2WSX", "2023S0001",
	    "Welcome@HIT2026", 8), AUTH_PW_COMMON);
	assert_int_equal(auth_password_check("qwerty123", NULL, NULL, 8),
	    AUTH_PW_COMMON);
	assert_false(auth_password_common("Good-Pass-42"));
	assert_true(auth_password_common("abcd1234"));
	assert_int_equal(auth_password_check("Good-Pass-42", "2023S0001",
	    "Welcome@HIT2026", 8), AUTH_PW_OK);
	assert_int_equal(auth_password_check("中文密码abc123", "2023S0001",
	    "x", 8), AUTH_PW_OK);
	assert_string_not_equal(auth_password_reason(AUTH_PW_TOO_SHORT), "ok");
}

static void
test_code_hash_binds_purpose_and_account(void **state)
{
	char	a[65], b[65], c[65], d[65];

	(void)state;
	assert_int_equal(auth_code_hash("k", "bind-email", "2023S0001",
	    "123456", a), 0);
	auth_code_hash("k", "bind-email", "2023s0001", "123456", b);
	assert_string_equal(a, b);		/* login case does not matter */
	auth_code_hash("k", "bind-mobile", "2023S0001", "123456", c);
	assert_string_not_equal(a, c);
	auth_code_hash("k", "bind-email", "2023S0002", "123456", d);
	assert_string_not_equal(a, d);
	auth_token_hash("k", "refresh", "tok", c);
	auth_token_hash("k2", "refresh", "tok", d);
	assert_string_not_equal(c, d);
	auth_token_hash("k", "device", "tok", d);
	assert_string_not_equal(c, d);		/* kinds do not mix */
}

static void
test_student_email(void **state)
{
	char	out[64];

	(void)state;
	assert_int_equal(auth_student_email("2023S0001", "stu.hit.edu.cn", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "2023s0001@stu.hit.edu.cn");
	assert_int_equal(auth_student_email("2023S0001", "stu.hit.edu.cn", out,
	    8), -1);
}

static void
test_wechat_signature(void **state)
{
	(void)state;
	/* sha1 of the sorted concatenation "1409735669abcdefgtoken". */
	assert_true(auth_wechat_signature_ok("token", "1409735669", "abcdefg",
	    "0eeab0992dbe960386bce156ee8be2ccff59ccc8"));
	assert_false(auth_wechat_signature_ok("token", "1409735669", "abcdefg",
	    "0eeab0992dbe960386bce156ee8be2ccff59ccc9"));
	assert_false(auth_wechat_signature_ok("token", NULL, "a", "b"));
	/* The token WeChat accepts; the old shipped demo value is not one. */
	assert_true(auth_wechat_token_usable("a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"));
	assert_true(auth_wechat_token_usable("abc"));
	assert_false(auth_wechat_token_usable("ab"));
	assert_false(auth_wechat_token_usable(""));
	assert_false(auth_wechat_token_usable(NULL));
	assert_false(auth_wechat_token_usable("demo-callback-token"));
	assert_false(auth_wechat_token_usable("a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e"));
}

static void
test_claims_from_json(void **state)
{
	struct is_claims	 c;
	cJSON			*doc;

	(void)state;
	doc = cJSON_Parse("{\"sub\":\"u\",\"account\":\"A0001\",\"sid\":\"s\","
	    "\"client\":\"web\",\"wx\":\"\",\"must_change_password\":false,"
	    "\"roles\":[\"admin\",\"io\"]}");
	assert_int_equal(auth_claims_from_json(doc, &c), 0);
	assert_int_equal(c.nroles, 2);
	assert_false(c.must_change_password);
	cJSON_Delete(doc);
	doc = cJSON_Parse("{\"sub\":\"u\"}");
	assert_int_equal(auth_claims_from_json(doc, &c), -1);
	cJSON_Delete(doc);
}

static void
test_wechat_scan_events(void **state)
{
	char		 openid[64], scene[80];
	const char	*scan = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName>"
	    "<FromUserName><![CDATA[oABCDEF123]]></FromUserName>"
	    "<CreateTime>1</CreateTime><MsgType><![CDATA[event]]></MsgType>"
	    "<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[bXYZ]]>"
	    "</EventKey></xml>";
	const char	*subscribe = "<xml><FromUserName>oABCDEF123</FromUserName>"
	    "<MsgType>event</MsgType><Event>subscribe</Event>"
	    "<EventKey>qrscene_lQRS</EventKey></xml>";
	const char	*plain = "<xml><FromUserName>oABCDEF123</FromUserName>"
	    "<MsgType>event</MsgType><Event>subscribe</Event>"
	    "<EventKey></EventKey></xml>";
	const char	*text = "<xml><FromUserName>oABCDEF123</FromUserName>"
	    "<MsgType>text</MsgType><Content>hi</Content></xml>";
	const char	*xxe = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY "
	    "e SYSTEM \"file:///etc/passwd\">]><xml><FromUserName>oABCDEF123"
	    "</FromUserName><MsgType>event</MsgType><Event>SCAN</Event>"
	    "<EventKey>&e;</EventKey></xml>";

	(void)state;
	assert_int_equal(wx_parse_scan_event(scan, strlen(scan), openid,
	    sizeof(openid), scene, sizeof(scene)), 0);
	assert_string_equal(openid, "oABCDEF123");
	assert_string_equal(scene, "bXYZ");
	assert_int_equal(wx_parse_scan_event(subscribe, strlen(subscribe),
	    openid, sizeof(openid), scene, sizeof(scene)), 0);
	assert_string_equal(scene, "lQRS");
	assert_int_equal(wx_parse_scan_event(plain, strlen(plain), openid,
	    sizeof(openid), scene, sizeof(scene)), -1);
	assert_int_equal(wx_parse_scan_event(text, strlen(text), openid,
	    sizeof(openid), scene, sizeof(scene)), -1);
	assert_int_equal(wx_parse_scan_event("<xml", 4, openid, sizeof(openid),
	    scene, sizeof(scene)), -1);
	/* External entities are never loaded. */
	if (wx_parse_scan_event(xxe, strlen(xxe), openid, sizeof(openid),
	    scene, sizeof(scene)) == 0)
		assert_null(strstr(scene, "root:"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_policy),
		cmocka_unit_test(test_code_hash_binds_purpose_and_account),
		cmocka_unit_test(test_student_email),
		cmocka_unit_test(test_wechat_signature),
		cmocka_unit_test(test_claims_from_json),
		cmocka_unit_test(test_wechat_scan_events),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
