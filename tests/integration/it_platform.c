/* The platform through nginx: health, metrics, request IDs, nginx's own
 * problem+json errors, and every service refusing unauthenticated calls. */
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "itest.h"
#include "iscommon/config.h"

static const char *const services[] = { "auth", "attendance", "profile",
    "messaging", "scholarship", NULL };

static void
test_health_of_every_service(void **state)
{
	struct it_resp	r;
	char		path[128];
	int		i;

	(void)state;
	for (i = 0; services[i] != NULL; i++) {
		snprintf(path, sizeof(path), "/api/v1/%s/healthz", services[i]);
		it_get(path, NULL, &r);
		assert_int_equal(r.status, 200);
		assert_string_equal(it_str(&r, "status"), "ok");
		assert_string_equal(it_str(&r, "database"), "ok");
		assert_string_equal(it_str(&r, "service"), services[i]);
		/* One Cache-Control header (Kore 4.1 appends repeats). */
		assert_int_equal(r.cache_controls, 1);
		assert_string_equal(r.cache_control, "no-store");
		it_free(&r);
		snprintf(path, sizeof(path), "/api/v1/%s/readyz", services[i]);
		it_get(path, NULL, &r);
		assert_int_equal(r.status, 200);
		it_free(&r);
	}
}

/*
 * Metrics are the scraper's: never through nginx, and on a service's own
 * port only with metrics.token (issue 10, item 15).
 */
static void
test_metrics_count_requests(void **state)
{
	struct it_resp	r;
	char		url[128];
	int		i;

	(void)state;
	for (i = 0; services[i] != NULL; i++) {
		snprintf(url, sizeof(url), "/api/v1/%s/metrics", services[i]);
		it_get(url, NULL, &r);
		it_assert_problem(&r, 404, "not-found");
		it_free(&r);
	}
	it_get("/api/v1/auth/healthz", NULL, &r);
	it_free(&r);
	/* auth listens on IS_PORT_BASE + 1 (deploy/services.sh). */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/auth/metrics",
	    atoi(getenv("IS_PORT_BASE")) + 1);
	it_get(url, NULL, &r);
	it_assert_problem(&r, 401, "unauthorized");
	it_free(&r);
	it_get(url, "not-the-token", &r);
	it_assert_problem(&r, 401, "unauthorized");
	it_free(&r);
	assert_string_not_equal(is_config_get("metrics.token", ""), "");
	it_get(url, is_config_get("metrics.token", ""), &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "is_http_requests_total{service=\"auth\","
	    "route=\"is_healthz\",code=\"2xx\"}"));
	assert_non_null(strstr(r.body, "is_http_request_duration_seconds_bucket{"
	    "service=\"auth\",route=\"is_healthz\",le=\"+Inf\"}"));
	it_free(&r);
}

static void
test_unauthenticated_refused_everywhere(void **state)
{
	struct it_resp	r;
	char		path[128];
	int		i;

	(void)state;
	/* auth has public endpoints (login...); the others have none. */
	for (i = 1; services[i] != NULL; i++) {
		snprintf(path, sizeof(path), "/api/v1/%s/anything", services[i]);
		it_get(path, NULL, &r);
		it_assert_problem(&r, 401, "unauthorized");
		it_free(&r);
		it_get(path, "not.a.token", &r);
		it_assert_problem(&r, 401, "unauthorized");
		it_free(&r);
	}
	it_get("/api/v1/auth/me", NULL, &r);
	it_assert_problem(&r, 401, "unauthorized");
	it_free(&r);
}

