/*
 * Timetable: the courses a caller may see, a course's sessions, the
 * imports of rooms, courses, enrolments and sessions (text/csv, per-row
 * report, idempotent), and the conversion policy.
 */
#include "routes.h"

static const char *const	managers[] = { "secretary", "io", "admin",
				    NULL };
static const char *const	admins[] = { "admin", NULL };
static const char *const	methods[] = { "qr", "roll_call",
				    "sign_in_sheet", NULL };

static const struct is_field	room_columns[] = {
	{ "code", IS_F_STRING, 1, 1, 20, "^[A-Za-z0-9-]+$", NULL },
	{ "name", IS_F_STRING, 1, 1, 80, NULL, NULL },
	{ "latitude", IS_F_STRING, 1, 1, 20, "^-?[0-9]{1,2}(\\.[0-9]+)?$",
	    NULL },
	{ "longitude", IS_F_STRING, 1, 1, 20, "^-?[0-9]{1,3}(\\.[0-9]+)?$",
	    NULL },
	{ "radius_m", IS_F_STRING, 1, 1, 4, "^[0-9]+$", NULL },
	IS_FIELDS_END
};

static const struct is_field	course_columns[] = {
	{ "code", IS_F_STRING, 1, 2, 20, "^[A-Za-z0-9-]+$", NULL },
	{ "school_year", IS_F_STRING, 1, 9, 9, ATT_YEAR_RE, NULL },
	{ "semester", IS_F_STRING, 1, 1, 1, ATT_SEMESTER_RE, NULL },
	{ "name_en", IS_F_STRING, 1, 1, 200, NULL, NULL },
	{ "name_zh", IS_F_STRING, 0, 0, 100, NULL, NULL },
	{ "hours", IS_F_STRING, 1, 1, 6, "^[0-9]{1,3}(\\.[0-9])?$", NULL },
	{ "teacher", IS_F_STRING, 0, 0, 20, "^[A-Za-z0-9]*$", NULL },
	{ "school", IS_F_STRING, 1, 1, 80, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field	enrolment_columns[] = {
	{ "course_code", IS_F_STRING, 1, 2, 20, "^[A-Za-z0-9-]+$", NULL },
	{ "school_year", IS_F_STRING, 1, 9, 9, ATT_YEAR_RE, NULL },
	{ "semester", IS_F_STRING, 1, 1, 1, ATT_SEMESTER_RE, NULL },
	{ "student_id", IS_F_STRING, 1, 4, 20, ATT_LOGIN_RE, NULL },
	IS_FIELDS_END
};

/* A withdrawal: an enrolment row, with a reason once the course has held
 * sessions. */
static const struct is_field	withdrawal_columns[] = {
	{ "course_code", IS_F_STRING, 1, 2, 20, "^[A-Za-z0-9-]+$", NULL },
	{ "school_year", IS_F_STRING, 1, 9, 9, ATT_YEAR_RE, NULL },
	{ "semester", IS_F_STRING, 1, 1, 1, ATT_SEMESTER_RE, NULL },
	{ "student_id", IS_F_STRING, 1, 4, 20, ATT_LOGIN_RE, NULL },
	{ "reason", IS_F_STRING, 0, 0, 200, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field	session_columns[] = {
	{ "course_code", IS_F_STRING, 1, 2, 20, "^[A-Za-z0-9-]+$", NULL },
	{ "school_year", IS_F_STRING, 1, 9, 9, ATT_YEAR_RE, NULL },
	{ "semester", IS_F_STRING, 1, 1, 1, ATT_SEMESTER_RE, NULL },
	{ "date", IS_F_STRING, 1, 10, 10, "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
	    NULL },
	{ "start", IS_F_STRING, 1, 5, 5, "^([01][0-9]|2[0-3]):[0-5][0-9]$",
	    NULL },
	{ "end", IS_F_STRING, 1, 5, 5, "^([01][0-9]|2[0-3]):[0-5][0-9]$",
	    NULL },
	{ "room", IS_F_STRING, 0, 0, 20, "^[A-Za-z0-9-]*$", NULL },
	{ "hours", IS_F_STRING, 1, 1, 4, "^[0-9]{1,2}(\\.[0-9])?$", NULL },
	{ "method", IS_F_STRING, 0, 0, 0, NULL, methods },
	{ "reason", IS_F_STRING, 0, 0, 200, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field	policy_spec[] = {
	{ "late_per_absence", IS_F_INT, 0, 1, 10, NULL, NULL },
	{ "early_per_absence", IS_F_INT, 0, 1, 10, NULL, NULL },
	{ "grace_minutes", IS_F_INT, 0, 0, 30, NULL, NULL },
	{ "open_before_minutes", IS_F_INT, 0, 0, 120, NULL, NULL },
	{ "max_accuracy_m", IS_F_INT, 0, 5, 1000, NULL, NULL },
	{ "warn_threshold", IS_F_NUMBER, 0, 0, 100, NULL, NULL },
	{ "warn_margin", IS_F_NUMBER, 0, 0, 50, NULL, NULL },
	{ "timezone", IS_F_STRING, 0, 1, 64, "^[A-Za-z0-9_+/-]+$", NULL },
	IS_FIELDS_END
};

/* A timetable import: the CSV's valid rows to attendance.import_<kind>. */
#define IMPORT(kind, columns) {						\
	.name = "import_" kind, .route = ATT_PREFIX "import/" kind,	\
	.method = HTTP_METHOD_POST, .roles = managers, .csv = columns,	\
	.sql = "SELECT attendance.import_" kind "($1::uuid, $2::text[], " \
	    "$3::jsonb, $4, $5)",					\
	.args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_CSV_ROWS,		\
	    IS_ARG_REQUEST_ID, IS_ARG_CLIENT },				\
	.reply = is_csv_reply }

const struct is_endpoint	att_timetable_endpoints[] = {
	{ .name = "courses", .route = ATT_PREFIX "courses",
	  .method = HTTP_METHOD_GET, .query = att_page_query,
	  .sql = "SELECT attendance.courses_list($1::uuid, $2::text[], $3, "
	      "$4::int, $5::int, $6::int)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_FIELD("school_year"),
	      IS_ARG_FIELD("semester"), IS_ARG_LIMIT, IS_ARG_OFFSET } },
	{ .name = "course_sessions",
	  .route = "^" ATT_PREFIX "courses/[^/]+/sessions$",
	  .method = HTTP_METHOD_GET, .path_prefix = ATT_PREFIX "courses/",
	  .sql = "SELECT attendance.course_sessions($1::uuid, $2::text[], "
	      "$3::uuid)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_PATH_ID } },
	IMPORT("rooms", room_columns),
	IMPORT("courses", course_columns),
	IMPORT("enrolments", enrolment_columns),
	IMPORT("withdrawals", withdrawal_columns),
	IMPORT("sessions", session_columns),
	{ .name = "policy_get", .route = ATT_PREFIX "policy",
	  .method = HTTP_METHOD_GET,
	  .sql = "SELECT attendance.policy_json()" },
	{ .name = "policy_set", .route = ATT_PREFIX "policy",
	  .method = HTTP_METHOD_PUT, .roles = admins, .body = policy_spec,
	  .sql = "SELECT attendance.policy_set($1::uuid, $2::text[], "
	      "$3::jsonb, $4, $5)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_BODY,
	      IS_ARG_REQUEST_ID, IS_ARG_CLIENT } },
	IS_ENDPOINTS_END
};
