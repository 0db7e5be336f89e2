/* Student CSV import (per-row report, idempotent re-import), staff
 * accounts, and role checks on the admin endpoints. */
#include "itest.h"

static void
import_csv(const char *token, const char *csv, struct it_resp *r)
{
	it_request("POST", "/api/v1/auth/admin/students/import", token,
	    "text/csv", csv, strlen(csv), r);
}

static void
test_import_reports_bad_rows_and_reimport_updates(void **state)
{
	struct it_resp	 r;
	char		 a[16], b[16], csv[1024], *admin;
	cJSON		*rej;

	(void)state;
	it_unique(a, sizeof(a), "I");
	it_unique(b, sizeof(b), "I");
	admin = it_admin_token();
	snprintf(csv, sizeof(csv),
	    "student_id,family_name,given_name,school,degree,cohort,counsellor\n"
	    "%s,ALPHA,Ann,School of Computing,master,2024,C0001\n"
	    "%s,BETA,Bob,School of Computing,phd,2024,\n"
	    "bad id,GAMMA,Cy,School of Computing,phd,2024,\n"
	    "%sX,DELTA,Di,School of Computing,wizard,2024,\n"
	    "%sY,EPS,Ed,School of Computing,phd,2024,T0001\n"
	    "A0001,ADMIN,Clash,School of Computing,phd,2024,\n",
	    a, b, a, a);
	import_csv(admin, csv, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(cJSON_GetObjectItem(r.json, "created")->valueint, 2);
	rej = cJSON_GetObjectItem(r.json, "rejected");
	/* bad id, bad degree, a teacher as counsellor, a staff ID. */
	assert_int_equal(cJSON_GetArraySize(rej), 4);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(rej, 0),
	    "row")->valueint, 3);
	it_free(&r);
	/* Re-import with a changed name: updated, not duplicated. */
	snprintf(csv, sizeof(csv),
	    "student_id,family_name,given_name,school,degree,cohort\n"
	    "%s,ALPHA-RENAMED,Ann,School of Computing,master,2024\n", a);
	import_csv(admin, csv, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(cJSON_GetObjectItem(r.json, "created")->valueint, 0);
	assert_int_equal(cJSON_GetObjectItem(r.json, "updated")->valueint, 1);
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.accounts WHERE "
	    "lower(login) = lower($1) AND family_name = 'ALPHA-RENAMED'", a), 1);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.staff_scopes s "
	    "JOIN auth.accounts a ON a.id::text = s.value WHERE a.login = $1",
	    a), 1);
	/* Imported students start on the initial password. */
	{
		char *tok = it_login(b, it_initial_password(), NULL);
		assert_non_null(tok);
		free(tok);
	}
	free(admin);
}

static void
test_import_refuses_unusable_files(void **state)
{
	struct it_resp	 r;
	char		*admin;
	long		 before;

	(void)state;
	admin = it_admin_token();
	before = it_sql_long("SELECT count(*) FROM auth.accounts", NULL);
	import_csv(admin, "name,age\nx,1\n", &r);
	it_assert_problem(&r, 422, "import-invalid");
	it_free(&r);
	import_csv(admin, "student_id,\"family_name\n", &r);
	it_assert_problem(&r, 422, "import-invalid");
	it_free(&r);
	it_request("POST", "/api/v1/auth/admin/students/import", admin,
	    "application/json", "{}", 2, &r);
	it_assert_problem(&r, 415, "unsupported-media-type");
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.accounts",
	    NULL), before);
	free(admin);
}

