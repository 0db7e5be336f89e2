/*
 * An ended session ends everywhere (issue 10, item 4): after a logout or a
 * password change elsewhere, the session's access token changes nothing
 * in auth at once and is refused by the other services within 2 seconds
 * (the revocation feed). Changing how the account is reached needs the
 * password proved in the session within auth.reauth_seconds, and the
 * channel it replaces is told.
 */
#include "itest.h"

#define PASSWORD	"Str0ng-Pass-2026"
#define FEED_LIMIT_MS	2000

/* Milliseconds from since until tok is refused by attendance and profile
 * (asked repeatedly, so each worker answers), or -1 after 5 s. */
static long
refused_everywhere_after(const char *tok, long since)
{
	while (it_now_ms() - since < 5000) {
		if (it_status_of("/api/v1/attendance/rates", tok, 4) == 401 &&
		    it_status_of("/api/v1/profile/anything", tok, 4) == 401 &&
		    it_status_of("/api/v1/messaging/inbox", tok, 4) == 401 &&
		    it_status_of("/api/v1/scholarship/anything", tok, 4) == 401)
			return (it_now_ms() - since);
		usleep(50 * 1000);
	}
	return (-1);
}

/* Binds mobile to the account of tok with the code sent to it. */
static void
bind_mobile(const char *tok, const char *mobile)
{
	char	json[64], *code;

	snprintf(json, sizeof(json), "{\"mobile\":\"%s\"}", mobile);
	it_assert_post("/api/v1/auth/me/mobile", tok, json, 202, NULL);
	code = it_sink_code(mobile);
	assert_non_null(code);
	snprintf(json, sizeof(json), "{\"code\":\"%s\"}", code);
	it_assert_post("/api/v1/auth/me/mobile/confirm", tok, json, 200, NULL);
	free(code);
}

/* Messages to recipient whose subject contains what. */
static long
told(const char *recipient, const char *what)
{
	char	sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM messaging.outbox "
	    "WHERE recipient = $1 AND subject LIKE '%%%s%%'", what);
	return (it_sql_long(sql, recipient));
}

