/*
 * QR check-ins under concurrency, through nginx on the real stack. Scans
 * that arrive together are written in batches (attendance.checkin_batch):
 * every scan must still get its own verdict, repeats the one record, and
 * a failing scan must not take the others down. Then the database drops
 * the service's connections in the middle of queries: the scans in flight
 * are answered 503 problem+json (never a dead worker), and the service
 * recovers by itself. Last, the periodic sweep of low attendance.
 */
#include <pthread.h>

#include <libpq-fe.h>

#include "att_fixture.h"
#include "iscommon/config.h"

#define SCANNERS	4		/* enrolled, inside the room */
#define NSCANS		(2 * SCANNERS + 2)

struct scan_set {
	char		*tokens[NSCANS];
	char		*bodies[NSCANS];
	struct it_resp	 resp[NSCANS];
	int		 n;
};

static char *
scan_body(const char *code, double lat, double lon, double acc)
{
	char	buf[512];

	snprintf(buf, sizeof(buf), "{\"code\":\"%s\",\"latitude\":%.6f,"
	    "\"longitude\":%.6f,\"accuracy\":%.1f}", code, lat, lon, acc);
	return (strdup(buf));
}

static void
scan_add(struct scan_set *set, char *token, char *body)
{
	set->tokens[set->n] = token;
	set->bodies[set->n] = body;
	set->n++;
}

static void
scan_set_free(struct scan_set *set)
{
	int	i;

	for (i = 0; i < set->n; i++) {
		free(set->bodies[i]);
		it_free(&set->resp[i]);
	}
}

static const char *
checked_in_at(struct it_resp *r)
{
	return (cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    r->json, "record"), "checked_in_at")));
}

static int
is_duplicate(struct it_resp *r)
{
	return (cJSON_IsTrue(cJSON_GetObjectItem(r->json, "duplicate")));
}

static void
test_concurrent_scans_get_their_own_verdicts(void **state)
{
	struct klass	 k, other;
	struct scan_set	 set;
	struct it_resp	*a, *b;
	char		 openid[32], *mp[NSTUDENTS], *omp, *session, *code;
	int		 i;

	(void)state;
	memset(&set, 0, sizeof(set));
	att_new_class(&k, "2026-2027", 32, SCANNERS + 1);
	att_new_class(&other, "2026-2027", 32, 1);
	for (i = 0; i < SCANNERS + 1; i++)
		assert_non_null(mp[i] = it_mp_token(k.web[i], openid,
		    sizeof(openid)));
	assert_non_null(omp = it_mp_token(other.web[0], openid,
	    sizeof(openid)));
	session = att_add_session(&k, "2027-03-08", "08:00", "09:40", "qr");
	att_move_session(session, 10, 100);
	code = att_open_checkin(session);

	/* Every enrolled student twice, one from too far, one not enrolled. */
	for (i = 0; i < SCANNERS; i++) {
		scan_add(&set, mp[i], scan_body(code, ROOM_LAT, ROOM_LON, 10));
		scan_add(&set, mp[i], scan_body(code, ROOM_LAT + 0.0001,
		    ROOM_LON, 12));
	}
	scan_add(&set, mp[SCANNERS], scan_body(code, ROOM_LAT + 0.01,
	    ROOM_LON, 10));
	scan_add(&set, omp, scan_body(code, ROOM_LAT, ROOM_LON, 10));
	it_post_all(set.n, ATT "/checkin", set.tokens, set.bodies, set.resp);

	for (i = 0; i < SCANNERS; i++) {
		a = &set.resp[2 * i];
		b = &set.resp[2 * i + 1];
		if (a->status != 200 || b->status != 200)
			print_error("scans of %d: %ld %s / %ld %s\n", i,
			    a->status, a->body, b->status, b->body);
		assert_int_equal(a->status, 200);
		assert_int_equal(b->status, 200);
		assert_string_equal(att_record_status(a), "present");
		assert_string_equal(att_record_status(b), "present");
		/* Both answers describe the one record. */
		assert_string_equal(checked_in_at(a), checked_in_at(b));
		assert_true(!is_duplicate(a) || !is_duplicate(b));
	}
	it_assert_problem(&set.resp[2 * SCANNERS], 422, "outside-classroom");
	it_assert_problem(&set.resp[2 * SCANNERS + 1], 403, "not-enrolled");
	assert_int_equal(att_records_of(session), SCANNERS);

	scan_set_free(&set);
	for (i = 0; i < SCANNERS + 1; i++)
		free(mp[i]);
	free(omp);
	free(code);
	free(session);
	att_free_class(&k);
	att_free_class(&other);
}

