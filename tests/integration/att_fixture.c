/*
 * The attendance test fixture (att_fixture.h).
 */
#include <curl/curl.h>

#include "att_fixture.h"
#include "iscommon/config.h"
#include "iscommon/crypto.h"

char	*admin;
char	*teacher;

void
att_import(const char *kind, const char *csv, int expect_rejected)
{
	struct it_resp	r;
	char		path[96];

	snprintf(path, sizeof(path), ATT "/import/%s", kind);
	it_request("POST", path, admin, "text/csv", csv, strlen(csv), &r);
	if (r.status != 200 || cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "rejected")) != expect_rejected)
		print_error("import %s: %ld %s\n", kind, r.status, r.body);
	assert_int_equal(r.status, 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "rejected")), expect_rejected);
	it_free(&r);
}

/* A new staff member with one role (and, for counsellors, one student). */
char *
att_new_staff(const char *role, const char *student)
{
	char		 id[16], json[512], *tok;

	it_unique(id, sizeof(id), "K");
	snprintf(json, sizeof(json), "{\"staff_id\":\"%s\",\"family_name\":"
	    "\"STAFF\",\"given_name\":\"Test\",\"school\":\"School of "
	    "Computing\",\"roles\":[\"%s\"]%s%s%s}", id, role,
	    student ? ",\"students\":[\"" : "", student ? student : "",
	    student ? "\"]" : "");
	tok = it_new_staff(admin, json, id, PASSWORD);
	assert_non_null(tok);
	return (tok);
}

/*
 * A course of `hours` taught by T0001 in a new room, with n new students
 * enrolled, in school year `year` semester 1.
 */
void
att_new_class(struct klass *k, const char *year, int hours, int n)
{
	char	csv[2048];
	int	i, off;

	memset(k, 0, sizeof(*k));
	it_unique(k->code, sizeof(k->code), "C");
	it_unique(k->room, sizeof(k->room), "R");
	snprintf(k->year, sizeof(k->year), "%s", year);
	snprintf(csv, sizeof(csv), "code,name,latitude,longitude,radius_m\n"
	    "%s,Room %s,%.4f,%.4f,60\n", k->room, k->room, ROOM_LAT, ROOM_LON);
	att_import("rooms", csv, 0);
	snprintf(csv, sizeof(csv), "code,school_year,semester,name_en,name_zh,"
	    "hours,teacher,school\n%s,%s,1,Course %s,课程,%d,T0001,School of "
	    "Computing\n", k->code, year, k->code, hours);
	att_import("courses", csv, 0);
	off = snprintf(csv, sizeof(csv), "course_code,school_year,semester,"
	    "student_id\n");
	for (i = 0; i < n; i++) {
		k->web[i] = it_new_student(k->ids[i], sizeof(k->ids[i]),
		    PASSWORD);
		assert_non_null(k->web[i]);
		off += snprintf(csv + off, sizeof(csv) - off, "%s,%s,1,%s\n",
		    k->code, year, k->ids[i]);
	}
	att_import("enrolments", csv, 0);
	{
		char *id = it_sql_text("SELECT id FROM attendance.courses "
		    "WHERE code = $1", k->code);
		snprintf(k->course_id, sizeof(k->course_id), "%s", id);
		free(id);
	}
}

void
att_free_class(struct klass *k)
{
	int	i;

	for (i = 0; i < NSTUDENTS; i++)
		free(k->web[i]);
}

/* Adds a session on date at hh:mm (2 h) and returns its id. */
char *
att_add_session(struct klass *k, const char *date, const char *start,
    const char *end, const char *method)
{
	char	csv[512], sql[256];

	/* Sessions in the past need a reason; the fixture gives one. */
	snprintf(csv, sizeof(csv), "course_code,school_year,semester,date,"
	    "start,end,room,hours,method,reason\n%s,%s,1,%s,%s,%s,%s,2,%s,"
	    "test timetable\n", k->code, k->year, date, start, end, k->room,
	    method);
	att_import("sessions", csv, 0);
	snprintf(sql, sizeof(sql), "SELECT s.id FROM attendance.class_sessions "
	    "s JOIN attendance.courses c ON c.id = s.course_id WHERE c.code = "
	    "$1 AND s.starts_at = ('%s'::date + '%s'::time) AT TIME ZONE "
	    "'Asia/Shanghai'", date, start);
	return (it_sql_text(sql, k->code));
}

/* Moves a session so that it starts `start_min` minutes from now. */
void
att_move_session(const char *id, int start_min, int length_min)
{
	char	sql[256];

	snprintf(sql, sizeof(sql), "WITH u AS (UPDATE attendance.class_sessions"
	    " SET starts_at = now() + interval '%d min', ends_at = now() + "
	    "interval '%d min' WHERE id = $1 RETURNING 1) SELECT count(*) "
	    "FROM u", start_min, start_min + length_min);
	assert_int_equal(it_sql_long(sql, id), 1);
}

void
att_scan(const char *tok, const char *code, double lat, double lon,
    double acc, struct it_resp *r)
{
	char	json[512];

	snprintf(json, sizeof(json), "{\"code\":\"%s\",\"latitude\":%.6f,"
	    "\"longitude\":%.6f,\"accuracy\":%.1f}", code, lat, lon, acc);
	it_post(ATT "/checkin", tok, json, r);
}

const char *
att_record_status(struct it_resp *r)
{
	return (cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    r->json, "record"), "status")));
}

long
att_records_of(const char *session)
{
	return (it_sql_long("SELECT count(*) FROM attendance.records "
	    "WHERE session_id = $1", session));
}

/* A correctly signed code for another time window of the session. */
void
att_signed_code(const char *session, long window, char *out, size_t len)
{
	char	msg[128], mac[65];

	snprintf(msg, sizeof(msg), "ISA1.%s.%ld", session, window);
	is_hmac_hex(is_config_get("attendance.qr_secret", ""), msg, mac);
	snprintf(out, len, "%s.%.32s", msg, mac);
}

/* Opens check-in of session as T0001; returns the code on the screen. */
char *
att_open_checkin(const char *session)
{
	struct it_resp	 r;
	char		 path[160], *code = NULL;

	snprintf(path, sizeof(path), ATT "/sessions/%s/open", session);
	it_post(path, teacher, NULL, &r);
	assert_int_equal(r.status, 200);
	code = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(r.json, "qr"), "payload")));
	it_free(&r);
	return (code);
}

int
att_setup(void **state)
{
	(void)state;
	it_init();
	admin = it_admin_token();
	teacher = it_login("T0001", it_demo_password(), NULL);
	return (admin && teacher ? 0 : -1);
}

int
att_teardown(void **state)
{
	(void)state;
	free(admin);
	free(teacher);
	return (0);
}

