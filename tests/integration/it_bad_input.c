/*
 * Bad input on every JSON endpoint: malformed JSON, wrong types, unknown
 * fields, oversized bodies, SQL metacharacters, invalid UTF-8 and wrong
 * content types are answered with problem+json, and nothing in the
 * database changes.
 */
#include "itest.h"

struct endpoint {
	const char	*path;
	int		 auth;		/* 1: a student token, 2: admin */
	const char	*wrong_types;	/* a body with a mistyped field */
};

static const struct endpoint endpoints[] = {
	{ "/api/v1/auth/login", 0, "{\"account\":1,\"password\":true}" },
	{ "/api/v1/auth/token/refresh", 0, "{\"refresh_token\":[1]}" },
	{ "/api/v1/auth/me/password", 1,
	    "{\"current_password\":1,\"new_password\":{}}" },
	{ "/api/v1/auth/me/email", 1, "{\"email\":42}" },
	{ "/api/v1/auth/me/email/confirm", 1, "{\"code\":123456}" },
	{ "/api/v1/auth/me/mobile", 1, "{\"mobile\":13800000000}" },
	{ "/api/v1/auth/me/mobile/confirm", 1, "{\"code\":false}" },
	{ "/api/v1/auth/password/recover", 0,
	    "{\"account\":\"2023S0001\",\"channel\":\"fax\"}" },
	{ "/api/v1/auth/password/reset", 0,
	    "{\"account\":\"2023S0001\",\"channel\":\"email\",\"code\":1,"
	    "\"new_password\":2}" },
	{ "/api/v1/auth/admin/staff", 2, "{\"staff_id\":7,\"roles\":\"io\"}" },
	{ "/api/v1/auth/wechat/bind-ticket", 1, "{\"confirm_rebind\":\"yes\"}" },
	{ "/api/v1/auth/wechat/login-ticket", 0, "{\"x\":1}" },
	{ "/api/v1/auth/wechat/miniprogram/login", 0, "{\"code\":5}" },
	{ NULL, 0, NULL }
};

/* Everything a test could change, summed into one number. */
static long
db_fingerprint(void)
{
	return (it_sql_long("SELECT (SELECT count(*) FROM auth.accounts) * 7 +"
	    " (SELECT count(*) FROM auth.sessions WHERE revoked_at IS NULL) * 11"
	    " + (SELECT count(*) FROM auth.verification_codes) * 13 +"
	    " (SELECT count(*) FROM messaging.outbox) * 17 +"
	    " (SELECT coalesce(sum(length(password_hash)), 0) FROM auth.accounts)"
	    " + (SELECT count(*) FROM auth.account_roles) * 19 +"
	    " (SELECT count(*) FROM auth.wechat_bindings) * 23", NULL));
}

static void
expect_problem_any(struct it_resp *r, const char *what, const char *path)
{
	if (r->status < 400 || r->status > 499 ||
	    strncmp(r->ctype, "application/problem+json", 24) != 0 ||
	    it_str(r, "code") == NULL)
		fail_msg("%s on %s: got %ld '%s' %s", what, path, r->status,
		    r->ctype, r->body);
}