static void *
post_all_thread(void *arg)
{
	struct scan_set	*set = arg;

	it_post_all(set->n, ATT "/checkin", set->tokens, set->bodies,
	    set->resp);
	return (NULL);
}

/* How many queries of the attendance service wait for a lock. */
static long
attendance_waiting(void)
{
	return (it_sql_long("SELECT count(*) FROM pg_stat_activity WHERE "
	    "application_name = $1 AND wait_event_type = 'Lock'",
	    "attendance"));
}

static void
test_connections_dropped_mid_query(void **state)
{
	struct klass	 k;
	struct scan_set	 set;
	struct it_resp	 r;
	pthread_t	 thread;
	PGconn		*locker;
	char		 openid[32], *mp[2], *session, *code, *pids;
	int		 i, deaths, tries;

	(void)state;
	memset(&set, 0, sizeof(set));
	deaths = it_worker_deaths("attendance");
	att_new_class(&k, "2026-2027", 32, 2);
	for (i = 0; i < 2; i++)
		assert_non_null(mp[i] = it_mp_token(k.web[i], openid,
		    sizeof(openid)));
	session = att_add_session(&k, "2027-03-15", "08:00", "09:40", "qr");
	att_move_session(session, 10, 100);
	code = att_open_checkin(session);

	/* Hold the records table so that the scans wait inside PostgreSQL. */
	locker = it_lock_table("attendance.records");
	scan_add(&set, mp[0], scan_body(code, ROOM_LAT, ROOM_LON, 10));
	scan_add(&set, mp[1], scan_body(code, ROOM_LAT, ROOM_LON, 10));
	assert_int_equal(pthread_create(&thread, NULL, post_all_thread, &set),
	    0);
	for (tries = 0; tries < 100 && attendance_waiting() < 1; tries++)
		usleep(50000);
	assert_true(attendance_waiting() >= 1);

	/* The server ends every connection of the service, busy or idle. */
	pids = it_sql_text("WITH t AS MATERIALIZED (SELECT pid FROM "
	    "pg_stat_activity WHERE application_name = $1) SELECT "
	    "array_agg(pid)::text FROM t WHERE pg_terminate_backend(pid)",
	    "attendance");
	assert_non_null(pids);
	/* Ending a backend is asynchronous: wait until they are all gone. */
	for (tries = 0; tries < 100 && it_sql_long("SELECT count(*) FROM "
	    "pg_stat_activity WHERE pid = ANY ($1::int[])", pids) > 0; tries++)
		usleep(50000);
	assert_int_equal(it_sql_long("SELECT count(*) FROM pg_stat_activity "
	    "WHERE pid = ANY ($1::int[])", pids), 0);
	free(pids);
	it_unlock_table(locker);
	pthread_join(thread, NULL);
	for (i = 0; i < set.n; i++) {
		if (set.resp[i].status == 200)
			continue;
		it_assert_problem(&set.resp[i], 503, "service-unavailable");
		assert_string_equal(set.resp[i].retry_after, "1");
	}

	/*
	 * The idle pooled connections were ended too: each is found dead and
	 * reset before its next query, so the next scans simply succeed.
	 */
	for (i = 0; i < 2; i++) {
		att_scan(mp[i], code, ROOM_LAT, ROOM_LON, 10, &r);
		if (r.status != 200)
			print_error("scan %d after the drop: %ld %s\n", i,
			    r.status, r.body);
		assert_int_equal(r.status, 200);
		assert_string_equal(att_record_status(&r), "present");
		it_free(&r);
	}
	assert_int_equal(att_records_of(session), 2);
	assert_int_equal(it_worker_deaths("attendance"), deaths);

	scan_set_free(&set);
	for (i = 0; i < 2; i++)
		free(mp[i]);
	free(code);
	free(session);
	att_free_class(&k);
}

/* Runs sql with one parameter; 1 when it affected or returned a row. */
static long
session_sql(const char *sql, const char *session)
{
	return (it_sql_long(sql, session));
}

/*
 * Scans that arrive before the start but wait (for a connection, behind
 * other batches, behind a lock) until after it are judged by their
 * arrival: present, never a final absence made by queueing.
 */
