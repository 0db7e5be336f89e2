/*
 * Attendance through nginx on the real stack: a full QR class, leave,
 * corrections with their audit trail, rates under several conversion
 * policies (the MISSION.md example included), the monthly report,
 * warnings, scopes and bad input.
 *
 * Class times are moved with SQL where a test needs "the class started a
 * minute ago": the import takes calendar dates, the clock does not wait.
 */
#include <curl/curl.h>

#include "att_fixture.h"
#include "iscommon/config.h"
#include "iscommon/crypto.h"

static void
test_full_qr_class(void **state)
{
	struct klass	 k;
	struct it_resp	 r;
	char		 path[160], code[200], forged[200], openid[32];
	char		*session, *mp[NSTUDENTS], *old_mp;
	long		 window;
	int		 i;

	(void)state;
	att_new_class(&k, "2026-2027", 32, NSTUDENTS);
	for (i = 0; i < 4; i++) {
		mp[i] = it_mp_token(k.web[i], openid, sizeof(openid));
		assert_non_null(mp[i]);
	}
	session = att_add_session(&k, "2027-03-01", "08:00", "09:40", "qr");
	att_move_session(session, 10, 100);

	/* Only the course's teacher opens check-in. */
	snprintf(path, sizeof(path), ATT "/sessions/%s/open", session);
	it_post(path, k.web[0], NULL, &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	it_post(path, teacher, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(it_str(&r, "checkin"), "open");
	snprintf(code, sizeof(code), "%s", cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "qr"), "payload")));
	it_free(&r);

	/* The screen's QR, as JSON and as an image. */
	snprintf(path, sizeof(path), ATT "/sessions/%s/qr?format=svg", session);
	it_get(path, teacher, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.ctype, "image/svg+xml"));
	assert_true(strncmp(r.body, "<svg", 4) == 0);
	it_free(&r);

	/* A web login is refused, with what to do. */
	att_scan(k.web[0], code, ROOM_LAT, ROOM_LON, 15, &r);
	it_assert_problem(&r, 403, "wechat-login-required");
	it_free(&r);

	/* On time: present; again: the same record. */
	att_scan(mp[0], code, ROOM_LAT + 0.0002, ROOM_LON, 15, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(att_record_status(&r), "present");
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "duplicate")));
	it_free(&r);
	att_scan(mp[0], code, ROOM_LAT, ROOM_LON, 15, &r);
	assert_int_equal(r.status, 200);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.json, "duplicate")));
	it_free(&r);
	assert_int_equal(att_records_of(session), 1);

	/* Outside the room's radius (about 1.1 km away), inaccurate. */
	att_scan(mp[1], code, ROOM_LAT + 0.01, ROOM_LON, 15, &r);
	it_assert_problem(&r, 422, "outside-classroom");
	it_free(&r);
	att_scan(mp[1], code, ROOM_LAT, ROOM_LON, 800, &r);
	it_assert_problem(&r, 422, "location-inaccurate");
	it_free(&r);

	/* Forged and expired codes. */
	snprintf(forged, sizeof(forged), "%s", code);
	forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == '0' ?
	    '1' : '0';
	att_scan(mp[1], forged, ROOM_LAT, ROOM_LON, 15, &r);
	it_assert_problem(&r, 422, "qr-invalid");
	it_free(&r);
	att_scan(mp[1], "ISA1.not-a-code-at-all", ROOM_LAT, ROOM_LON, 15, &r);
	it_assert_problem(&r, 422, "qr-invalid");
	it_free(&r);
	window = time(NULL) / is_config_int("attendance.qr_rotate_seconds", 10);
	att_signed_code(session, window - 6, forged, sizeof(forged));
	att_scan(mp[1], forged, ROOM_LAT, ROOM_LON, 15, &r);
	it_assert_problem(&r, 422, "qr-expired");
	it_free(&r);
	assert_int_equal(att_records_of(session), 1);

	/* A binding replaced since the mini-program login. */
	old_mp = mp[2];
	mp[2] = it_mp_token(k.web[2], openid, sizeof(openid));
	att_scan(old_mp, code, ROOM_LAT, ROOM_LON, 15, &r);
	it_assert_problem(&r, 403, "wechat-binding-changed");
	it_free(&r);
	free(old_mp);

	/* Not enrolled: a bound student of another course. */
	{
		struct klass	other;
		char		*omp;

		att_new_class(&other, "2026-2027", 32, 1);
		omp = it_mp_token(other.web[0], openid, sizeof(openid));
		att_scan(omp, code, ROOM_LAT, ROOM_LON, 15, &r);
		it_assert_problem(&r, 403, "not-enrolled");
		it_free(&r);
		free(omp);
		att_free_class(&other);
	}

	/* Live view: who is missing. */
	snprintf(path, sizeof(path), ATT "/sessions/%s/live", session);
	it_get(path, teacher, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(cJSON_GetObjectItem(r.json, "enrolled")->valueint,
	    NSTUDENTS);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json,
	    "counts"), "present")->valueint, 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "missing")), NSTUDENTS - 1);
	it_free(&r);

	/* The class started a minute ago: a scan now is absent, and final. */
	att_move_session(session, -1, 100);
	snprintf(path, sizeof(path), ATT "/sessions/%s/qr", session);
	it_get(path, teacher, &r);
	snprintf(code, sizeof(code), "%s", cJSON_GetStringValue(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "qr"), "payload")));
	it_free(&r);
	att_scan(mp[3], code, ROOM_LAT, ROOM_LON, 15, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(att_record_status(&r), "absent");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    r.json, "record"), "final")));
	it_free(&r);
	/* /live counts a late scan once, as late_absent: the counts add up
	 * to what is recorded. */
	snprintf(path, sizeof(path), ATT "/sessions/%s/live", session);
	it_get(path, teacher, &r);
	{
		cJSON	*counts = cJSON_GetObjectItem(r.json, "counts"), *c;
		int	 sum = 0;

		cJSON_ArrayForEach(c, counts)
			sum += c->valueint;
		assert_int_equal(sum, cJSON_GetObjectItem(r.json,
		    "recorded")->valueint);
		assert_int_equal(cJSON_GetObjectItem(counts,
		    "late_absent")->valueint, 1);
		assert_int_equal(cJSON_GetObjectItem(counts,
		    "absent")->valueint, 0);
	}
	it_free(&r);
	snprintf(path, sizeof(path), "{\"session_id\":\"%s\",\"student\":\"%s\","
	    "\"status\":\"present\",\"reason\":\"was there\"}", session,
	    k.ids[3]);
	it_post(ATT "/records/correct", teacher, path, &r);
	it_assert_problem(&r, 409, "record-final");
	it_free(&r);

	/* In the room but could not scan: the teacher corrects, audited. */
	snprintf(path, sizeof(path), "{\"session_id\":\"%s\",\"student\":\"%s\","
	    "\"status\":\"present\",\"reason\":\"screenshot shown\"}", session,
	    k.ids[1]);
	it_post(ATT "/records/correct", teacher, path, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(it_str(&r, "status"), "present");
	assert_string_equal(it_str(&r, "source"), "correction");
	it_free(&r);
	snprintf(path, sizeof(path), ATT "/audit?student=%s", k.ids[1]);
	it_get(path, teacher, &r);
	assert_int_equal(r.status, 200);
	{
		cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json,
		    "items"), 0);
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e,
		    "action")), "record.corrected");
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e,
		    "actor")), "T0001");
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "before")));
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(e, "after"), "status")), "present");
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(e, "details"), "reason")),
		    "screenshot shown");
	}
	it_free(&r);

	/* Closed: no more scans. */
	snprintf(path, sizeof(path), ATT "/sessions/%s/close", session);
	it_post(path, teacher, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(it_str(&r, "checkin"), "closed");
	it_free(&r);
	att_scan(mp[2], code, ROOM_LAT, ROOM_LON, 15, &r);
	it_assert_problem(&r, 409, "checkin-closed");
	it_free(&r);
	assert_int_equal(att_records_of(session), 3);

	for (i = 0; i < 4; i++)
		free(mp[i]);
	free(session);
	att_free_class(&k);
}

