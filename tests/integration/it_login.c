/* Login, forced password change, refresh rotation and reuse detection,
 * logout, sessions, lockout, /me. */
#include <curl/curl.h>
#include <libpq-fe.h>

#include "itest.h"

#define PASSWORD	"Str0ng-Pass-2026"

static void
test_login_and_me(void **state)
{
	struct it_resp	 r;
	char		*tok, *refresh = NULL;
	cJSON		*roles;

	(void)state;
	tok = it_login("C0001", it_demo_password(), &refresh);
	assert_non_null(tok);
	assert_non_null(refresh);
	it_get("/api/v1/auth/me", tok, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(it_str(&r, "account"), "C0001");
	assert_string_equal(it_str(&r, "kind"), "staff");
	roles = cJSON_GetObjectItem(r.json, "roles");
	assert_string_equal(cJSON_GetArrayItem(roles, 0)->valuestring,
	    "counsellor");
	/* The counsellor's scope lists the two demo students. */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "scopes")), 2);
	assert_non_null(cJSON_GetObjectItem(r.json, "wechat"));
	it_free(&r);
	free(tok);
	free(refresh);
}

static void
test_wrong_password_and_unknown_account_look_alike(void **state)
{
	struct it_resp	r1, r2;

	(void)state;
	it_post("/api/v1/auth/login", NULL,
	    "{\"account\":\"2024S0003\",\"password\":\"wrong-one-1\"}", &r1);
	it_post("/api/v1/auth/login", NULL,
	    "{\"account\":\"NOSUCH999\",\"password\":\"wrong-one-1\"}", &r2);
	it_assert_problem(&r1, 401, "invalid-credentials");
	it_assert_problem(&r2, 401, "invalid-credentials");
	assert_string_equal(it_str(&r1, "title"), it_str(&r2, "title"));
	it_free(&r1);
	it_free(&r2);
}

static void
test_first_login_forces_password_change(void **state)
{
	struct it_resp	 r;
	char		 id[16], json[256], *first, *tok;

	(void)state;
	/* it_new_student changes the password itself; redo it by hand. */
	tok = it_new_student(id, sizeof(id), PASSWORD);
	assert_non_null(tok);
	free(tok);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.audit_log a "
	    "JOIN auth.accounts u ON u.id = a.target_id WHERE u.login = $1 "
	    "AND a.action = 'password.changed'", id), 1);

	first = it_login("2025S0004", it_initial_password(), NULL);
	assert_non_null(first);
	it_get("/api/v1/auth/sessions", first, &r);
	it_assert_problem(&r, 403, "password-change-required");
	it_free(&r);
	it_get("/api/v1/profile/anything", first, &r);
	it_assert_problem(&r, 403, "password-change-required");
	it_free(&r);
	it_get("/api/v1/auth/me", first, &r);
	assert_int_equal(r.status, 200);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json,
	    "must_change_password")));
	it_free(&r);
	/* Policy: not the initial password, not containing the ID, long. */
	snprintf(json, sizeof(json), "{\"current_password\":\"%s\","
	    "\"new_password\":\"%s\"}", it_initial_password(),
	    it_initial_password());
	it_post("/api/v1/auth/me/password", first, json, &r);
	it_assert_problem(&r, 422, "weak-password");
	it_free(&r);
	snprintf(json, sizeof(json), "{\"current_password\":\"%s\","
	    "\"new_password\":\"x2025S0004y\"}", it_initial_password());
	it_post("/api/v1/auth/me/password", first, json, &r);
	it_assert_problem(&r, 422, "weak-password");
	it_free(&r);
	it_post("/api/v1/auth/me/password", first,
	    "{\"current_password\":\"not-it-1\",\"new_password\":"
	    "\"Another-Good-1\"}", &r);
	it_assert_problem(&r, 422, "current-password-wrong");
	it_free(&r);
	/* Still forced: nothing was changed. */
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.accounts "
	    "WHERE login = $1 AND must_change_password", "2025S0004"), 1);
	free(first);
}

