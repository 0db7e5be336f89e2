/*
 * Limits that keep one caller from hurting others, through nginx on the
 * real stack: code guesses per account per day (a new code buys none),
 * codes per recipient per day (no flooding a victim), nginx's limits on
 * the code-checking and WeChat routes, the task budget that keeps a flood
 * of password checks from starving the mini-program login, and a lockout
 * an attacker cannot turn against the owner (lanes, known devices, address
 * blocks against spraying, staff who see and clear locks, common
 * passwords refused). Attackers come from other loopback addresses.
 */
#include <pthread.h>

#include "itest.h"

#define PASSWORD	"Str0ng-Pass-2026"

/* The cooldown between two codes of one account: moved into the past. */
static void
skip_cooldown(const char *login)
{
	assert_true(it_sql_long("WITH u AS (UPDATE auth.verification_codes "
	    "SET created_at = created_at - interval '2 minutes' WHERE "
	    "account_id = (SELECT id FROM auth.accounts WHERE login = $1) "
	    "RETURNING 1) SELECT count(*) FROM u", login) >= 1);
}

static void
ask_mobile_code(const char *tok, const char *mobile, long status,
    const char *problem)
{
	char	json[64];

	snprintf(json, sizeof(json), "{\"mobile\":\"%s\"}", mobile);
	it_assert_post("/api/v1/auth/me/mobile", tok, json, status, problem);
}

static long
confirm_mobile(const char *tok, const char *code)
{
	struct it_resp	r;
	char		json[64];
	long		status;

	snprintf(json, sizeof(json), "{\"code\":\"%s\"}", code);
	it_post("/api/v1/auth/me/mobile/confirm", tok, json, &r);
	status = r.status;
	if (status != 200)
		it_assert_problem(&r, 422, "code-invalid");
	it_free(&r);
	return (status);
}

static void
test_code_guesses_are_limited_per_day(void **state)
{
	char	 id[16], mobile[16], wrong[8], *tok, *code;
	int	 i, round;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	snprintf(mobile, sizeof(mobile), "137%08ld", random() % 100000000);
	/* Two codes, five wrong guesses each: ten in the day. */
	for (round = 0; round < 2; round++) {
		if (round > 0)
			skip_cooldown(id);
		ask_mobile_code(tok, mobile, 202, NULL);
		code = it_sink_code(mobile);
		assert_non_null(code);
		snprintf(wrong, sizeof(wrong), "%06d",
		    (atoi(code) + 1) % 1000000);
		for (i = 0; i < 5; i++)
			assert_int_equal(confirm_mobile(tok, wrong), 422);
		free(code);
	}
	/* A third code is sent, but the day's guesses are spent: even the
	 * right code binds nothing. */
	skip_cooldown(id);
	ask_mobile_code(tok, mobile, 202, NULL);
	code = it_sink_code(mobile);
	assert_non_null(code);
	assert_int_equal(confirm_mobile(tok, code), 422);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.accounts "
	    "WHERE login = $1 AND mobile_verified_at IS NULL", id), 1);
	/* A day later (moved in time) the right code works again. */
	assert_true(it_sql_long("WITH u AS (UPDATE auth.verification_codes SET "
	    "created_at = created_at - interval '25 hours' WHERE account_id = "
	    "(SELECT id FROM auth.accounts WHERE login = $1) AND attempts > 0 "
	    "RETURNING 1) SELECT count(*) FROM u", id) >= 2);
	assert_int_equal(confirm_mobile(tok, code), 200);
	free(code);
	free(tok);
}

static void
test_codes_per_recipient_are_capped(void **state)
{
	char	 id[16], victim[16], *tok;
	int	 i;
	long	 sent;

	(void)state;
	snprintf(victim, sizeof(victim), "136%08ld", random() % 100000000);
	/* Five accounts each ask a code for the same number: all sent. */
	for (i = 0; i < 6; i++) {
		tok = it_new_student(id, sizeof(id), PASSWORD);
		if (i < 5)
			ask_mobile_code(tok, victim, 202, NULL);
		else
			ask_mobile_code(tok, victim, 429, "recipient-limit");
		free(tok);
	}
	sent = it_sql_long("SELECT count(*) FROM messaging.outbox WHERE "
	    "recipient = $1", victim);
	assert_int_equal(sent, 5);
	/* The refusal is audited (a flood shows in the trail). */
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.audit_log "
	    "WHERE action = 'code.recipient_capped' AND target_id = (SELECT id "
	    "FROM auth.accounts WHERE login = $1)", id), 1);
}