static void
test_leave_and_evidence(void **state)
{
	struct klass	 k;
	struct it_resp	 r;
	char		 json[512], path[160], cert[40], from[40], to[40];
	char		*f1, *f2, *started, *counsellor, *other, *big;
	static const char pdf[] = "%PDF-1.4\n% hospital certificate\n%%EOF\n";

	(void)state;
	att_new_class(&k, "2026-2027", 32, 2);
	counsellor = att_new_staff("counsellor", k.ids[0]);
	other = att_new_staff("counsellor", k.ids[1]);
	f1 = att_add_session(&k, "2027-03-02", "08:00", "09:40", "qr");
	f2 = att_add_session(&k, "2027-03-02", "10:00", "11:40", "qr");
	started = att_add_session(&k, "2027-03-03", "08:00", "09:40", "qr");
	att_move_session(f1, 2 * 24 * 60, 100);
	att_move_session(f2, 2 * 24 * 60 + 120, 100);
	att_move_session(started, -10, 100);

	/* The certificate: typed by content, bounded in size. */
	it_request("POST", ATT "/evidence", k.web[0], "application/pdf",
	    "just text", 9, &r);
	it_assert_problem(&r, 415, "unsupported-media-type");
	it_free(&r);
	big = calloc(1, 6 * 1024 * 1024);
	memcpy(big, "%PDF-", 5);
	it_request("POST", ATT "/evidence", k.web[0], "application/pdf", big,
	    6 * 1024 * 1024, &r);
	it_assert_problem(&r, 413, "payload-too-large");
	it_free(&r);
	free(big);
	it_request("POST", ATT "/evidence", k.web[0], "application/pdf", pdf,
	    strlen(pdf), &r);
	assert_int_equal(r.status, 201);
	assert_string_equal(it_str(&r, "content_type"), "application/pdf");
	snprintf(cert, sizeof(cert), "%s", it_str(&r, "id"));
	it_free(&r);

	/* Sick leave needs the certificate; after the start it is refused. */
	snprintf(json, sizeof(json), "{\"kind\":\"sick\",\"reason\":\"flu\","
	    "\"from\":\"2020-01-01T00:00:00Z\",\"to\":\"2020-01-02T00:00:00Z\"}");
	it_post(ATT "/leave", k.web[0], json, &r);
	it_assert_problem(&r, 422, "validation");
	it_free(&r);
	{
		char *a = it_sql_text("SELECT to_char((now() - interval '1 hour')"
		    " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", NULL);
		char *b = it_sql_text("SELECT to_char((now() + interval '3 days')"
		    " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", NULL);
		snprintf(from, sizeof(from), "%s", a);
		snprintf(to, sizeof(to), "%s", b);
		free(a);
		free(b);
	}
	snprintf(json, sizeof(json), "{\"kind\":\"sick\",\"reason\":\"flu\","
	    "\"from\":\"%s\",\"to\":\"%s\",\"certificate_id\":\"%s\"}", from,
	    to, cert);
	it_post(ATT "/leave", k.web[0], json, &r);
	it_assert_problem(&r, 422, "leave-too-late");
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM "
	    "attendance.leave_requests l JOIN auth.accounts a ON a.id = "
	    "l.student_id WHERE a.login = $1", k.ids[0]), 0);

	/* In advance: applied, approved by the counsellor, recorded. */
	{
		char *a = it_sql_text("SELECT to_char((now() + interval '1 day')"
		    " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", NULL);
		snprintf(from, sizeof(from), "%s", a);
		free(a);
	}
	snprintf(json, sizeof(json), "{\"kind\":\"sick\",\"reason\":\"surgery\","
	    "\"from\":\"%s\",\"to\":\"%s\",\"certificate_id\":\"%s\"}", from,
	    to, cert);
	it_post(ATT "/leave", k.web[0], json, &r);
	assert_int_equal(r.status, 201);
	assert_string_equal(it_str(&r, "status"), "pending");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "sessions")), 2);
	snprintf(path, sizeof(path), ATT "/leave/%s/decision", it_str(&r, "id"));
	it_free(&r);
	it_post(path, teacher, "{\"decision\":\"approve\"}", &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	it_post(path, other, "{\"decision\":\"approve\"}", &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
	it_post(path, counsellor, "{\"decision\":\"approve\",\"comment\":"
	    "\"get well\"}", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(it_str(&r, "status"), "approved");
	it_free(&r);
	it_post(path, counsellor, "{\"decision\":\"reject\"}", &r);
	it_assert_problem(&r, 409, "conflict");
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM attendance.records "
	    "WHERE session_id IN (SELECT id FROM attendance.class_sessions "
	    "WHERE course_id = $1) AND status = 'sick_leave'", k.course_id), 2);
	assert_int_equal(it_sql_long("SELECT count(*) FROM messaging.inbox i "
	    "JOIN auth.accounts a ON a.id = i.recipient_id WHERE a.login = $1 "
	    "AND i.kind = 'attendance.leave'", k.ids[0]), 1);

	/* The counsellor reads the certificate; another student cannot. */
	snprintf(path, sizeof(path), ATT "/evidence/%s", cert);
	it_get(path, counsellor, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, strlen(pdf));
	assert_memory_equal(r.body, pdf, strlen(pdf));
	/* Kept out of shared caches, and said once. */
	assert_int_equal(r.cache_controls, 1);
	assert_string_equal(r.cache_control, "private, no-store");
	it_free(&r);
	it_get(path, k.web[1], &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);

	/* Once held, the leave shows in the rates as sick leave. */
	att_move_session(f1, -200, 100);
	snprintf(path, sizeof(path), ATT "/rates?school_year=2026-2027");
	it_get(path, k.web[0], &r);
	assert_int_equal(r.status, 200);
	{
		cJSON *sem = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json,
		    "semesters"), 0);
		cJSON *course = cJSON_GetArrayItem(cJSON_GetObjectItem(sem,
		    "courses"), 0);
		assert_int_equal(cJSON_GetObjectItem(course,
		    "sick_leave")->valueint, 1);
		/* started (no record) is skipped; f1 on sick leave attended. */
		assert_int_equal(cJSON_GetObjectItem(course, "skipped")->valueint,
		    1);
		assert_true(cJSON_GetObjectItem(sem,
		    "realtime_attendance_rate")->valuedouble == 50.0);
	}
	it_free(&r);
	free(f1);
	free(f2);
	free(started);
	free(counsellor);
	free(other);
	att_free_class(&k);
}