static void
test_admin_endpoints_need_admin(void **state)
{
	struct it_resp	 r;
	char		*student, *io;
	long		 before;

	(void)state;
	before = it_sql_long("SELECT count(*) FROM auth.accounts", NULL);
	student = it_login("2023S0001", it_demo_password(), NULL);
	io = it_login("IO0001", it_demo_password(), NULL);
	import_csv(student, "student_id,family_name,given_name,school,degree,"
	    "cohort\nZZZ99999,X,Y,S,phd,2024\n", &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	it_post("/api/v1/auth/admin/staff", io, "{\"staff_id\":\"EVIL01\","
	    "\"family_name\":\"E\",\"given_name\":\"V\",\"roles\":[\"admin\"]}",
	    &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	it_get("/api/v1/messaging/dev/sink?to=x", student, &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.accounts",
	    NULL), before);
	free(student);
	free(io);
}

static void
test_staff_accounts_with_roles_and_scopes(void **state)
{
	struct it_resp	 r;
	char		 id[16], json[512], *admin, *tok;

	(void)state;
	admin = it_admin_token();
	it_unique(id, sizeof(id), "S");
	snprintf(json, sizeof(json), "{\"staff_id\":\"%s\",\"family_name\":"
	    "\"HU\",\"given_name\":\"Yan\",\"school\":\"School of Management\","
	    "\"roles\":[\"secretary\"]}", id);
	it_post("/api/v1/auth/admin/staff", admin, json, &r);
	assert_int_equal(r.status, 200);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "created")));
	it_free(&r);
	it_post("/api/v1/auth/admin/staff", admin, "{\"staff_id\":\"X0001\","
	    "\"family_name\":\"A\",\"given_name\":\"B\",\"roles\":[\"student\"]}",
	    &r);
	it_assert_problem(&r, 422, "validation");
	it_free(&r);
	it_post("/api/v1/auth/admin/staff", admin, "{\"staff_id\":\"2023S0001\","
	    "\"family_name\":\"A\",\"given_name\":\"B\",\"roles\":[\"io\"]}",
	    &r);
	it_assert_problem(&r, 409, "conflict");
	it_free(&r);
	/* Never the institution's initial password for staff: not even a
	 * staff account that had it before activations (migration 008). */
	assert_null(it_login(id, it_initial_password(), NULL));
	{
		char *t, *h = it_sql_text("SELECT password_hash FROM "
		    "auth.accounts WHERE login = '2025S0004'", NULL);

		assert_non_null(h);	/* the demo student on it */
		assert_int_equal(it_sql_long("WITH u AS (UPDATE auth.accounts SET "
		    "password_hash = (SELECT password_hash FROM auth.accounts "
		    "WHERE login = '2025S0004') WHERE login = $1 RETURNING 1) "
		    "SELECT count(*) FROM u", id), 1);
		snprintf(json, sizeof(json), "{\"account\":\"%s\","
		    "\"password\":\"%s\"}", id, it_initial_password());
		it_post("/api/v1/auth/login", NULL, json, &r);
		it_assert_problem(&r, 403, "activation-required");
		it_free(&r);
		t = it_login(id, it_initial_password(), NULL);
		assert_null(t);
		free(h);
	}
	snprintf(json, sizeof(json), "{\"staff_id\":\"%s\",\"family_name\":"
	    "\"HU\",\"given_name\":\"Yan\",\"roles\":[\"secretary\"]}", id);
	tok = it_new_staff(admin, json, id, "Str0ng-Pass-2026");
	/* An update makes no activation: the account exists. */
	assert_null(tok);
	assert_int_equal(it_sql_long("DELETE FROM auth.activations WHERE "
	    "account_id = (SELECT id FROM auth.accounts WHERE login = $1) "
	    "RETURNING 1", id), 1);
	it_unique(id, sizeof(id), "S");
	snprintf(json, sizeof(json), "{\"staff_id\":\"%s\",\"family_name\":"
	    "\"HU\",\"given_name\":\"Yan\",\"school\":\"School of "
	    "Management\",\"roles\":[\"secretary\"]}", id);
	tok = it_new_staff(admin, json, id, "Str0ng-Pass-2026");
	assert_non_null(tok);
	it_get("/api/v1/auth/me", tok, &r);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(r.json, "scopes"), 0), "value")->valuestring,
	    "School of Management");
	it_free(&r);
	assert_true(it_sql_long("SELECT count(*) FROM auth.audit_log a JOIN "
	    "auth.accounts u ON u.id = a.target_id WHERE u.login = $1 AND "
	    "a.action = 'staff.created' AND a.actor_id IS NOT NULL", id) == 1);
	free(tok);
	free(admin);
}

/* An activation answer's secret (r is freed). */
static char *
secret_of(struct it_resp *r)
{
	char	*s;

	assert_int_equal(r->status, 200);
	s = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    r->json, "activation"), "secret")));
	it_free(r);
	return (s);
}

static long
activate(const char *id, const char *secret, const char *password,
    struct it_resp *r)
{
	char	json[512];

	snprintf(json, sizeof(json), "{\"account\":\"%s\",\"secret\":\"%s\","
	    "\"new_password\":\"%s\"}", id, secret, password);
	it_post("/api/v1/auth/activate", NULL, json, r);
	return (r->status);
}

/*
 * A new admin (the A0777) opens with a one-time secret, never the
 * initial password; the secret works once, allows 5 tries, expires; an
 * admin can reset an account with a new one.
 */