/* Posts body to path until nginx answers 429, then until it passes. */
static void
until_limited(const char *path, const char *body)
{
	struct it_resp	r;
	int		i, limited = 0;

	for (i = 0; i < 1000 && !limited; i++) {
		it_post(path, NULL, body, &r);
		if (r.status == 429) {
			it_assert_problem(&r, 429, "rate-limited");
			limited = 1;
		}
		it_free(&r);
	}
	assert_true(limited);
	/* Leave the limiter as found: wait until a request passes again. */
	for (i = 0, limited = 1; i < 100 && limited; i++) {
		it_post(path, NULL, body, &r);
		limited = r.status == 429;
		it_free(&r);
		if (limited)
			usleep(100000);
	}
	assert_false(limited);
}

static void
test_code_and_wechat_routes_are_rate_limited(void **state)
{
	(void)state;
	until_limited("/api/v1/auth/password/reset", "{\"account\":"
	    "\"NOSUCH44\",\"channel\":\"sms\",\"code\":\"000000\","
	    "\"new_password\":\"Another-Pass-2026\"}");
	until_limited("/api/v1/auth/wechat/miniprogram/login",
	    "{\"code\":\"not-a-real-code\"}");
	until_limited("/api/v1/auth/wechat/login-ticket", "{}");
}

struct mp_call {
	char		 user[32];
	struct it_resp	 resp;
};

static void *
mp_login_thread(void *arg)
{
	struct mp_call	*m = arg;

	it_mp_login(m->user, &m->resp);
	return (NULL);
}

#define FLOOD	40

/*
 * A flood of password checks (logins of unknown accounts: each costs a
 * scrypt) fills its budget and queue; beyond them it is refused with 503,
 * and a mini-program login meanwhile still gets its thread.
 */
static void
test_password_flood_leaves_wechat_a_thread(void **state)
{
	struct it_resp	 out[FLOOD];
	struct mp_call	 mp;
	char		*tokens[FLOOD], *bodies[FLOOD], id[16], *tok, *t;
	pthread_t	 thread;
	int		 i, busy = 0, refused = 0;

	(void)state;
	memset(&mp, 0, sizeof(mp));
	tok = it_new_student(id, sizeof(id), PASSWORD);
	t = it_mp_token(tok, mp.user, sizeof(mp.user));
	/* The flood's failures count against its own address. */
	it_set_source("127.0.0.8");
	assert_non_null(t);
	free(t);
	for (i = 0; i < FLOOD; i++) {
		tokens[i] = NULL;
		bodies[i] = malloc(96);
		snprintf(bodies[i], 96, "{\"account\":\"FLOOD%04d\","
		    "\"password\":\"Wrong-Pass-%d\"}", i, i);
	}
	assert_int_equal(pthread_create(&thread, NULL, mp_login_thread, &mp),
	    0);
	it_post_all(FLOOD, "/api/v1/auth/login", tokens, bodies, out);
	pthread_join(thread, NULL);
	assert_int_equal(mp.resp.status, 200);
	assert_non_null(it_str(&mp.resp, "access_token"));
	for (i = 0; i < FLOOD; i++) {
		if (out[i].status == 503) {
			it_assert_problem(&out[i], 503, "service-unavailable");
			assert_string_equal(out[i].retry_after, "1");
			busy++;
		} else if (out[i].status == 429)
			refused++;	/* nginx's limit came first */
		else
			it_assert_problem(&out[i], 401, "invalid-credentials");
		it_free(&out[i]);
		free(bodies[i]);
	}
	/* The budget refused some (the test stack queues 4 per worker). */
	assert_true(busy > 0);
	it_set_source(NULL);
	it_free(&mp.resp);
	free(tok);
	(void)refused;
}

/* A login; its answer in r (the caller frees it). */
static void
login(const char *account, const char *password, const char *device,
    struct it_resp *r)
{
	char	json[384];

	snprintf(json, sizeof(json), "{\"account\":\"%s\",\"password\":"
	    "\"%s\"%s%s%s}", account, password, device ? ",\"device_token\":"
	    "\"" : "", device ? device : "", device ? "\"" : "");
	it_post("/api/v1/auth/login", NULL, json, r);
}