/* Records one roll-call session for a student. */
static void
roll_call(const char *session, const char *student, const char *status)
{
	struct it_resp	r;
	char		path[128], json[160];

	snprintf(path, sizeof(path), ATT "/sessions/%s/records", session);
	snprintf(json, sizeof(json), "{\"records\":[{\"student\":\"%s\","
	    "\"status\":\"%s\"}]}", student, status);
	it_post(path, teacher, json, &r);
	if (r.status != 200)
		print_error("roll call: %s\n", r.body);
	assert_int_equal(r.status, 200);
	it_free(&r);
}

static double
sem_value(const char *tok, const char *student, const char *year,
    const char *name)
{
	struct it_resp	r;
	char		path[160];
	double		v;

	snprintf(path, sizeof(path), ATT "/rates?student=%s&school_year=%s"
	    "&semester=1", student, year);
	it_get(path, tok, &r);
	assert_int_equal(r.status, 200);
	v = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r.json,
	    "semesters"), 0), name)->valuedouble;
	it_free(&r);
	return (v);
}

static void
set_policy(const char *json)
{
	struct it_resp	r;

	it_request("PUT", ATT "/policy", admin, "application/json", json,
	    strlen(json), &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
}

/*
 * MISSION.md: four courses of 32 h, 128 h in all, 18 h skipped ->
 * absence 14.06 %, attendance 85.94 %. Then late arrivals under two
 * conversion policies, sick and personal leave, the monthly report and
 * the warnings.
 */
static void
test_rates_policies_report_warnings(void **state)
{
	struct klass	 k[4];
	struct it_resp	 r;
	char		 date[32], start[16], end[16], *ids[4][16], path[160];
	char		 student[16], *web, *counsellor, *finance, csv[512];
	int		 c, s, skipped = 0;

	(void)state;
	/* One student in four courses of 16 two-hour sessions each. */
	for (c = 0; c < 4; c++)
		att_new_class(&k[c], "2025-2026", 32, c == 0 ? 1 : 0);
	snprintf(student, sizeof(student), "%s", k[0].ids[0]);
	web = k[0].web[0];
	for (c = 1; c < 4; c++) {
		snprintf(csv, sizeof(csv), "course_code,school_year,semester,"
		    "student_id\n%s,2025-2026,1,%s\n", k[c].code, student);
		att_import("enrolments", csv, 0);
	}
	for (c = 0; c < 4; c++) {
		for (s = 0; s < 16; s++) {
			snprintf(date, sizeof(date), "2025-%02d-%02d",
			    9 + s / 4, 1 + (s % 4) * 7);
			snprintf(start, sizeof(start), "%02d:00", 8 + c * 2);
			snprintf(end, sizeof(end), "%02d:40", 9 + c * 2);
			ids[c][s] = att_add_session(&k[c], date, start, end,
			    "roll_call");
			/* 9 sessions (18 h) skipped: no record at all. */
			if (skipped < 9 && s % 2 == 1 && c < 3 && s < 7) {
				skipped++;
				continue;
			}
			roll_call(ids[c][s], student, "present");
		}
	}
	assert_int_equal(skipped, 9);
	assert_true(sem_value(web, student, "2025-2026", "course_hours") == 128);
	assert_true(sem_value(web, student, "2025-2026", "absence_hours") == 18);
	assert_true(sem_value(web, student, "2025-2026",
	    "total_absence_rate") == 14.06);
	assert_true(sem_value(web, student, "2025-2026",
	    "realtime_attendance_rate") == 85.94);
	assert_true(sem_value(web, student, "2025-2026",
	    "overall_attendance_rate") == 85.94);

	/* Three late arrivals in course 4: 1 late = 1 absence, then 3 = 1. */
	for (s = 0; s < 3; s++)
		roll_call(ids[3][s], student, "late");
	assert_true(sem_value(web, student, "2025-2026", "absence_hours") == 24);
	assert_true(sem_value(web, student, "2025-2026",
	    "overall_attendance_rate") == 81.25);
	set_policy("{\"late_per_absence\":3}");
	assert_true(sem_value(web, student, "2025-2026", "absence_hours") == 20);
	assert_true(sem_value(web, student, "2025-2026",
	    "overall_attendance_rate") == 84.38);
	set_policy("{\"late_per_absence\":2}");
	assert_true(sem_value(web, student, "2025-2026", "absence_hours") == 20);
	set_policy("{\"late_per_absence\":1}");

	/* Sick leave counts as attendance, personal leave as absence. */
	snprintf(path, sizeof(path), "{\"session_id\":\"%s\",\"student\":\"%s\","
	    "\"status\":\"sick_leave\",\"reason\":\"certificate seen\"}",
	    ids[0][1], student);
	it_post(ATT "/records/correct", teacher, path, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	snprintf(path, sizeof(path), "{\"session_id\":\"%s\",\"student\":\"%s\","
	    "\"status\":\"personal_leave\",\"reason\":\"approved on paper\"}",
	    ids[0][0], student);
	it_post(ATT "/records/correct", teacher, path, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	/* 18 - 2 (sick) + 2 (personal) + 6 (late) = 24 h. */
	assert_true(sem_value(web, student, "2025-2026", "absence_hours") == 24);

	/* The monthly report: September 2025 has 4 sessions per course. */
	finance = it_login("F0001", it_demo_password(), NULL);
	it_get(ATT "/reports/monthly?month=2025-09", finance, &r);
	assert_int_equal(r.status, 200);
	{
		cJSON *item;
		int found = 0;

		cJSON_ArrayForEach(item, cJSON_GetObjectItem(r.json, "items")) {
			if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(item,
			    "student_id")), student) != 0)
				continue;
			found = 1;
			/* 16 sessions, 32 h: skipped s=1,3 of courses 1-3
			 * (s=1 of course 1 now sick leave, s=0 personal leave),
			 * 3 lates in course 4. */
			assert_true(cJSON_GetObjectItem(item,
			    "hours_held")->valuedouble == 32);
			assert_true(cJSON_GetObjectItem(item,
			    "absence_hours")->valuedouble == 2 + 2 + 8 + 6);
		}
		assert_true(found);
	}
	it_free(&r);
	it_get(ATT "/reports/monthly?month=2025-09&format=csv", finance, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.ctype, "text/csv"));
	assert_true(strncmp(r.body, "student_id,name,school,", 23) == 0);
	assert_non_null(strstr(r.body, student));
	it_free(&r);
	it_get(ATT "/reports/monthly?month=2025-09", web, &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	free(finance);

	/* Warnings: 81.25 % is trending below 80 + 5; warned once. */
	counsellor = att_new_staff("counsellor", student);
	it_get(ATT "/warnings?school_year=2025-2026&semester=1", counsellor, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(cJSON_GetObjectItem(r.json, "total")->valueint, 1);
	it_free(&r);
	for (s = 0; s < 2; s++) {
		it_post(ATT "/warnings/send", counsellor,
		    "{\"school_year\":\"2025-2026\",\"semester\":1}", &r);
		assert_int_equal(r.status, 200);
		assert_int_equal(cJSON_GetObjectItem(r.json,
		    "warned")->valueint, s == 0 ? 1 : 0);
		it_free(&r);
	}
	/* Falling below the threshold is a new crossing: warned again. */
	for (s = 4; s < 8; s++)
		roll_call(ids[3][s], student, "absent");
	it_post(ATT "/warnings/send", counsellor,
	    "{\"school_year\":\"2025-2026\",\"semester\":1}", &r);
	assert_int_equal(cJSON_GetObjectItem(r.json, "warned")->valueint, 1);
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM messaging.inbox i "
	    "JOIN auth.accounts a ON a.id = i.recipient_id WHERE a.login = $1 "
	    "AND i.kind = 'attendance.warning'", student), 2);
	free(counsellor);
	for (c = 0; c < 4; c++) {
		for (s = 0; s < 16; s++)
			free(ids[c][s]);
		att_free_class(&k[c]);
	}
}