static void
test_logout_ends_the_session_everywhere(void **state)
{
	struct it_resp	 r;
	char		 id[16], json[160], *tok, *other;
	long		 t0, after;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	assert_non_null(tok);
	other = it_login(id, PASSWORD, NULL);
	assert_non_null(other);
	assert_int_equal(it_status_of("/api/v1/attendance/rates", tok, 2), 200);
	assert_int_equal(it_status_of("/api/v1/profile/anything", tok, 2), 404);

	it_request("POST", "/api/v1/auth/logout", tok, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 204);
	it_free(&r);
	t0 = it_now_ms();
	/* auth: at once, on every route that reads or changes security. */
	it_assert_post("/api/v1/auth/me/mobile", tok, "{\"mobile\":"
	    "\"13800001111\"}", 401, "unauthorized");
	it_assert_post("/api/v1/auth/me/mobile/confirm", tok,
	    "{\"code\":\"123456\"}", 401, "unauthorized");
	it_assert_post("/api/v1/auth/me/email", tok, "{}", 401, "unauthorized");
	it_assert_post("/api/v1/auth/wechat/bind-ticket", tok, "{}", 401,
	    "unauthorized");
	it_assert_post("/api/v1/auth/me/reauth", tok, "{\"current_password\":\""
	    PASSWORD "\"}", 401, "unauthorized");
	snprintf(json, sizeof(json), "{\"current_password\":\"%s\","
	    "\"new_password\":\"Another-Pass-77\"}", PASSWORD);
	it_assert_post("/api/v1/auth/me/password", tok, json, 401,
	    "unauthorized");
	it_get("/api/v1/auth/sessions", tok, &r);
	it_assert_problem(&r, 401, "unauthorized");
	it_free(&r);
	/* Nothing was sent or changed. */
	assert_int_equal(it_sql_long("SELECT count(*) FROM messaging.outbox "
	    "WHERE recipient = '13800001111'", NULL), 0);
	/* The other services: within 2 s, and for good. */
	after = refused_everywhere_after(tok, t0);
	print_message("refused everywhere %ld ms after the logout\n", after);
	assert_true(after >= 0 && after <= FEED_LIMIT_MS);
	sleep(1);
	assert_int_equal(it_status_of("/api/v1/attendance/rates", tok, 4), 401);
	/* The other session lives on. */
	assert_int_equal(it_status_of("/api/v1/attendance/rates", other, 4), 200);
	it_get("/api/v1/auth/sessions", other, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	free(tok);
	free(other);
}

static void
test_password_change_ends_other_sessions_everywhere(void **state)
{
	struct it_resp	 r;
	char		 id[16], json[160], *tok, *other;
	long		 t0, after;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	other = it_login(id, PASSWORD, NULL);
	assert_int_equal(it_status_of("/api/v1/attendance/rates", other, 2), 200);
	snprintf(json, sizeof(json), "{\"current_password\":\"%s\","
	    "\"new_password\":\"Another-Pass-77\"}", PASSWORD);
	it_post("/api/v1/auth/me/password", tok, json, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	t0 = it_now_ms();
	it_assert_post("/api/v1/auth/wechat/bind-ticket", other, "{}", 401,
	    "unauthorized");
	after = refused_everywhere_after(other, t0);
	print_message("refused everywhere %ld ms after the change\n", after);
	assert_true(after >= 0 && after <= FEED_LIMIT_MS);
	/* The session that changed it goes on. */
	assert_int_equal(it_status_of("/api/v1/attendance/rates", tok, 4), 200);
	free(tok);
	free(other);
}

static void
test_changing_a_channel_needs_a_recent_password(void **state)
{
	struct it_resp	 r;
	char		 id[16], old[16], fresh[16], masked[16], openid[40],
			 openid2[40], json[96], *tok, *mp, *body;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	snprintf(old, sizeof(old), "139%08ld", random() % 100000000);
	snprintf(fresh, sizeof(fresh), "137%08ld", random() % 100000000);
	/* A password login is a fresh proof: binding works at once. */
	bind_mobile(tok, old);
	mp = it_mp_token(tok, openid, sizeof(openid));
	assert_non_null(mp);
	/* A first WeChat is a new way in: the bound number is told. */
	assert_int_equal(told(old, "WeChat binding changed"), 1);

	/* A mini-program session never typed the password. */
	snprintf(json, sizeof(json), "{\"mobile\":\"%s\"}", fresh);
	it_assert_post("/api/v1/auth/me/mobile", mp, json, 403,
	    "reauthentication-required");
	it_assert_post("/api/v1/auth/me/email", mp, "{}", 403,
	    "reauthentication-required");
	it_assert_post("/api/v1/auth/wechat/bind-ticket", mp, "{}", 403,
	    "reauthentication-required");
	assert_int_equal(it_sql_long("SELECT count(*) FROM messaging.outbox "
	    "WHERE recipient = $1", fresh), 0);
	/* Reading is not changing. */
	it_get("/api/v1/auth/sessions", mp, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);

	/* Proving it: a wrong password is refused, the right one counts. */
	it_assert_post("/api/v1/auth/me/reauth", mp,
	    "{\"current_password\":\"Wrong-Pass-123\"}", 422,
	    "current-password-wrong");
	it_assert_post("/api/v1/auth/me/reauth", mp, "{}", 422, "validation");
	it_post("/api/v1/auth/me/reauth", mp, "{\"current_password\":\""
	    PASSWORD "\"}", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(it_str(&r, "reauthenticated_at"));
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.audit_log a "
	    "JOIN auth.accounts u ON u.id = a.actor_id WHERE u.login = $1 "
	    "AND a.action = 'session.reauthenticated'", id), 1);
	/* (The one-code-a-minute cooldown, from the first binding, over.) */
	assert_int_equal(it_sql_long("WITH u AS (UPDATE auth.verification_codes "
	    "SET created_at = created_at - interval '2 minutes' WHERE "
	    "account_id = (SELECT id FROM auth.accounts WHERE login = $1) "
	    "RETURNING 1) SELECT count(*) FROM u", id), 1);
	bind_mobile(mp, fresh);

	/* The number it replaced is told, the new one shown masked. */
	assert_int_equal(told(old, "mobile number changed"), 1);
	body = it_sql_text("SELECT body FROM messaging.outbox WHERE "
	    "recipient = $1 AND subject LIKE '%mobile number changed%'", old);
	assert_non_null(body);
	snprintf(masked, sizeof(masked), "*******%s", fresh + 7);
	assert_non_null(strstr(body, masked));
	assert_null(strstr(body, fresh));
	free(body);

	/* The proof grows old: asked again. */
	{
		char *mpid = it_wx_id(openid, "mp_openid");
		assert_int_equal(it_sql_long("WITH u AS (UPDATE auth.sessions "
		    "SET reauth_at = now() - interval '301 seconds' WHERE "
		    "wechat_openid = $1 RETURNING 1) SELECT count(*) FROM u",
		    mpid), 1);
		free(mpid);
	}
	it_assert_post("/api/v1/auth/me/mobile", mp, json, 403,
	    "reauthentication-required");

	/* Replacing the WeChat binding tells the bound number. */
	assert_int_equal(told(fresh, "WeChat binding changed"), 0);
	free(mp);
	mp = it_mp_token(tok, openid2, sizeof(openid2));
	assert_non_null(mp);
	assert_int_equal(told(fresh, "WeChat binding changed"), 1);
	free(mp);
	free(tok);
}

/* What a session started (a bind ticket, a code) binds nothing once the
 * session has ended, even confirmed from another live session. */
static void
test_an_ended_session_started_nothing(void **state)
{
	struct it_resp	 r;
	char		 id[16], mobile[16], openid[40], json[96], qr[512],
			 *tok, *other, *code;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	other = it_login(id, PASSWORD, NULL);
	it_post("/api/v1/auth/wechat/bind-ticket", tok, "{}", &r);
	assert_int_equal(r.status, 201);
	snprintf(qr, sizeof(qr), "%s", it_str(&r, "qr_url"));
	it_free(&r);
	snprintf(mobile, sizeof(mobile), "136%08ld", random() % 100000000);
	snprintf(json, sizeof(json), "{\"mobile\":\"%s\"}", mobile);
	it_assert_post("/api/v1/auth/me/mobile", tok, json, 202, NULL);
	code = it_sink_code(mobile);
	assert_non_null(code);

	it_request("POST", "/api/v1/auth/logout", tok, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 204);
	it_free(&r);
	it_unique(openid, sizeof(openid), "oWX");
	it_wx_scan(qr, openid, 0);
	{
		char *oa = it_wx_id(openid, "oa_openid");
		assert_int_equal(it_sql_long("SELECT count(*) FROM "
		    "auth.wechat_bindings WHERE openid = $1", oa), 0);
		free(oa);
	}
	snprintf(json, sizeof(json), "{\"code\":\"%s\"}", code);
	it_assert_post("/api/v1/auth/me/mobile/confirm", other, json, 422,
	    "code-invalid");
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.accounts "
	    "WHERE mobile = $1", mobile), 0);
	free(code);
	free(tok);
	free(other);
}

