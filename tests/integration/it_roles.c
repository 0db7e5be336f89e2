/*
 * Each service connects as its own database role, with rights on its own
 * schema only and EXECUTE on exactly the functions other services publish
 * to it (deploy/migrate.sh grants them). Tried as the roles themselves,
 * on the running stack's database.
 */
#include <libpq-fe.h>

#include "itest.h"

static const char *const	services[] = { "auth", "attendance", "profile",
				    "messaging", "scholarship", NULL };

/* What other services may call, "schema.function role", sorted. */
static const char *const	published =
    "auth.account_id is_attendance\n"
    "auth.account_id is_profile\n"
    "auth.accounts_named is_messaging\n"
    "auth.audience is_messaging\n"
    "auth.can_read_student is_attendance\n"
    "auth.can_read_student is_profile\n"
    "auth.counselled_students is_attendance\n"
    "auth.counsellors_of is_attendance\n"
    "auth.current_wechat is_attendance\n"
    "auth.find_students is_profile\n"
    "auth.is_counsellor_of is_attendance\n"
    "auth.manages_school is_attendance\n"
    "auth.may_write is_messaging\n"
    "auth.people is_attendance\n"
    "auth.people is_messaging\n"
    "auth.revocations is_attendance\n"
    "auth.revocations is_messaging\n"
    "auth.revocations is_profile\n"
    "auth.revocations is_scholarship\n"
    "auth.roles_of is_profile\n"
    "auth.students_brief is_profile\n"
    "auth.visible_students is_attendance\n"
    "auth.visible_students is_profile\n"
    "auth.wechat_openids is_attendance\n"
    "messaging.enqueue is_auth\n"
    "messaging.post_inbox is_attendance\n"
    "messaging.post_inbox is_profile\n"
    "profile.documents_owned is_messaging\n"
    "profile.expiring_documents is_messaging\n"
    "profile.stipend_card is_scholarship\n";

static PGconn *
connect_as(const char *role)
{
	PGconn	*db = PQconnectdb(it_db_conninfo(role));

	if (PQstatus(db) != CONNECTION_OK)
		fail_msg("connect as %s: %s", role, PQerrorMessage(db));
	return (db);
}

/* The SQLSTATE sql ends with as role ("" when it succeeds). */
static char *
sqlstate_as(PGconn *db, const char *sql)
{
	PGresult	*res;
	const char	*st;
	char		*out;

	res = PQexec(db, sql);
	st = PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK ? "" :
	    PQresultErrorField(res, PG_DIAG_SQLSTATE);
	out = strdup(st != NULL ? st : "?");
	PQclear(res);
	return (out);
}

static void
test_attendance_cannot_read_auth_accounts(void **state)
{
	PGconn	*db;
	char	*st;

	(void)state;
	db = connect_as("is_attendance");
	st = sqlstate_as(db, "SELECT count(*) FROM auth.accounts");
	assert_string_equal(st, "42501");	/* insufficient_privilege */
	free(st);
	/* What auth publishes for it works. */
	st = sqlstate_as(db, "SELECT * FROM auth.people(ARRAY(SELECT "
	    "gen_random_uuid()))");
	assert_string_equal(st, "");
	free(st);
	PQfinish(db);
}