static void
test_attacker_cannot_lock_out_a_known_device(void **state)
{
	struct it_resp	 r;
	char		 id[16], device[80], path[128], *tok, *io, *v;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	free(tok);
	/* The owner's browser logs in and is given a device token. */
	login(id, PASSWORD, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(it_str(&r, "device_token"));
	snprintf(device, sizeof(device), "%s", it_str(&r, "device_token"));
	it_free(&r);
	login(id, PASSWORD, device, &r);
	assert_int_equal(r.status, 200);
	assert_null(it_str(&r, "device_token"));	/* known already */
	it_free(&r);
	/* Only its HMAC is kept. */
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.known_devices "
	    "WHERE token_hash = $1", device), 0);

	/* An attacker elsewhere: slowed down, then locked. */
	it_set_source("127.0.0.3");
	assert_true(it_fail_login_until_locked(id) >= 1);
	login(id, PASSWORD, NULL, &r);
	it_assert_problem(&r, 429, "account-locked");
	it_free(&r);
	login(id, PASSWORD, "made-up-device-token-123456", &r);
	it_assert_problem(&r, 429, "account-locked");
	it_free(&r);
	/* The owner's known browser still gets in; a wrong password from
	 * it does not count against the locked lane. */
	it_set_source(NULL);
	login(id, PASSWORD, device, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);

	/* The International Office sees the lock and clears it. */
	io = it_login("IO0001", it_demo_password(), NULL);
	assert_non_null(io);
	it_get("/api/v1/auth/admin/locks", io, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, id));
	assert_non_null(strstr(r.body, "\"unknown\""));
	it_free(&r);
	tok = it_login(id, PASSWORD, NULL);
	assert_null(tok);
	it_post("/api/v1/auth/admin/locks/clear", io, "{}", &r);
	it_assert_problem(&r, 422, "validation");
	it_free(&r);
	snprintf(path, sizeof(path), "{\"account\":\"%s\"}", id);
	it_post("/api/v1/auth/admin/locks/clear", io, path, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	tok = it_login(id, PASSWORD, NULL);
	assert_non_null(tok);
	/* A student cannot see or clear locks. */
	it_get("/api/v1/auth/admin/locks", tok, &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	it_post("/api/v1/auth/admin/locks/clear", tok, path, &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	v = it_sql_text("SELECT a.action FROM auth.audit_log a JOIN "
	    "auth.accounts u ON u.id = a.target_id WHERE u.login = $1 AND "
	    "a.action = 'login.lock_cleared'", id);
	assert_non_null(v);
	free(v);
	free(tok);
	free(io);
}

#define SPRAYER	"127.0.0.9"

static void
test_password_spraying_blocks_the_address(void **state)
{
	struct it_resp	 r;
	char		 id[16], other[32], *tok, *io;
	int		 i;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	free(tok);
	/* One guess at each of many accounts: no account's lane fills. */
	it_set_source(SPRAYER);
	for (i = 0; i < 30; i++) {
		snprintf(other, sizeof(other), "SPRAY%05d", i);
		login(other, "Summer2026", NULL, &r);
		it_assert_problem(&r, 401, "invalid-credentials");
		it_free(&r);
	}
	/* The address is blocked now, even for a right password. */
	login(id, PASSWORD, NULL, &r);
	it_assert_problem(&r, 429, "login-slow-down");
	assert_true(atoi(r.retry_after) > 0);
	it_free(&r);
	it_set_source(NULL);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.audit_log "
	    "WHERE action = 'login.address_blocked' AND details->>'address' = "
	    "$1 AND (details->>'accounts')::int = 30", SPRAYER), 1);
	/* Elsewhere the account is fine. */
	tok = it_login(id, PASSWORD, NULL);
	assert_non_null(tok);
	free(tok);
	/* Staff see the address and lift the block. */
	io = it_login("IO0001", it_demo_password(), NULL);
	it_get("/api/v1/auth/admin/locks", io, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, SPRAYER));
	it_free(&r);
	it_post("/api/v1/auth/admin/locks/clear", io,
	    "{\"address\":\"" SPRAYER "\"}", &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	it_set_source(SPRAYER);
	tok = it_login(id, PASSWORD, NULL);
	assert_non_null(tok);
	free(tok);
	it_set_source(NULL);
	free(io);
}

static void
test_common_passwords_are_refused(void **state)
{
	struct it_resp	 r;
	char		 id[16], *tok;

	(void)state;
	tok = it_new_student(id, sizeof(id), PASSWORD);
	it_post("/api/v1/auth/me/password", tok, "{\"current_password\":\""
	    PASSWORD "\",\"new_password\":\"Password123\"}", &r);
	it_assert_problem(&r, 422, "weak-password");
	assert_non_null(strstr(r.body, "most common"));
	it_free(&r);
	it_post("/api/v1/auth/me/password", tok, "{\"current_password\":\""
	    PASSWORD "\",\"new_password\":\"1qaz2WSX\"}", &r);
	it_assert_problem(&r, 422, "weak-password");
	it_free(&r);
	free(tok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_guesses_are_limited_per_day),
		cmocka_unit_test(test_codes_per_recipient_are_capped),
		cmocka_unit_test(test_code_and_wechat_routes_are_rate_limited),
		cmocka_unit_test(test_password_flood_leaves_wechat_a_thread),
		cmocka_unit_test(test_attacker_cannot_lock_out_a_known_device),
		cmocka_unit_test(test_password_spraying_blocks_the_address),
		cmocka_unit_test(test_common_passwords_are_refused),
	};

	it_init();
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