/* A stolen token cannot guess the password: wrong answers count, in the
 * session lane, and lock proving it again (not the owner's logins). */
static void
test_wrong_passwords_from_a_session_lock(void **state)
{
	struct it_resp	 r;
	char		 id[16], *tok;
	int		 i, wrong, slowed;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	/* Wrong guesses: slowed down after 3 (each waits), locked at 5. */
	for (i = 0, wrong = 0, slowed = 0; i < 20 && wrong < 5; i++) {
		it_post("/api/v1/auth/me/reauth", tok, "{\"current_password\":"
		    "\"Guess-Number-1\"}", &r);
		if (r.status == 429) {
			it_assert_problem(&r, 429, "login-slow-down");
			slowed++;
			usleep((useconds_t)atoi(r.retry_after) * 1000000);
		} else {
			it_assert_problem(&r, 422, "current-password-wrong");
			wrong++;
		}
		it_free(&r);
	}
	assert_int_equal(wrong, 5);
	assert_true(slowed >= 1);
	it_post("/api/v1/auth/me/reauth", tok, "{\"current_password\":\""
	    PASSWORD "\"}", &r);
	it_assert_problem(&r, 429, "account-locked");
	assert_true(atoi(r.retry_after) > 0);
	it_free(&r);
	{
		char *again = it_login(id, PASSWORD, NULL);
		assert_non_null(again);
		free(again);
	}
	assert_int_equal(it_sql_long("DELETE FROM auth.login_failures WHERE "
	    "login = lower($1) AND lane = 'session' RETURNING 1", id), 1);
	free(tok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logout_ends_the_session_everywhere),
		cmocka_unit_test(
		    test_password_change_ends_other_sessions_everywhere),
		cmocka_unit_test(test_changing_a_channel_needs_a_recent_password),
		cmocka_unit_test(test_an_ended_session_started_nothing),
		cmocka_unit_test(test_wrong_passwords_from_a_session_lock),
	};

	it_init();
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