/* Every role against every table: its own schema's, and no other. */
static void
test_each_role_reads_only_its_own_schema(void **state)
{
	PGconn		*db;
	char		*tables, *table, *save, sql[256], role[32], *st;
	int		 i, own, checked = 0;

	(void)state;
	tables = it_sql_text("SELECT string_agg(schemaname || '.' || tablename, "
	    "' ' ORDER BY 1) FROM pg_tables WHERE schemaname = ANY "
	    "(string_to_array($1, ','))",
	    "auth,attendance,profile,messaging,scholarship");
	assert_non_null(tables);
	for (i = 0; services[i] != NULL; i++) {
		snprintf(role, sizeof(role), "is_%s", services[i]);
		db = connect_as(role);
		save = strdup(tables);
		for (table = strtok(save, " "); table != NULL;
		    table = strtok(NULL, " ")) {
			own = strncmp(table, services[i],
			    strlen(services[i])) == 0 &&
			    table[strlen(services[i])] == '.';
			snprintf(sql, sizeof(sql), "SELECT 1 FROM %s LIMIT 1",
			    table);
			st = sqlstate_as(db, sql);
			if (strcmp(st, own ? "" : "42501") != 0)
				fail_msg("%s reading %s: %s", role, table,
				    *st ? st : "allowed");
			free(st);
			checked++;
		}
		free(save);
		PQfinish(db);
	}
	free(tables);
	assert_true(checked > 40);
	/* No role writes to another schema either. */
	assert_int_equal(it_sql_long("SELECT count(*) FROM pg_tables t, "
	    "pg_roles r WHERE r.rolname LIKE 'is\\_%' AND r.rolname <> "
	    "'is_migrator' AND r.rolname <> 'is_' || t.schemaname AND "
	    "t.schemaname = ANY (string_to_array($1, ',')) AND "
	    "(has_table_privilege(r.oid, t.schemaname || '.' || t.tablename, "
	    "'INSERT') OR has_table_privilege(r.oid, t.schemaname || '.' || "
	    "t.tablename, 'UPDATE') OR has_table_privilege(r.oid, "
	    "t.schemaname || '.' || t.tablename, 'DELETE'))",
	    "auth,attendance,profile,messaging,scholarship"), 0);
}

static void
test_only_published_functions_cross_schemas(void **state)
{
	PGconn	*db;
	char	*granted, *st;

	(void)state;
	granted = it_sql_text("SELECT coalesce(string_agg(n.nspname || '.' || "
	    "p.proname || ' ' || r.rolname || E'\\n', '' ORDER BY n.nspname, "
	    "p.proname, r.rolname), '') "
	    "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
	    "CROSS JOIN pg_roles r WHERE n.nspname = ANY (string_to_array($1, "
	    "',')) AND r.rolname LIKE 'is\\_%' AND r.rolname <> 'is_migrator' "
	    "AND r.rolname <> 'is_' || n.nspname "
	    "AND has_function_privilege(r.oid, p.oid, 'EXECUTE')",
	    "auth,attendance,profile,messaging,scholarship");
	assert_non_null(granted);
	assert_string_equal(granted, published);
	free(granted);
	/* A function auth does not publish is refused to attendance... */
	db = connect_as("is_attendance");
	st = sqlstate_as(db, "SELECT auth.login_lookup('2023S0001', NULL, "
	    "'', 3, 1)");
	assert_string_equal(st, "42501");
	free(st);
	PQfinish(db);
	/* ...and what it publishes to attendance, to profile. */
	db = connect_as("is_profile");
	st = sqlstate_as(db, "SELECT auth.is_counsellor_of(gen_random_uuid(), "
	    "gen_random_uuid())");
	assert_string_equal(st, "42501");
	free(st);
	PQfinish(db);
}

/* The services' connections (named by application_name) and their roles. */
static void
test_connections_use_their_own_role(void **state)
{
	char	sql[512], app[32], role[32];
	int	i;

	(void)state;
	for (i = 0; services[i] != NULL; i++) {
		snprintf(app, sizeof(app), "%s", services[i]);
		snprintf(role, sizeof(role), "is_%s", services[i]);
		assert_true(it_sql_long("SELECT count(*) FROM pg_stat_activity "
		    "WHERE application_name = $1", app) > 0);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM "
		    "pg_stat_activity WHERE application_name = $1 AND "
		    "usename <> '%s'", role);
		assert_int_equal(it_sql_long(sql, app), 0);
	}
	assert_true(it_sql_long("SELECT count(*) FROM pg_stat_activity WHERE "
	    "application_name = $1 AND usename = 'is_messaging'",
	    "is-deliverer") > 0);
	/* Nothing else but the migrator owns what the services use. */
	assert_int_equal(it_sql_long("SELECT count(*) FROM pg_namespace n "
	    "JOIN pg_roles r ON r.oid = n.nspowner WHERE n.nspname = ANY "
	    "(string_to_array($1, ',')) AND r.rolname <> 'is_migrator'",
	    "auth,attendance,profile,messaging,scholarship,migrator"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attendance_cannot_read_auth_accounts),
		cmocka_unit_test(test_each_role_reads_only_its_own_schema),
		cmocka_unit_test(test_only_published_functions_cross_schemas),
		cmocka_unit_test(test_connections_use_their_own_role),
	};

	it_init();
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