static void
test_refresh_rotation_and_reuse_detection(void **state)
{
	struct it_resp	 r;
	char		 json[256], *tok, *r1 = NULL, *r2;

	(void)state;
	tok = it_login("2023S0002", it_demo_password(), &r1);
	assert_non_null(tok);
	snprintf(json, sizeof(json), "{\"refresh_token\":\"%s\"}", r1);
	it_post("/api/v1/auth/token/refresh", NULL, json, &r);
	assert_int_equal(r.status, 200);
	r2 = strdup(it_str(&r, "refresh_token"));
	assert_string_not_equal(r1, r2);
	assert_non_null(it_str(&r, "access_token"));
	it_free(&r);
	/* Replaying the rotated token revokes the whole family... */
	it_post("/api/v1/auth/token/refresh", NULL, json, &r);
	it_assert_problem(&r, 401, "invalid-refresh-token");
	it_free(&r);
	/* ...so the newest token is dead too, and so is the session. */
	snprintf(json, sizeof(json), "{\"refresh_token\":\"%s\"}", r2);
	it_post("/api/v1/auth/token/refresh", NULL, json, &r);
	it_assert_problem(&r, 401, "invalid-refresh-token");
	it_free(&r);
	it_get("/api/v1/auth/me", tok, &r);
	it_assert_problem(&r, 401, "unauthorized");
	it_free(&r);
	assert_true(it_sql_long("SELECT count(*) FROM auth.audit_log WHERE "
	    "action = 'session.reuse_detected'", NULL) >= 1);
	free(tok);
	free(r1);
	free(r2);
}

static void
test_logout_and_sessions(void **state)
{
	struct it_resp	 r;
	char		 path[128], json[256], *a, *b, *ra = NULL;
	const cJSON	*item;
	const char	*other = NULL;

	(void)state;
	a = it_login("2024S0003", it_demo_password(), &ra);
	b = it_login("2024S0003", it_demo_password(), NULL);
	it_get("/api/v1/auth/sessions", a, &r);
	assert_int_equal(r.status, 200);
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(r.json, "items")) {
		if (!cJSON_IsTrue(cJSON_GetObjectItem(item, "current")))
			other = cJSON_GetObjectItem(item, "id")->valuestring;
	}
	assert_non_null(other);
	snprintf(path, sizeof(path), "/api/v1/auth/sessions/%s", other);
	it_free(&r);
	/* Revoking a session that is not yours: 404. */
	{
		char *c = it_login("2023S0001", it_demo_password(), NULL);
		it_request("DELETE", path, c, NULL, NULL, 0, &r);
		it_assert_problem(&r, 404, "not-found");
		it_free(&r);
		free(c);
	}
	it_free(&r);
	it_get("/api/v1/auth/sessions", a, &r);
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(r.json, "items")) {
		if (!cJSON_IsTrue(cJSON_GetObjectItem(item, "current"))) {
			snprintf(path, sizeof(path), "/api/v1/auth/sessions/%s",
			    cJSON_GetObjectItem(item, "id")->valuestring);
			break;
		}
	}
	it_free(&r);
	it_request("DELETE", path, a, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 204);
	it_free(&r);
	it_request("POST", "/api/v1/auth/logout", a, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 204);
	it_free(&r);
	it_get("/api/v1/auth/me", a, &r);
	it_assert_problem(&r, 401, "unauthorized");
	it_free(&r);
	snprintf(json, sizeof(json), "{\"refresh_token\":\"%s\"}", ra);
	it_post("/api/v1/auth/token/refresh", NULL, json, &r);
	it_assert_problem(&r, 401, "invalid-refresh-token");
	it_free(&r);
	free(a);
	free(b);
	free(ra);
}

static void
test_lockout_after_repeated_failures(void **state)
{
	struct it_resp	 r;
	char		 id[16], json[256], *tok;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	assert_non_null(tok);
	free(tok);
	/* Slowed down after 3 failures (each try waits), locked at 5. */
	assert_true(it_fail_login_until_locked(id) >= 1);
	/* Locked now, even with the right password. */
	snprintf(json, sizeof(json), "{\"account\":\"%s\",\"password\":\"%s\"}",
	    id, PASSWORD);
	it_post("/api/v1/auth/login", NULL, json, &r);
	it_assert_problem(&r, 429, "account-locked");
	assert_true(atoi(r.retry_after) > 0);
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.login_failures "
	    "WHERE login = lower($1) AND locked_until > now()", id), 1);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.audit_log a "
	    "JOIN auth.accounts u ON u.id = a.target_id WHERE u.login = $1 "
	    "AND a.action = 'login.locked'", id), 1);
}