static void
test_token_accepted_by_other_services(void **state)
{
	struct it_resp	 r;
	char		*tok;

	(void)state;
	tok = it_login("2023S0001", it_demo_password(), NULL);
	assert_non_null(tok);
	/* Authenticated, so the answer is "no such endpoint", not 401. */
	it_get("/api/v1/profile/nothing-here", tok, &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
	free(tok);
}

static void
test_request_id_kept_and_generated(void **state)
{
	struct it_resp	r;

	(void)state;
	it_request("GET", "/api/v1/auth/me", NULL, NULL, NULL, 0, &r);
	assert_true(strlen(r.request_id) > 8);
	assert_string_equal(it_str(&r, "request_id"), r.request_id);
	it_free(&r);
}

static void
test_nginx_errors_are_problems(void **state)
{
	struct it_resp	 r;
	char		*big;

	(void)state;
	it_get("/no/such/path", NULL, &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
	big = malloc(200 * 1024);
	memset(big, 'a', 200 * 1024);
	it_request("POST", "/api/v1/auth/login", NULL, "application/json", big,
	    200 * 1024, &r);
	it_assert_problem(&r, 413, "payload-too-large");
	it_free(&r);
	free(big);
	/* Wrong methods, at nginx (login) and at Kore (sessions). */
	it_request("DELETE", "/api/v1/auth/login", NULL, NULL, NULL, 0, &r);
	it_assert_problem(&r, 405, "method-not-allowed");
	it_free(&r);
	it_request("PUT", "/api/v1/auth/sessions", NULL, "application/json",
	    "{}", 2, &r);
	it_assert_problem(&r, 405, "method-not-allowed");
	it_free(&r);
	it_request("POST", "/api/v1/auth/me", NULL, "application/json", "{}",
	    2, &r);
	it_assert_problem(&r, 405, "method-not-allowed");
	it_free(&r);
}

/* Logs are not for everyone, and hold no login-ticket id (a bearer's
 * secret while it lives). */
/* The contract as a page, built with the stack: served whole by nginx,
 * loading nothing from elsewhere. */
static void
test_api_docs_served(void **state)
{
	struct it_resp	r;

	(void)state;
	it_get("/api/docs", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.ctype, "text/html"));
	assert_non_null(strstr(r.body, "IS System API"));
	assert_non_null(strstr(r.body, "authLogin"));	/* an operationId */
	assert_non_null(strstr(r.body, "src=\"/api/docs/redoc.standalone.js\""));
	assert_null(strstr(r.body, "src=\"http"));
	it_free(&r);
	it_get("/api/docs/redoc.standalone.js", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(r.len > 100000);
	it_free(&r);
	/* Its download link: the contract itself. */
	it_get("/api/docs/openapi.yaml", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "openapi: 3.1"));
	it_free(&r);
}

static void
test_logs_are_private(void **state)
{
	static const char *const logs[] = { "nginx/access.log",
	    "nginx/error.log", "logs/auth.log", "logs/attendance.log",
	    "logs/messaging.log", NULL };
	struct it_resp	 r;
	struct stat	 st;
	char		 path[512], id[128];
	int		 i;

	(void)state;
	for (i = 0; logs[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", getenv("IS_TEST_RUN"),
		    logs[i]);
		assert_int_equal(stat(path, &st), 0);
		if ((st.st_mode & 0777) != 0640)
			fail_msg("%s: mode %o", logs[i], st.st_mode & 0777);
	}
	it_post("/api/v1/auth/wechat/login-ticket", NULL, "{}", &r);
	assert_int_equal(r.status, 201);
	snprintf(id, sizeof(id), "%s", it_str(&r, "ticket_id"));
	it_free(&r);
	snprintf(path, sizeof(path), "/api/v1/auth/wechat/login-ticket/%s", id);
	it_get(path, NULL, &r);
	assert_int_equal(r.status, 202);
	it_free(&r);
	/* nginx flushes its log buffer each second. */
	for (i = 0; i < 30 && it_access_count("login-ticket/[redacted]") == 0;
	    i++)
		usleep(100 * 1000);
	assert_true(it_access_count("login-ticket/[redacted]") > 0);
	assert_int_equal(it_access_count(id), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_of_every_service),
		cmocka_unit_test(test_metrics_count_requests),
		cmocka_unit_test(test_logs_are_private),
		cmocka_unit_test(test_api_docs_served),
		cmocka_unit_test(test_unauthenticated_refused_everywhere),
		cmocka_unit_test(test_token_accepted_by_other_services),
		cmocka_unit_test(test_request_id_kept_and_generated),
		cmocka_unit_test(test_nginx_errors_are_problems),
	};

	it_init();
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