static void
test_scopes(void **state)
{
	struct klass	 k;
	struct it_resp	 r;
	char		 path[160], *s2;

	(void)state;
	att_new_class(&k, "2026-2027", 16, 2);
	/* A student reads their own rates, not another's. */
	snprintf(path, sizeof(path), ATT "/rates?student=%s", k.ids[1]);
	it_get(path, k.web[0], &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
	snprintf(path, sizeof(path), ATT "/rates?student=%s", k.ids[0]);
	it_get(path, k.web[0], &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	/* The teacher reads students of their courses; demo students of
	 * other courses are out of reach. */
	it_get(path, teacher, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	s2 = att_new_staff("teacher", NULL);
	it_get(path, s2, &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
	snprintf(path, sizeof(path), ATT "/courses/%s/sessions", k.course_id);
	it_get(path, s2, &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
	it_get(path, teacher, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(cJSON_GetObjectItem(r.json, "course"));
	it_free(&r);
	/* Anyone signed in reads the policy. */
	it_get(ATT "/policy", k.web[0], &r);
	assert_int_equal(r.status, 200);
	assert_non_null(cJSON_GetObjectItem(r.json, "timezone"));
	it_free(&r);
	/* errors.md's rule: a session another teacher cannot see is 404;
	 * its course's secretary sees it, may not run it: 403. */
	{
		char *session = att_add_session(&k, "2027-05-03", "08:00",
		    "09:40", "roll_call"), *sec;
		static const char *const what[] = { "open", "close", "live",
		    "qr", "records", NULL };
		int i;

		sec = att_new_staff("secretary", NULL);
		for (i = 0; what[i] != NULL; i++) {
			snprintf(path, sizeof(path), ATT "/sessions/%s/%s",
			    session, what[i]);
			if (strcmp(what[i], "live") == 0 ||
			    strcmp(what[i], "qr") == 0) {
				it_get(path, s2, &r);
				it_assert_problem(&r, 404, "not-found");
				it_free(&r);
				it_get(path, sec, &r);
			} else {
				const char *body = strcmp(what[i], "records")
				    == 0 ? "{\"records\":[{\"student\":"
				    "\"2023S0001\",\"status\":\"present\"}]}" :
				    NULL;

				it_post(path, s2, body, &r);
				it_assert_problem(&r, 404, "not-found");
				it_free(&r);
				it_post(path, sec, body, &r);
			}
			it_assert_problem(&r, 403, "forbidden");
			it_free(&r);
		}
		free(sec);
		free(session);
	}
	free(s2);
	/* Role denials. */
	it_get(ATT "/rates/students?school_year=2026-2027&semester=1",
	    k.web[0], &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	it_request("POST", ATT "/import/rooms", k.web[0], "text/csv",
	    "code\n", 5, &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	it_request("PUT", ATT "/policy", teacher, "application/json",
	    "{\"grace_minutes\":5}", 19, &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	/* Staff lists are scoped: IO sees these students. */
	s2 = it_login("IO0001", it_demo_password(), NULL);
	it_get(ATT "/rates/students?school_year=2026-2027&semester=1&limit=5000",
	    s2, &r);
	it_assert_problem(&r, 422, "validation");
	it_free(&r);
	it_get(ATT "/rates/students?school_year=2026-2027&semester=1&limit=200",
	    s2, &r);
	assert_int_equal(r.status, 200);
	assert_true(cJSON_GetObjectItem(r.json, "total")->valueint >= 2);
	it_free(&r);
	free(s2);
	it_get(ATT "/courses", NULL, &r);
	it_assert_problem(&r, 401, "unauthorized");
	it_free(&r);
	att_free_class(&k);
}

static long
fingerprint(void)
{
	return (it_sql_long("SELECT (SELECT count(*) FROM attendance.records) "
	    "+ (SELECT count(*) FROM attendance.leave_requests) "
	    "+ (SELECT count(*) FROM attendance.courses) "
	    "+ (SELECT count(*) FROM attendance.class_sessions) "
	    "+ (SELECT count(*) FROM attendance.enrolments) "
	    "+ (SELECT count(*) FROM attendance.evidence) "
	    "+ (SELECT count(*) FROM attendance.audit_log)", NULL));
}

struct bad {
	const char	*method;
	const char	*path;
	const char	*ctype;
	const char	*body;
	long		 status;
};

static void
test_bad_input(void **state)
{
	static const struct bad cases[] = {
	    { "POST", ATT "/checkin", "application/json", "{", 400 },
	    { "POST", ATT "/checkin", "application/json", "[]", 422 },
	    { "POST", ATT "/checkin", "application/json",
		"{\"code\":\"ISA1.x\",\"latitude\":\"north\",\"longitude\":1,"
		"\"accuracy\":1}", 422 },
	    { "POST", ATT "/checkin", "application/json",
		"{\"code\":\"ISA1.xxxxxxxx\",\"latitude\":91,\"longitude\":1,"
		"\"accuracy\":1}", 422 },
	    { "POST", ATT "/checkin", "text/plain", "code", 415 },
	    { "POST", ATT "/records/correct", "application/json",
		"{\"session_id\":\"x' OR 1=1 --\",\"student\":\"2023S0001\","
		"\"status\":\"present\",\"reason\":\"r\"}", 422 },
	    { "POST", ATT "/records/correct", "application/json",
		"{\"session_id\":\"00000000-0000-0000-0000-000000000000\","
		"\"student\":\"2023S0001\",\"status\":\"excused\","
		"\"reason\":\"because\"}", 422 },
	    { "POST", ATT "/records/correct", "application/json",
		"{\"session_id\":\"00000000-0000-0000-0000-000000000000\","
		"\"student\":\"2023S0001\",\"status\":\"present\","
		"\"reason\":\"because\",\"extra\":1}", 422 },
	    { "POST", ATT "/records/correct", "application/json",
		"{\"session_id\":\"00000000-0000-0000-0000-000000000000\","
		"\"student\":\"2023S0001\",\"status\":\"present\","
		"\"reason\":\"because\"}", 404 },
	    { "POST", ATT "/leave", "application/json",
		"{\"kind\":\"holiday\",\"reason\":\"x\",\"from\":\"tomorrow\","
		"\"to\":\"later\"}", 422 },
	    { "POST", ATT "/leave", "application/json",
		"{\"kind\":\"personal\",\"reason\":\"trip\",\"from\":"
		"\"2030-13-45T00:00:00Z\",\"to\":\"2030-01-02T00:00:00Z\"}", 422 },
	    { "POST", ATT "/leave/not-a-uuid/decision", "application/json",
		"{\"decision\":\"approve\"}", 404 },
	    { "POST", ATT "/leave/00000000-0000-0000-0000-000000000000/decision",
		"application/json", "{\"decision\":\"maybe\"}", 422 },
	    { "GET", ATT "/leave?status=lost", NULL, NULL, 422 },
	    { "GET", ATT "/leave?limit=abc", NULL, NULL, 422 },
	    { "GET", ATT "/courses?semester=3", NULL, NULL, 422 },
	    { "GET", ATT "/courses?school_year=2026&bogus=1", NULL, NULL, 422 },
	    { "GET", ATT "/courses?semester=1&semester=2", NULL, NULL, 422 },
	    { "GET", ATT "/rates?student=a'b", NULL, NULL, 422 },
	    { "GET", ATT "/reports/monthly?month=2025-13", NULL, NULL, 422 },
	    { "GET", ATT "/warnings?school_year=2025-2026", NULL, NULL, 422 },
	    { "GET", ATT "/audit", NULL, NULL, 422 },
	    { "GET", ATT "/sessions/zzz/live", NULL, NULL, 404 },
	    { "GET", ATT "/sessions/00000000-0000-0000-0000-000000000000/live",
		NULL, NULL, 404 },
	    { "POST", ATT "/sessions/00000000-0000-0000-0000-000000000000/records",
		"application/json", "{\"records\":[{\"student\":1}]}", 422 },
	    { "POST", ATT "/sessions/00000000-0000-0000-0000-000000000000/records",
		"application/json", "{\"records\":[]}", 422 },
	    { "GET", ATT "/evidence/00000000-0000-0000-0000-000000000000", NULL,
		NULL, 404 },
	    { "POST", ATT "/import/rooms", "application/json", "{}", 415 },
	    { "POST", ATT "/import/widgets", "text/csv", "a\n1\n", 404 },
	    { "POST", ATT "/import/rooms", "text/csv", "\"unterminated\n", 422 },
	    { "POST", ATT "/import/rooms", "text/csv", "colour\nred\n", 422 },
	    { "PUT", ATT "/policy", "application/json",
		"{\"late_per_absence\":0}", 422 },
	    { "PUT", ATT "/policy", "application/json",
		"{\"timezone\":\"Mars/Olympus\"}", 422 },
	    { "POST", ATT "/warnings/send", "application/json",
		"{\"school_year\":\"2025\",\"semester\":1}", 422 },
	    { "DELETE", ATT "/courses", NULL, NULL, 405 },
	};
	struct it_resp	 r;
	char		 id[16], *student;
	const char	*tok;
	long		 before;
	size_t		 i;

	(void)state;
	/* Student-only endpoints are tried with a student's token. */
	student = it_new_student(id, sizeof(id), PASSWORD);
	before = fingerprint();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tok = strstr(cases[i].path, "/checkin") != NULL ||
		    strcmp(cases[i].path, ATT "/leave") == 0 ? student : admin;
		it_request(cases[i].method, cases[i].path, tok, cases[i].ctype,
		    cases[i].body, cases[i].body ? strlen(cases[i].body) : 0, &r);
		if (r.status != cases[i].status)
			print_error("case %zu %s %s: %ld %s\n", i,
			    cases[i].method, cases[i].path, r.status, r.body);
		assert_int_equal(r.status, cases[i].status);
		assert_non_null(strstr(r.ctype, "application/problem+json"));
		it_free(&r);
	}
	assert_int_equal(fingerprint(), before);
	free(student);
}

/* A session's value of column as text, in the policy's time zone. */
static char *
session_text(const char *session, const char *expr)
{
	char	sql[256];

	snprintf(sql, sizeof(sql), "SELECT %s FROM attendance.class_sessions "
	    "WHERE id = $1", expr);
	return (it_sql_text(sql, session));
}

/*
 * Issue 10, item 12: while check-in is open, a re-import cannot clear the
 * room or change the method; a session that is not (or no longer) QR
 * takes no scan, open or not.
 */
static void
test_open_checkin_keeps_room_and_method(void **state)
{
	struct klass	 k;
	struct it_resp	 r;
	char		 csv[512], openid[40], *session, *code, *mp, *date,
			 *start, *end, *v;

	(void)state;
	att_new_class(&k, "2025-2026", 2, 1);
	session = att_add_session(&k, "2026-03-02", "08:00", "09:40", "qr");
	/* Starting in two minutes, ending within the local day (the import
	 * below names it by local date and times). */
	assert_int_equal(it_sql_long("WITH d AS (SELECT date_trunc('minute', "
	    "now()) AS m, (date_trunc('day', now() AT TIME ZONE "
	    "'Asia/Shanghai') + interval '1 day') AT TIME ZONE "
	    "'Asia/Shanghai' AS midnight), u AS (UPDATE attendance."
	    "class_sessions SET starts_at = least(m + interval '2 min', "
	    "midnight - interval '3 min'), ends_at = least(m + "
	    "interval '62 min', midnight - interval '1 min') FROM d "
	    "WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", session), 1);
	mp = it_mp_token(k.web[0], openid, sizeof(openid));
	code = att_open_checkin(session);
	date = session_text(session, "to_char(starts_at AT TIME ZONE "
	    "'Asia/Shanghai', 'YYYY-MM-DD')");
	start = session_text(session, "to_char(starts_at AT TIME ZONE "
	    "'Asia/Shanghai', 'HH24:MI')");
	end = session_text(session, "to_char(ends_at AT TIME ZONE "
	    "'Asia/Shanghai', 'HH24:MI')");

	/* Clearing the room (roll call): refused while open. */
	snprintf(csv, sizeof(csv), "course_code,school_year,semester,date,"
	    "start,end,room,hours,method\n%s,%s,1,%s,%s,%s,,2,roll_call\n",
	    k.code, k.year, date, start, end);
	att_import("sessions", csv, 1);
	v = session_text(session, "coalesce(room, '-') || ' ' || method");
	assert_non_null(strstr(v, k.room));
	assert_non_null(strstr(v, " qr"));
	free(v);
	/* The same row with its room and method: accepted. */
	snprintf(csv, sizeof(csv), "course_code,school_year,semester,date,"
	    "start,end,room,hours,method\n%s,%s,1,%s,%s,%s,%s,2,qr\n",
	    k.code, k.year, date, start, end, k.room);
	att_import("sessions", csv, 0);

	/* Made a roll call behind check-in's back: scans are refused. */
	assert_int_equal(it_sql_long("WITH u AS (UPDATE attendance."
	    "class_sessions SET method = 'roll_call' WHERE id = $1 "
	    "RETURNING 1) SELECT count(*) FROM u", session), 1);
	att_scan(mp, code, ROOM_LAT, ROOM_LON, 15, &r);
	it_assert_problem(&r, 409, "checkin-not-qr");
	it_free(&r);
	assert_int_equal(att_records_of(session), 0);
	free(date);
	free(start);
	free(end);
	free(code);
	free(mp);
	free(session);
	att_free_class(&k);
}

/*
 * Issue 10, item 14: a name imported as a formula reaches finance's CSV as
 * text (an apostrophe first), never as a cell a spreadsheet evaluates.
 */
static void
test_report_csv_has_no_formulas(void **state)
{
	struct klass	 k;
	struct it_resp	 r;
	char		 csv[512], *session, *finance, *line, *save, *field;

	(void)state;
	att_new_class(&k, "2024-2025", 2, 1);
	snprintf(csv, sizeof(csv), "student_id,family_name,given_name,school,"
	    "degree,cohort\n%s,=2+3,@SUM(1+1),-School of Computing,master,"
	    "2024\n", k.ids[0]);
	it_request("POST", "/api/v1/auth/admin/students/import", admin,
	    "text/csv", csv, strlen(csv), &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(cJSON_GetObjectItem(r.json, "updated")->valueint, 1);
	it_free(&r);
	session = att_add_session(&k, "2024-10-08", "08:00", "09:40",
	    "roll_call");
	roll_call(session, k.ids[0], "present");

	finance = it_login("F0001", it_demo_password(), NULL);
	it_get(ATT "/reports/monthly?month=2024-10&format=csv", finance, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"'@SUM(1+1) =2+3\""));
	assert_non_null(strstr(r.body, "\"'-School of Computing\""));
	/* No cell of any row starts with what a spreadsheet evaluates. */
	for (line = strtok_r(r.body, "\r\n", &save); line != NULL;
	    line = strtok_r(NULL, "\r\n", &save)) {
		for (field = line; field != NULL; field = strchr(field, ',')) {
			if (*field == ',')
				field++;
			if (*field == '"')
				field++;
			assert_null(strchr("=+@", *field) != NULL &&
			    *field != '\0' ? field : NULL);
		}
	}
	it_free(&r);
	free(finance);
	free(session);
	att_free_class(&k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_qr_class),
		cmocka_unit_test(test_leave_and_evidence),
		cmocka_unit_test(test_rates_policies_report_warnings),
		cmocka_unit_test(test_report_csv_has_no_formulas),
		cmocka_unit_test(test_open_checkin_keeps_room_and_method),
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_bad_input),
	};

	return (cmocka_run_group_tests(tests, att_setup, att_teardown));
}