static void
test_staff_open_with_activation(void **state)
{
	struct it_resp	 r;
	char		 id[16], json[512], *admin, *secret, *tok, *io;
	int		 i;

	(void)state;
	admin = it_admin_token();
	it_unique(id, sizeof(id), "A");
	snprintf(json, sizeof(json), "{\"staff_id\":\"%s\",\"family_name\":"
	    "\"NEW\",\"given_name\":\"Admin\",\"roles\":[\"admin\"]}", id);
	it_post("/api/v1/auth/admin/staff", admin, json, &r);
	secret = secret_of(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.activations v "
	    "JOIN auth.accounts a ON a.id = v.account_id WHERE a.login = $1 AND "
	    "v.expires_at BETWEEN now() + interval '71 hours' AND now() + "
	    "interval '73 hours'", id), 1);
	/* Only its HMAC is stored; the account has no password at all. */
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.activations "
	    "WHERE secret_hash = $1", secret), 0);
	assert_null(it_login(id, it_initial_password(), NULL));
	/* Listed as waiting for its activation. */
	it_get("/api/v1/auth/admin/not-activated?limit=200", admin, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, id));
	assert_non_null(strstr(r.body, "activation-pending"));
	it_free(&r);
	/* A wrong secret; a weak password; then the right one, once. */
	assert_int_equal(activate(id, "wrong-secret-wrong-secret-1", "Str0ng-Pass-2026",
	    &r), 422);
	it_assert_problem(&r, 422, "activation-invalid");
	it_free(&r);
	activate(id, secret, "Password123", &r);
	it_assert_problem(&r, 422, "weak-password");
	it_free(&r);
	assert_int_equal(activate(id, secret, "Str0ng-Pass-2026", &r), 200);
	it_free(&r);
	activate(id, secret, "Other-Pass-2027", &r);
	it_assert_problem(&r, 422, "activation-invalid");
	it_free(&r);
	tok = it_login(id, "Str0ng-Pass-2026", NULL);
	assert_non_null(tok);

	/* Reset by an admin: the password stops working, sessions end. */
	io = it_login("IO0001", it_demo_password(), NULL);
	snprintf(json, sizeof(json), "{\"account\":\"%s\"}", id);
	it_post("/api/v1/auth/admin/activation", io, json, &r);
	it_assert_problem(&r, 403, "forbidden");	/* staff: admins only */
	it_free(&r);
	it_post("/api/v1/auth/admin/activation", admin, json, &r);
	secret = (free(secret), secret_of(&r));
	assert_null(it_login(id, "Str0ng-Pass-2026", NULL));
	it_get("/api/v1/auth/me", tok, &r);
	assert_int_equal(r.status, 401);
	it_free(&r);
	/* Every other way in ended with it (the login's known device). */
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.known_devices d "
	    "JOIN auth.accounts a ON a.id = d.account_id WHERE a.login = $1",
	    id), 0);
	/* Wrong tries are counted and audited, but a stranger cannot burn
	 * the secret with them. */
	for (i = 0; i < 6; i++) {
		activate(id, "wrong-secret-wrong-secret-2", "Str0ng-Pass-2026",
		    &r);
		it_assert_problem(&r, 422, "activation-invalid");
		it_free(&r);
	}
	assert_int_equal(it_sql_long("SELECT v.attempts FROM auth.activations "
	    "v JOIN auth.accounts a ON a.id = v.account_id WHERE a.login = $1",
	    id), 6);
	assert_int_equal(activate(id, secret, "Str0ng-Pass-2026", &r), 200);
	it_free(&r);
	/* And an expired one is refused too. */
	it_post("/api/v1/auth/admin/activation", admin, json, &r);
	secret = (free(secret), secret_of(&r));
	assert_int_equal(it_sql_long("WITH u AS (UPDATE auth.activations SET "
	    "expires_at = now() - interval '1 second' WHERE account_id = (SELECT "
	    "id FROM auth.accounts WHERE login = $1) RETURNING 1) SELECT "
	    "count(*) FROM u", id), 1);
	activate(id, secret, "Str0ng-Pass-2026", &r);
	it_assert_problem(&r, 422, "activation-invalid");
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.audit_log l "
	    "JOIN auth.accounts a ON a.id = l.target_id WHERE a.login = $1 AND "
	    "l.action = 'activation.issued'", id), 3);
	free(secret);
	free(tok);
	free(io);
	free(admin);
}

/*
 * Students keep the initial password as a policy, for a while: after its
 * end they need an activation, which the International Office issues.
 */
