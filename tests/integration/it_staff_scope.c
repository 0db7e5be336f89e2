/*
 * Staff stay in their scope, through nginx on the real stack: a school's
 * secretary acts only on their school (no rooms, no other school's
 * students, past sessions only with a reason, withdrawals audited); a
 * teacher sees their own courses and the fact of approved leave, never
 * its reason or certificate; re-imports and staff updates keep what they
 * do not name, and the audit trail has the before and after.
 */
#include "att_fixture.h"

#define PHYSICS	"School of Physics"

static void
import_as(const char *tok, const char *kind, const char *csv,
    struct it_resp *r)
{
	char	path[96];

	snprintf(path, sizeof(path), ATT "/import/%s", kind);
	it_request("POST", path, tok, "text/csv", csv, strlen(csv), r);
}

static int
json_int(struct it_resp *r, const char *name)
{
	return (cJSON_GetObjectItem(r->json, name)->valueint);
}

/* The field of the first rejected row. */
static const char *
rejected_field(struct it_resp *r)
{
	return (cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r->json,
	    "rejected"), 0), "errors"), 0), "field")));
}

/* A student of another school, imported by the admin. */
static void
physics_student(char *id, size_t len)
{
	struct it_resp	r;
	char		csv[256];

	it_unique(id, len, "P");
	snprintf(csv, sizeof(csv), "student_id,family_name,given_name,school,"
	    "degree,cohort\n%s,OTHER,Pat," PHYSICS ",master,2024\n", id);
	it_request("POST", "/api/v1/auth/admin/students/import", admin,
	    "text/csv", csv, strlen(csv), &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_int(&r, "created"), 1);
	it_free(&r);
}

static void
test_secretary_acts_in_their_school(void **state)
{
	struct klass	 k;
	struct it_resp	 r;
	char		 csv[512], physics[16], course[16], *sec, *own;
	char		 own_id[16];
	long		 sessions;

	(void)state;
	att_new_class(&k, "2026-2027", 16, 1);
	sec = att_new_staff("secretary", NULL);	/* School of Computing */

	/* Rooms serve every school: the International Office's. */
	import_as(sec, "rooms", "code,name,latitude,longitude,radius_m\n"
	    "SEC-R1,Hall,45.75,126.63,900\n", &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	snprintf(csv, sizeof(csv), "code,name,latitude,longitude,radius_m\n"
	    "%s,Moved,1.0,1.0,1000\n", k.room);
	import_as(sec, "rooms", csv, &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM attendance.rooms "
	    "WHERE code = $1 AND name <> 'Moved'", k.room), 1);

	/* Enrolments: only the secretary's school's students. */
	physics_student(physics, sizeof(physics));
	snprintf(csv, sizeof(csv), "course_code,school_year,semester,"
	    "student_id\n%s,%s,1,%s\n", k.code, k.year, physics);
	import_as(sec, "enrolments", csv, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_int(&r, "created"), 0);
	assert_string_equal(rejected_field(&r), "student_id");
	it_free(&r);
	own = it_new_student(own_id, sizeof(own_id), PASSWORD);
	snprintf(csv, sizeof(csv), "course_code,school_year,semester,"
	    "student_id\n%s,%s,1,%s\n", k.code, k.year, own_id);
	import_as(sec, "enrolments", csv, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_int(&r, "created"), 1);
	it_free(&r);

	/* Nor another school's course, to enrol or to withdraw from. */
	it_unique(course, sizeof(course), "C");
	snprintf(csv, sizeof(csv), "code,school_year,semester,name_en,hours,"
	    "school\n%s,%s,1,Optics,16," PHYSICS "\n", course, k.year);
	att_import("courses", csv, 0);
	snprintf(csv, sizeof(csv), "course_code,school_year,semester,"
	    "student_id\n%s,%s,1,%s\n", course, k.year, physics);
	att_import("enrolments", csv, 0);
	import_as(sec, "withdrawals", csv, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(rejected_field(&r), "course_code");
	it_free(&r);

	/* A session in the past counts at once: only with a reason. */
	sessions = it_sql_long("SELECT count(*) FROM attendance.class_sessions "
	    "WHERE course_id = $1", k.course_id);
	snprintf(csv, sizeof(csv), "course_code,school_year,semester,date,"
	    "start,end,room,hours,method\n%s,%s,1,2026-09-07,08:00,09:40,%s,2,"
	    "roll_call\n", k.code, k.year, k.room);
	import_as(sec, "sessions", csv, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_int(&r, "created"), 0);
	assert_string_equal(rejected_field(&r), "reason");
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM "
	    "attendance.class_sessions WHERE course_id = $1", k.course_id),
	    sessions);
	snprintf(csv, sizeof(csv), "course_code,school_year,semester,date,"
	    "start,end,room,hours,method,reason\n%s,%s,1,2026-09-07,08:00,"
	    "09:40,%s,2,roll_call,make-up class held on paper\n", k.code,
	    k.year, k.room);
	import_as(sec, "sessions", csv, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_int(&r, "created"), 1);
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM "
	    "attendance.audit_log l JOIN attendance.class_sessions s ON "
	    "s.id = l.session_id WHERE s.course_id = $1 AND l.action = "
	    "'session.created' AND l.details->>'reason' = 'make-up class held "
	    "on paper' AND l.actor_id IS NOT NULL", k.course_id), 1);

	/* Withdrawal: the course has held a session (the one above), whose
	 * absences would leave the rates: only with a reason. */
	snprintf(csv, sizeof(csv), "course_code,school_year,semester,"
	    "student_id\n%s,%s,1,%s\n", k.code, k.year, own_id);
	import_as(sec, "withdrawals", csv, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(rejected_field(&r), "reason");
	it_free(&r);
	snprintf(csv, sizeof(csv), "course_code,school_year,semester,"
	    "student_id,reason\n%s,%s,1,%s,changed programme\n", k.code,
	    k.year, own_id);
	import_as(sec, "withdrawals", csv, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_int(&r, "withdrawn"), 1);
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM attendance."
	    "audit_log l JOIN auth.accounts a ON a.id = l.student_id "
	    "WHERE a.login = $1 AND l.details->>'reason' = "
	    "'changed programme'", own_id), 1);
	assert_int_equal(it_sql_long("SELECT count(*) FROM attendance."
	    "enrolments e JOIN auth.accounts a ON a.id = e.student_id "
	    "WHERE a.login = $1", own_id), 0);
	assert_int_equal(it_sql_long("SELECT count(*) FROM attendance."
	    "audit_log l JOIN auth.accounts a ON a.id = l.student_id "
	    "WHERE a.login = $1 AND l.action = 'enrolment.withdrawn'",
	    own_id), 1);
	import_as(sec, "withdrawals", csv, &r);
	assert_int_equal(json_int(&r, "withdrawn"), 0);
	assert_int_equal(json_int(&r, "unchanged"), 1);
	it_free(&r);
	/* A student cannot withdraw anyone. */
	import_as(own, "withdrawals", csv, &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);

	free(own);
	free(sec);
	att_free_class(&k);
}