static void
test_queued_scans_keep_their_arrival_time(void **state)
{
	struct klass	 k;
	struct scan_set	 set;
	pthread_t	 thread;
	PGconn		*locker;
	char		 openid[32], *mp[SCANNERS + 1], *session, *code;
	int		 i, tries;

	(void)state;
	memset(&set, 0, sizeof(set));
	att_new_class(&k, "2026-2027", 32, SCANNERS + 1);
	for (i = 0; i < SCANNERS + 1; i++)
		assert_non_null(mp[i] = it_mp_token(k.web[i], openid,
		    sizeof(openid)));
	session = att_add_session(&k, "2027-03-22", "08:00", "09:40", "qr");
	assert_int_equal(session_sql("WITH u AS (UPDATE attendance."
	    "class_sessions SET starts_at = now() + interval '4 seconds', "
	    "ends_at = now() + interval '100 minutes' WHERE id = $1 "
	    "RETURNING 1) SELECT count(*) FROM u", session), 1);
	code = att_open_checkin(session);

	/* Every scan arrives now; the batches wait for the lock. */
	locker = it_lock_table("attendance.records");
	for (i = 0; i < NSCANS; i++)
		scan_add(&set, mp[i % (SCANNERS + 1)], scan_body(code,
		    ROOM_LAT, ROOM_LON, 10));
	assert_int_equal(pthread_create(&thread, NULL, post_all_thread, &set),
	    0);
	for (tries = 0; tries < 100 && attendance_waiting() < 1; tries++)
		usleep(50000);
	assert_true(attendance_waiting() >= 1);
	/* The class starts (by the database's clock) while they wait. */
	for (tries = 0; tries < 200 && session_sql("SELECT count(*) FROM "
	    "attendance.class_sessions WHERE id = $1 AND now() > starts_at + "
	    "interval '1 second'", session) == 0; tries++)
		usleep(50000);
	it_unlock_table(locker);
	pthread_join(thread, NULL);
	for (i = 0; i < set.n; i++) {
		if (set.resp[i].status != 200)
			print_error("scan %d: %ld %s\n", i, set.resp[i].status,
			    set.resp[i].body);
		assert_int_equal(set.resp[i].status, 200);
		assert_string_equal(att_record_status(&set.resp[i]),
		    "present");
	}
	assert_int_equal(session_sql("SELECT count(*) FROM attendance.records "
	    "r JOIN attendance.class_sessions s ON s.id = r.session_id WHERE "
	    "s.id = $1 AND NOT r.final AND r.checked_in_at < s.starts_at",
	    session), SCANNERS + 1);

	scan_set_free(&set);
	for (i = 0; i < SCANNERS + 1; i++)
		free(mp[i]);
	free(code);
	free(session);
	att_free_class(&k);
}

/* A correction sent in a thread. */
struct correction {
	char		 body[256];
	struct it_resp	 resp;
};

static void *
correct_thread(void *arg)
{
	struct correction	*c = arg;

	it_post(ATT "/records/correct", teacher, c->body, &c->resp);
	return (NULL);
}

/*
 * A check-in committing while a correction of the same record runs: the
 * correction sees the record (final: refused; else its before-image is in
 * the audit trail), never overwrites it blind.
 */