/* Logins and /me work, and no auth worker died since deaths were counted. */
static void
logins_still_served(const char *account, int deaths)
{
	struct it_resp	 r;
	char		*tok;
	int		 i;

	for (i = 0; i < 4; i++) {
		tok = it_login(account, it_demo_password(), NULL);
		assert_non_null(tok);
		it_get("/api/v1/auth/me", tok, &r);
		assert_int_equal(r.status, 200);
		it_free(&r);
		free(tok);
	}
	assert_int_equal(it_worker_deaths("auth"), deaths);
}

/*
 * Clients that hang up while their password is being hashed must not hurt
 * the worker (Kore frees such a request twice: once postponed).
 */
static void
test_disconnect_during_login_is_harmless(void **state)
{
	int	i, deaths;

	(void)state;
	deaths = it_worker_deaths("auth");
	for (i = 0; i < 8; i++) {
		CURL *curl = curl_easy_init();
		struct curl_slist *h = curl_slist_append(NULL,
		    "Content-Type: application/json");
		char url[256];
		snprintf(url, sizeof(url), "%s/api/v1/auth/login",
		    getenv("IS_TEST_URL") ? getenv("IS_TEST_URL") :
		    "http://127.0.0.1:18080");
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "{\"account\":"
		    "\"2023S0001\",\"password\":\"whatever-1\"}");
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 3L);
		curl_easy_perform(curl);
		curl_slist_free_all(h);
		curl_easy_cleanup(curl);
	}
	/* These wait behind the abandoned hashes in the task threads. */
	logins_still_served("2023S0001", deaths);
}

#define ABORTED_REFRESH	"\"uri\":\"/api/v1/auth/token/refresh\",\"status\":499"

/*
 * Clients that give up while their requests wait for a database
 * connection (the pool is full: their queries are blocked behind a lock)
 * must not hurt the worker either: Kore frees such requests while their
 * query has not started.
 */
static void
test_clients_leaving_queued_requests(void **state)
{
	struct it_resp	 out[40];
	char		*bodies[40], *tokens[40];
	PGconn		*locker;
	int		 i, deaths, aborted;
	int		 auth_port = atoi(getenv("IS_PORT_BASE")) + 1;

	(void)state;
	deaths = it_worker_deaths("auth");
	locker = it_lock_table("auth.refresh_tokens");
	for (i = 0; i < 40; i++) {
		bodies[i] = "{\"refresh_token\":\"abandoned-refresh-token-0\"}";
		tokens[i] = NULL;
	}
	/* 12 hold the pool's connections, the rest wait for one: all go. */
	aborted = it_access_count(ABORTED_REFRESH);
	it_post_all_within(40, "/api/v1/auth/token/refresh", tokens, bodies,
	    out, 700);
	for (i = 0; i < 40; i++) {
		assert_int_equal(out[i].status, 0);
		it_free(&out[i]);
	}
	/*
	 * nginx gives up on them too (499) and closes its connections to
	 * auth; auth has freed the requests once it has closed its side.
	 */
	for (i = 0; i < 100 && it_access_count(ABORTED_REFRESH) < aborted + 40;
	    i++)
		usleep(50000);
	assert_true(it_access_count(ABORTED_REFRESH) >= aborted + 40);
	for (i = 0; i < 100 && it_close_wait(auth_port) > 0; i++)
		usleep(20000);
	assert_int_equal(it_close_wait(auth_port), 0);
	it_unlock_table(locker);
	logins_still_served("2023S0002", deaths);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_and_me),
		cmocka_unit_test(test_wrong_password_and_unknown_account_look_alike),
		cmocka_unit_test(test_first_login_forces_password_change),
		cmocka_unit_test(test_refresh_rotation_and_reuse_detection),
		cmocka_unit_test(test_logout_and_sessions),
		cmocka_unit_test(test_lockout_after_repeated_failures),
		cmocka_unit_test(test_disconnect_during_login_is_harmless),
		cmocka_unit_test(test_clients_leaving_queued_requests),
	};

	it_init();
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