/* The first item of a list answer with this id, or NULL. */
static cJSON *
item_with_id(struct it_resp *r, const char *id)
{
	cJSON	*item;

	cJSON_ArrayForEach(item, cJSON_GetObjectItem(r->json, "items")) {
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(item,
		    "id")), id) == 0)
			return (item);
	}
	return (NULL);
}

static void
test_teacher_sees_no_medical_data(void **state)
{
	struct klass	 k;
	struct it_resp	 r;
	char		 json[512], path[192], cert[40], leave[40], csv[512];
	char		 course[16], *f1, *counsellor, *io, *from, *to;
	cJSON		*item;
	static const char pdf[] = "%PDF-1.4\n% hospital certificate\n%%EOF\n";

	(void)state;
	att_new_class(&k, "2026-2027", 32, 1);
	counsellor = att_new_staff("counsellor", k.ids[0]);
	f1 = att_add_session(&k, "2027-04-05", "08:00", "09:40", "qr");
	att_move_session(f1, 2 * 24 * 60, 100);
	/* The student also takes a course T0001 does not teach. */
	it_unique(course, sizeof(course), "C");
	snprintf(csv, sizeof(csv), "code,school_year,semester,name_en,hours,"
	    "school\n%s,%s,1,Untaught,16,School of Computing\n", course,
	    k.year);
	att_import("courses", csv, 0);
	snprintf(csv, sizeof(csv), "course_code,school_year,semester,"
	    "student_id\n%s,%s,1,%s\n", course, k.year, k.ids[0]);
	att_import("enrolments", csv, 0);

	it_request("POST", ATT "/evidence", k.web[0], "application/pdf", pdf,
	    strlen(pdf), &r);
	assert_int_equal(r.status, 201);
	snprintf(cert, sizeof(cert), "%s", it_str(&r, "id"));
	it_free(&r);
	from = it_sql_text("SELECT to_char((now() + interval '1 day') AT TIME "
	    "ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", NULL);
	/* With a fraction of a second, as RFC 3339 and the API's answers
	 * allow. */
	to = it_sql_text("SELECT to_char((now() + interval '4 days') AT TIME "
	    "ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\".5Z\"')", NULL);
	snprintf(json, sizeof(json), "{\"kind\":\"sick\",\"reason\":"
	    "\"appendectomy\",\"from\":\"%s\",\"to\":\"%s\",\"certificate_id\":"
	    "\"%s\"}", from, to, cert);
	it_post(ATT "/leave", k.web[0], json, &r);
	assert_int_equal(r.status, 201);
	snprintf(leave, sizeof(leave), "%s", it_str(&r, "id"));
	it_free(&r);

	/* Pending: not the teacher's business. */
	snprintf(path, sizeof(path), ATT "/leave/%s", leave);
	it_get(path, teacher, &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
	snprintf(path, sizeof(path), ATT "/leave/%s/decision", leave);
	it_post(path, counsellor, "{\"decision\":\"approve\",\"comment\":"
	    "\"after surgery\"}", &r);
	assert_int_equal(r.status, 200);
	it_free(&r);

	/* Approved: the fact, without reason, certificate or comment. */
	snprintf(path, sizeof(path), ATT "/leave/%s", leave);
	it_get(path, teacher, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(it_str(&r, "status"), "approved");
	assert_string_equal(it_str(&r, "kind"), "sick");
	assert_null(cJSON_GetObjectItem(r.json, "reason"));
	assert_null(cJSON_GetObjectItem(r.json, "certificate_id"));
	assert_null(cJSON_GetObjectItem(r.json, "comment"));
	assert_null(strstr(r.body, "appendectomy"));
	it_free(&r);
	it_get(ATT "/leave?limit=200", teacher, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(item = item_with_id(&r, leave));
	assert_null(cJSON_GetObjectItem(item, "reason"));
	assert_null(strstr(r.body, "appendectomy"));
	it_free(&r);
	/* Other staff in scope see the fact too; the counsellor all. */
	io = it_login("IO0001", it_demo_password(), NULL);
	it_get(path, io, &r);
	assert_int_equal(r.status, 200);
	assert_null(cJSON_GetObjectItem(r.json, "reason"));
	it_free(&r);
	it_get(path, counsellor, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(it_str(&r, "reason"), "appendectomy");
	it_free(&r);

	/* The certificate: the student and the counsellor only. */
	snprintf(path, sizeof(path), ATT "/evidence/%s", cert);
	it_get(path, teacher, &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
	it_get(path, io, &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
	it_get(path, counsellor, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	it_get(path, k.web[0], &r);
	assert_int_equal(r.status, 200);
	it_free(&r);

	/* The audit trail: only the teacher's sessions' entries. */
	snprintf(path, sizeof(path), ATT "/audit?student=%s", k.ids[0]);
	it_get(path, teacher, &r);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, "leave.approved"));
	assert_null(strstr(r.body, "after surgery"));
	it_free(&r);
	it_get(path, io, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "leave.approved"));
	assert_null(strstr(r.body, "after surgery"));
	it_free(&r);

	/* Rates: the teacher's course only; the student sees both. */
	snprintf(path, sizeof(path), ATT "/rates?student=%s", k.ids[0]);
	it_get(path, teacher, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, k.code));
	assert_null(strstr(r.body, course));
	it_free(&r);
	it_get(ATT "/rates", k.web[0], &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, k.code));
	assert_non_null(strstr(r.body, course));
	it_free(&r);
	/* Nor the staff lists of students. */
	it_get(ATT "/rates/students?school_year=2026-2027&semester=1&limit=200",
	    teacher, &r);
	if (r.status == 200)
		assert_null(strstr(r.body, k.ids[0]));
	else
		it_assert_problem(&r, 403, "forbidden");
	it_free(&r);

	free(from);
	free(to);
	free(io);
	free(f1);
	free(counsellor);
	att_free_class(&k);
}

static void
test_reimports_keep_what_they_do_not_name(void **state)
{
	struct it_resp	 r;
	char		 csv[512], id[16], staff[16], json[512], course[16];
	char		*v;

	(void)state;
	/* A student with every column; re-imported with the required ones. */
	it_unique(id, sizeof(id), "R");
	snprintf(csv, sizeof(csv), "student_id,family_name,given_name,"
	    "chinese_name,school,degree,cohort,nationality,sex\n%s,KEEP,Ann,"
	    "安,School of Computing,master,2024,Kenya,female\n", id);
	it_request("POST", "/api/v1/auth/admin/students/import", admin,
	    "text/csv", csv, strlen(csv), &r);
	assert_int_equal(json_int(&r, "created"), 1);
	it_free(&r);
	snprintf(csv, sizeof(csv), "student_id,family_name,given_name,school,"
	    "degree,cohort\n%s,KEEP,Anne,School of Computing,master,2024\n",
	    id);
	it_request("POST", "/api/v1/auth/admin/students/import", admin,
	    "text/csv", csv, strlen(csv), &r);
	assert_int_equal(json_int(&r, "updated"), 1);
	it_free(&r);
	v = it_sql_text("SELECT concat_ws('|', given_name, chinese_name, "
	    "nationality, sex) FROM auth.accounts WHERE login = $1", id);
	assert_string_equal(v, "Anne|安|Kenya|female");
	free(v);
	v = it_sql_text("SELECT l.details->'before'->>'given_name' || '>' || "
	    "(l.details->'after'->>'given_name') || ' ' || "
	    "(l.details->'after' ? 'nationality')::text FROM auth.audit_log l "
	    "JOIN auth.accounts a ON a.id = l.target_id WHERE a.login = $1 "
	    "AND l.action = 'account.updated'", id);
	assert_string_equal(v, "Ann>Anne false");
	free(v);
	/* An empty cell in a column the file has clears the value. */
	snprintf(csv, sizeof(csv), "student_id,family_name,given_name,school,"
	    "degree,cohort,nationality\n%s,KEEP,Anne,School of Computing,"
	    "master,2024,\n", id);
	it_request("POST", "/api/v1/auth/admin/students/import", admin,
	    "text/csv", csv, strlen(csv), &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.accounts WHERE "
	    "login = $1 AND nationality IS NULL AND sex = 'female'", id), 1);

	/* A counsellor updated without "students" keeps them. */
	it_unique(staff, sizeof(staff), "K");
	snprintf(json, sizeof(json), "{\"staff_id\":\"%s\",\"family_name\":"
	    "\"COUNS\",\"given_name\":\"Ed\",\"school\":\"School of "
	    "Computing\",\"roles\":[\"counsellor\"],\"students\":[\"%s\"]}",
	    staff, id);
	it_post("/api/v1/auth/admin/staff", admin, json, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	snprintf(json, sizeof(json), "{\"staff_id\":\"%s\",\"family_name\":"
	    "\"COUNS\",\"given_name\":\"Edward\",\"roles\":[\"counsellor\"]}",
	    staff);
	it_post("/api/v1/auth/admin/staff", admin, json, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM auth.staff_scopes s "
	    "JOIN auth.accounts a ON a.id = s.staff_id WHERE a.login = $1 AND "
	    "s.scope = 'student' AND a.school = 'School of Computing'", staff),
	    1);
	v = it_sql_text("SELECT (l.details->'before'->>'given_name') || '>' || "
	    "(l.details->'after'->>'given_name') || ' ' || "
	    "(l.details->'after' ? 'students')::text FROM auth.audit_log l "
	    "JOIN auth.accounts a ON a.id = l.target_id WHERE a.login = $1 "
	    "AND l.action = 'staff.updated'", staff);
	assert_string_equal(v, "Ed>Edward false");
	free(v);

	/* A course re-imported without its teacher keeps the teacher. */
	it_unique(course, sizeof(course), "C");
	snprintf(csv, sizeof(csv), "code,school_year,semester,name_en,name_zh,"
	    "hours,teacher,school\n%s,2026-2027,1,Keep,保留,16,T0001,School of "
	    "Computing\n", course);
	att_import("courses", csv, 0);
	snprintf(csv, sizeof(csv), "code,school_year,semester,name_en,hours,"
	    "school\n%s,2026-2027,1,Kept,16,School of Computing\n", course);
	import_as(admin, "courses", csv, &r);
	assert_int_equal(json_int(&r, "updated"), 1);
	it_free(&r);
	v = it_sql_text("SELECT concat_ws('|', c.name_en, c.name_zh, a.login) "
	    "FROM attendance.courses c JOIN auth.accounts a ON a.id = "
	    "c.teacher_id WHERE c.code = $1", course);
	assert_string_equal(v, "Kept|保留|T0001");
	free(v);
	v = it_sql_text("SELECT (l.before->>'name_en') || '>' || "
	    "(l.after->>'name_en') FROM attendance.audit_log l WHERE "
	    "l.action = 'course.updated' AND l.after->>'code' = $1", course);
	assert_string_equal(v, "Keep>Kept");
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secretary_acts_in_their_school),
		cmocka_unit_test(test_teacher_sees_no_medical_data),
		cmocka_unit_test(test_reimports_keep_what_they_do_not_name),
	};

	return (cmocka_run_group_tests(tests, att_setup, att_teardown));
}