static void
test_correction_racing_a_checkin(void **state)
{
	struct klass		 k;
	struct correction	 corr;
	pthread_t		 thread;
	PGconn			*checkin;
	PGresult		*res;
	char			 sql[768], *session, *v;
	int			 i, tries;
	static const struct {
		const char	*status;
		int		 final;
	} cases[] = { { "absent", 1 }, { "present", 0 } };

	(void)state;
	att_new_class(&k, "2026-2027", 32, 2);
	session = att_add_session(&k, "2027-03-29", "08:00", "09:40", "qr");
	att_move_session(session, -5, 100);
	for (i = 0; i < 2; i++) {
		/* The check-in's insert, not yet committed. */
		checkin = PQconnectdb(it_db_conninfo("postgres"));
		assert_int_equal(PQstatus(checkin), CONNECTION_OK);
		snprintf(sql, sizeof(sql), "BEGIN; INSERT INTO "
		    "attendance.records (student_id, session_id, status, "
		    "source, final, late_scan, checked_in_at, recorded_by) "
		    "SELECT a.id, '%s', '%s', 'qr', %s, %s, now(), a.id FROM "
		    "auth.accounts a WHERE a.login = '%s'", session,
		    cases[i].status, cases[i].final ? "true" : "false",
		    cases[i].final ? "true" : "false", k.ids[i]);
		res = PQexec(checkin, sql);
		assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
		PQclear(res);

		memset(&corr, 0, sizeof(corr));
		snprintf(corr.body, sizeof(corr.body), "{\"session_id\":\"%s\","
		    "\"student\":\"%s\",\"status\":\"late\",\"reason\":"
		    "\"seen at the door\"}", session, k.ids[i]);
		assert_int_equal(pthread_create(&thread, NULL, correct_thread,
		    &corr), 0);
		for (tries = 0; tries < 100 && attendance_waiting() < 1;
		    tries++)
			usleep(50000);
		assert_true(attendance_waiting() >= 1);
		PQclear(PQexec(checkin, "COMMIT"));
		PQfinish(checkin);
		pthread_join(thread, NULL);

		if (cases[i].final) {
			/* A late scan's absence is final: kept as it is. */
			it_assert_problem(&corr.resp, 409, "record-final");
			v = it_sql_text("SELECT r.status || ' ' || r.final FROM "
			    "attendance.records r JOIN auth.accounts a ON a.id "
			    "= r.student_id WHERE a.login = $1", k.ids[i]);
			assert_string_equal(v, "absent true");
		} else {
			assert_int_equal(corr.resp.status, 200);
			assert_string_equal(it_str(&corr.resp, "status"),
			    "late");
			v = it_sql_text("SELECT l.before->>'status' FROM "
			    "attendance.audit_log l JOIN auth.accounts a ON "
			    "a.id = l.student_id WHERE a.login = $1 AND "
			    "l.action = 'record.corrected'", k.ids[i]);
			assert_non_null(v);
			assert_string_equal(v, "present");
		}
		free(v);
		it_free(&corr.resp);
	}
	free(session);
	att_free_class(&k);
}

static long
warnings_of(const char *student)
{
	return (it_sql_long("SELECT count(*) FROM messaging.inbox i JOIN "
	    "auth.accounts a ON a.id = i.recipient_id WHERE a.login = $1 AND "
	    "i.kind = 'attendance.warning' AND i.sender_id IS NULL", student));
}

/*
 * A student who skipped this week's classes is warned by the service
 * itself (the test stack sweeps every 2 s), once for the crossing.
 */
static void
test_low_attendance_warned_without_asking(void **state)
{
	struct klass	 k;
	char		*s1, *s2;
	int		 tries, sweeps;

	(void)state;
	if (is_config_int("attendance.warnings_interval", 3600) > 5)
		fail_msg("the stack must sweep often: start it with "
		    "IS_ATTENDANCE_WARNINGS_INTERVAL=2 (tests/integration/CMakeLists.txt)");
	att_new_class(&k, "2026-2027", 32, 1);
	s1 = att_add_session(&k, "2027-03-01", "08:00", "09:40", "roll_call");
	s2 = att_add_session(&k, "2027-03-08", "08:00", "09:40", "roll_call");
	/* Classes in the future: nothing to warn about yet. */
	assert_int_equal(warnings_of(k.ids[0]), 0);
	att_move_session(s1, -3 * 24 * 60, 100);
	att_move_session(s2, -2 * 24 * 60, 100);
	for (tries = 0; tries < 100 && warnings_of(k.ids[0]) == 0; tries++)
		usleep(100000);
	assert_int_equal(warnings_of(k.ids[0]), 1);
	assert_int_equal(it_sql_long("SELECT count(*) FROM "
	    "attendance.warning_state w JOIN auth.accounts a ON a.id = "
	    "w.student_id WHERE a.login = $1 AND w.level = 'below' AND "
	    "w.school_year = '2026-2027'", k.ids[0]), 1);
	/* Two later sweeps (each logs its result) find nothing new to say. */
	sweeps = it_log_count("attendance", "warnings: {");
	for (tries = 0; tries < 150 &&
	    it_log_count("attendance", "warnings: {") < sweeps + 2; tries++)
		usleep(100000);
	assert_true(it_log_count("attendance", "warnings: {") >= sweeps + 2);
	assert_int_equal(warnings_of(k.ids[0]), 1);
	free(s1);
	free(s2);
	att_free_class(&k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_scans_get_their_own_verdicts),
		cmocka_unit_test(test_connections_dropped_mid_query),
		cmocka_unit_test(test_queued_scans_keep_their_arrival_time),
		cmocka_unit_test(test_correction_racing_a_checkin),
		cmocka_unit_test(test_low_attendance_warned_without_asking),
	};

	return (cmocka_run_group_tests(tests, att_setup, att_teardown));
}