static void
test_every_endpoint_refuses_bad_bodies(void **state)
{
	const struct endpoint	*e;
	struct it_resp		 r;
	char			*tok, *admin, *big;
	const char		*t;
	long			 before;

	(void)state;
	/* The demo student binds nothing; all calls below must fail. */
	tok = it_login("2023S0002", it_demo_password(), NULL);
	admin = it_admin_token();
	assert_non_null(tok);
	assert_non_null(admin);
	before = db_fingerprint();
	big = malloc(70 * 1024 + 1);
	memset(big, ' ', 70 * 1024);
	memcpy(big, "{\"account\":\"", 12);
	big[70 * 1024 - 2] = '"';
	big[70 * 1024 - 1] = '}';
	big[70 * 1024] = '\0';
	for (e = endpoints; e->path != NULL; e++) {
		t = e->auth == 2 ? admin : e->auth ? tok : NULL;
		it_post(e->path, t, "{\"account\":", &r);
		expect_problem_any(&r, "malformed JSON", e->path);
		if (r.status != 400)
			fail_msg("malformed JSON on %s: %ld", e->path, r.status);
		it_free(&r);
		it_post(e->path, t, e->wrong_types, &r);
		expect_problem_any(&r, "wrong types", e->path);
		if (r.status != 422)
			fail_msg("wrong types on %s: %ld", e->path, r.status);
		it_free(&r);
		it_post(e->path, t, "{\"unexpected_field\":\"x\"}", &r);
		expect_problem_any(&r, "unknown field", e->path);
		it_free(&r);
		it_post(e->path, t, "{\"code\":\"\xff\xfe\xfd\"}", &r);
		expect_problem_any(&r, "invalid UTF-8", e->path);
		if (r.status != 400)
			fail_msg("invalid UTF-8 on %s: %ld", e->path, r.status);
		it_free(&r);
		it_post(e->path, t, "[]", &r);
		expect_problem_any(&r, "array body", e->path);
		it_free(&r);
		it_request("POST", e->path, t, "text/plain", "hello", 5, &r);
		expect_problem_any(&r, "wrong content type", e->path);
		it_free(&r);
		it_request("POST", e->path, t, "application/json", big,
		    strlen(big), &r);
		expect_problem_any(&r, "oversized body", e->path);
		if (r.status != 413)
			fail_msg("oversized body on %s: %ld", e->path, r.status);
		it_free(&r);
	}
	free(big);
	assert_int_equal(db_fingerprint(), before);
	free(tok);
	free(admin);
}

static void
test_sql_metacharacters_are_data(void **state)
{
	static const char *const evil[] = {
		"' OR '1'='1", "2023S0001'; DROP TABLE auth.accounts; --",
		"\\\\x00", "$1", "%' --", "\\u0000",
	};
	struct it_resp	r;
	char		json[512];
	long		before;
	size_t		i;

	(void)state;
	before = db_fingerprint();
	for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		snprintf(json, sizeof(json), "{\"account\":\"%s\",\"password\":"
		    "\"%s\"}", evil[i], evil[i]);
		it_post("/api/v1/auth/login", NULL, json, &r);
		/* A \u0000 decodes to an empty string: refused as too short. */
		if (r.status != 401 && r.status != 400 && r.status != 422)
			fail_msg("login with %s: %ld %s", evil[i], r.status,
			    r.body);
		expect_problem_any(&r, "metacharacters", "login");
		it_free(&r);
		snprintf(json, sizeof(json), "{\"account\":\"%s\",\"channel\":"
		    "\"email\"}", evil[i]);
		it_post("/api/v1/auth/password/recover", NULL, json, &r);
		it_assert_problem(&r, 422, "validation");
		it_free(&r);
	}
	/* Failed logins are recorded (per login name), nothing else. */
	assert_int_equal(db_fingerprint(), before);
	assert_true(it_sql_long("SELECT count(*) FROM auth.accounts", NULL) > 5);
}

static void
test_query_and_path_input(void **state)
{
	struct it_resp	 r;
	char		*admin, *tok;

	(void)state;
	admin = it_admin_token();
	tok = it_login("2023S0001", it_demo_password(), NULL);
	it_get("/api/v1/messaging/dev/sink", admin, &r);
	it_assert_problem(&r, 422, "validation");
	it_free(&r);
	it_get("/api/v1/messaging/dev/sink?to=a&limit=1000", admin, &r);
	it_assert_problem(&r, 422, "validation");
	it_free(&r);
	it_get("/api/v1/messaging/dev/sink?to=%27%20OR%201%3D1--", admin, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(cJSON_GetArraySize(r.json), 0);
	it_free(&r);
	it_request("DELETE", "/api/v1/auth/sessions/not-a-uuid", tok, NULL,
	    NULL, 0, &r);
	expect_problem_any(&r, "bad session id", "sessions");
	it_free(&r);
	it_request("DELETE", "/api/v1/auth/sessions/"
	    "00000000-0000-0000-0000-000000000000", tok, NULL, NULL, 0, &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
	free(admin);
	free(tok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_endpoint_refuses_bad_bodies),
		cmocka_unit_test(test_sql_metacharacters_are_data),
		cmocka_unit_test(test_query_and_path_input),
	};

	it_init();
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