static void
test_initial_password_expires(void **state)
{
	struct it_resp	 r;
	char		 id[16], csv[256], json[128], *admin, *io, *secret, *tok;

	(void)state;
	admin = it_admin_token();
	io = it_login("IO0001", it_demo_password(), NULL);
	it_unique(id, sizeof(id), "E");
	snprintf(csv, sizeof(csv), "student_id,family_name,given_name,school,"
	    "degree,cohort\n%s,LATE,Lee,School of Computing,master,2025\n", id);
	import_csv(admin, csv, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.accounts WHERE "
	    "login = $1 AND initial_password_expires_at BETWEEN now() + "
	    "interval '29 days' AND now() + interval '31 days'", id), 1);
	it_get("/api/v1/auth/admin/not-activated?limit=200", io, &r);
	assert_non_null(strstr(r.body, id));
	it_free(&r);
	/* Its end passes. */
	assert_int_equal(it_sql_long("WITH u AS (UPDATE auth.accounts SET "
	    "initial_password_expires_at = now() - interval '1 day' WHERE "
	    "login = $1 RETURNING 1) SELECT count(*) FROM u", id), 1);
	snprintf(json, sizeof(json), "{\"account\":\"%s\",\"password\":\"%s\"}",
	    id, it_initial_password());
	it_post("/api/v1/auth/login", NULL, json, &r);
	it_assert_problem(&r, 403, "activation-required");
	it_free(&r);
	it_get("/api/v1/auth/admin/not-activated?school=School%20of%20Computing"
	    "&limit=200", io, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "initial-password-expired"));
	it_free(&r);
	/* The International Office issues an activation; the student uses it. */
	snprintf(json, sizeof(json), "{\"account\":\"%s\"}", id);
	it_post("/api/v1/auth/admin/activation", io, json, &r);
	secret = secret_of(&r);
	assert_int_equal(activate(id, secret, "Str0ng-Pass-2026", &r), 200);
	it_free(&r);
	tok = it_login(id, "Str0ng-Pass-2026", NULL);
	assert_non_null(tok);
	/* A student cannot list or issue activations. */
	it_get("/api/v1/auth/admin/not-activated", tok, &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	it_post("/api/v1/auth/admin/activation", tok, json, &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	free(tok);
	free(secret);
	free(io);
	free(admin);
}

/* The command-line import shares the parser and the SQL with the API. */
static void
test_command_line_import(void **state)
{
	char	 id[16], path[] = "/tmp/is-import-XXXXXX", cmd[512];
	FILE	*fp;
	int	 fd;

	(void)state;
	it_unique(id, sizeof(id), "K");
	fd = mkstemp(path);
	fp = fdopen(fd, "w");
	fprintf(fp, "student_id,family_name,given_name,school,degree,cohort\n"
	    "%s,CLI,Imported,School of Computing,bachelor,2025\n"
	    "x!,BAD,Row,School of Computing,bachelor,2025\n", id);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "IS_CONFIG=%s %s import-students %s "
	    "> %s.out", getenv("IS_TEST_CONFIG"), IS_ADMIN_BIN, path, path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.accounts WHERE "
	    "login = $1 AND family_name = 'CLI' AND must_change_password", id),
	    1);
	snprintf(cmd, sizeof(cmd), "grep -q '\"row\":\\s*2' %s.out || grep -q "
	    "'\"row\": 2' %s.out", path, path);
	assert_int_equal(system(cmd), 0);
	/* Running it again updates, never duplicates. */
	snprintf(cmd, sizeof(cmd), "IS_CONFIG=%s %s import-students %s "
	    "> /dev/null", getenv("IS_TEST_CONFIG"), IS_ADMIN_BIN, path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.accounts WHERE "
	    "lower(login) = lower($1)", id), 1);
	unlink(path);
	snprintf(cmd, sizeof(cmd), "%s.out", path);
	unlink(cmd);
}

static long
can_read(const char *caller, const char *student)
{
	char	sql[512];

	snprintf(sql, sizeof(sql), "SELECT auth.can_read_student("
	    "(SELECT id FROM auth.accounts WHERE login = '%s'),"
	    "(SELECT id FROM auth.accounts WHERE login = $1))::int", caller);
	return (it_sql_long(sql, student));
}

/* Scopes: counsellor -> their students, secretary -> their school. */
static void
test_scope_rules(void **state)
{
	(void)state;
	assert_int_equal(can_read("2023S0001", "2023S0001"), 1);
	assert_int_equal(can_read("2023S0001", "2023S0002"), 0);
	assert_int_equal(can_read("C0001", "2023S0001"), 1);
	assert_int_equal(can_read("C0001", "2024S0003"), 0);
	/* S0001 is the School of Computing's secretary. */
	assert_int_equal(can_read("S0001", "2023S0002"), 1);
	assert_int_equal(can_read("S0001", "2024S0003"), 0);
	assert_int_equal(can_read("IO0001", "2024S0003"), 1);
	assert_int_equal(can_read("F0001", "2024S0003"), 1);
	assert_int_equal(can_read("T0001", "2023S0001"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_reports_bad_rows_and_reimport_updates),
		cmocka_unit_test(test_import_refuses_unusable_files),
		cmocka_unit_test(test_admin_endpoints_need_admin),
		cmocka_unit_test(test_staff_accounts_with_roles_and_scopes),
		cmocka_unit_test(test_staff_open_with_activation),
		cmocka_unit_test(test_initial_password_expires),
		cmocka_unit_test(test_command_line_import),
		cmocka_unit_test(test_scope_rules),
	};

	it_init();
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
