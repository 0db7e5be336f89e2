/*
 * Attendance endpoints. Almost every endpoint is one SQL function taking
 * the caller (account id and roles from the verified token) and the
 * request's validated values: a table row (struct att_call) describes it
 * and att_run() does the rest. Check-in, uploads, imports, QR codes and
 * the CSV report add their own steps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <csv.h>

#include "iskore.h"
#include "attendance.h"
#include "iscommon/crypto.h"
#include "iscommon/strutil.h"

#define PREFIX		"/api/v1/attendance/"
#define IMPORT_MAX	(2 * 1024 * 1024)

struct att_call {
	const char		*sql;
	const char *const	*roles;		/* NULL: any signed-in caller */
	const struct is_field	*body;		/* JSON body, or NULL */
	const struct is_field	*query;		/* query string, or NULL */
	/* Appends the call's own parameters after $1 caller, $2 roles. */
	int			(*args)(struct http_request *, struct is_ctx *,
				    const char **, int *);
	int			(*reply)(struct http_request *, struct is_ctx *);
	int			 ok;
};

int	att_courses(struct http_request *);
int	att_course_sessions(struct http_request *);
int	att_import(struct http_request *);
int	att_session_open(struct http_request *);
int	att_session_qr(struct http_request *);
int	att_session_close(struct http_request *);
int	att_session_live(struct http_request *);
int	att_session_records(struct http_request *);
int	att_checkin(struct http_request *);
int	att_correct(struct http_request *);
int	att_audit(struct http_request *);
int	att_evidence_upload(struct http_request *);
int	att_evidence_get(struct http_request *);
int	att_leave_apply(struct http_request *);
int	att_leave_list(struct http_request *);
int	att_leave_get(struct http_request *);
int	att_leave_decide(struct http_request *);
int	att_rates(struct http_request *);
int	att_rates_students(struct http_request *);
int	att_report_monthly(struct http_request *);
int	att_warnings(struct http_request *);
int	att_warnings_send(struct http_request *);
int	att_policy(struct http_request *);

static const char *const students[] = { "student", NULL };
static const char *const staff[] = { "teacher", "counsellor", "secretary",
    "io", "finance", "leader", "admin", NULL };
static const char *const teachers[] = { "teacher", "admin", NULL };
static const char *const correctors[] = { "teacher", "counsellor", "admin",
    NULL };
static const char *const deciders[] = { "counsellor", "admin", NULL };
static const char *const managers[] = { "secretary", "io", "admin", NULL };
static const char *const reporters[] = { "finance", "io", "leader", "admin",
    NULL };
static const char *const warners[] = { "counsellor", "secretary", "io",
    "admin", NULL };
static const char *const admins[] = { "admin", NULL };

static const char *const record_statuses[] = { "present", "late",
    "left_early", "personal_leave", "sick_leave", "absent", NULL };
static const char *const bulk_statuses[] = { "present", "late",
    "left_early", "absent", NULL };
static const char *const leave_kinds[] = { "personal", "sick", NULL };
static const char *const leave_statuses[] = { "pending", "approved",
    "rejected", "withdrawn", NULL };
static const char *const decisions[] = { "approve", "reject", NULL };
static const char *const formats[] = { "json", "csv", NULL };
static const char *const qr_formats[] = { "json", "svg", NULL };

#define YEAR_RE		"^[0-9]{4}-[0-9]{4}$"
#define SEMESTER_RE	"^[12]$"
#define LOGIN_RE	"^[A-Za-z0-9]{4,20}$"
#define UUID_RE		"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-" \
			"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
#define TIME_RE		"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}" \
			"(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})$"

static const struct is_field page_query[] = {
	{ "school_year", IS_F_STRING, 0, 9, 9, YEAR_RE, NULL },
	{ "semester", IS_F_STRING, 0, 1, 1, SEMESTER_RE, NULL },
	{ "limit", IS_F_STRING, 0, 1, 3, "^[1-9][0-9]{0,2}$", NULL },
	{ "offset", IS_F_STRING, 0, 1, 7, "^[0-9]+$", NULL },
	IS_FIELDS_END
};

static const struct is_field semester_page_query[] = {
	{ "school_year", IS_F_STRING, 1, 9, 9, YEAR_RE, NULL },
	{ "semester", IS_F_STRING, 1, 1, 1, SEMESTER_RE, NULL },
	{ "limit", IS_F_STRING, 0, 1, 3, "^[1-9][0-9]{0,2}$", NULL },
	{ "offset", IS_F_STRING, 0, 1, 7, "^[0-9]+$", NULL },
	IS_FIELDS_END
};

static const struct is_field rates_query[] = {
	{ "student", IS_F_STRING, 0, 4, 20, LOGIN_RE, NULL },
	{ "school_year", IS_F_STRING, 0, 9, 9, YEAR_RE, NULL },
	{ "semester", IS_F_STRING, 0, 1, 1, SEMESTER_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field audit_query[] = {
	{ "student", IS_F_STRING, 1, 4, 20, LOGIN_RE, NULL },
	{ "limit", IS_F_STRING, 0, 1, 3, "^[1-9][0-9]{0,2}$", NULL },
	{ "offset", IS_F_STRING, 0, 1, 7, "^[0-9]+$", NULL },
	IS_FIELDS_END
};

static const struct is_field leave_query[] = {
	{ "status", IS_F_STRING, 0, 0, 0, NULL, leave_statuses },
	{ "limit", IS_F_STRING, 0, 1, 3, "^[1-9][0-9]{0,2}$", NULL },
	{ "offset", IS_F_STRING, 0, 1, 7, "^[0-9]+$", NULL },
	IS_FIELDS_END
};

static const struct is_field report_query[] = {
	{ "month", IS_F_STRING, 0, 7, 7, "^[0-9]{4}-(0[1-9]|1[0-2])$", NULL },
	{ "format", IS_F_STRING, 0, 0, 0, NULL, formats },
	IS_FIELDS_END
};

static const struct is_field qr_query[] = {
	{ "format", IS_F_STRING, 0, 0, 0, NULL, qr_formats },
	IS_FIELDS_END
};

static const struct is_field no_query[] = { IS_FIELDS_END };

static const struct is_field checkin_spec[] = {
	{ "code", IS_F_STRING, 1, 10, ATT_QR_MAX, NULL, NULL },
	{ "latitude", IS_F_NUMBER, 1, -90, 90, NULL, NULL },
	{ "longitude", IS_F_NUMBER, 1, -180, 180, NULL, NULL },
	{ "accuracy", IS_F_NUMBER, 1, 0, 100000, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field bulk_spec[] = {
	{ "records", IS_F_ARRAY, 1, 1, 500, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field bulk_entry[] = {
	{ "student", IS_F_STRING, 1, 4, 20, LOGIN_RE, NULL },
	{ "status", IS_F_STRING, 1, 0, 0, NULL, bulk_statuses },
	IS_FIELDS_END
};

static const struct is_field correct_spec[] = {
	{ "session_id", IS_F_STRING, 1, 36, 36, UUID_RE, NULL },
	{ "student", IS_F_STRING, 1, 4, 20, LOGIN_RE, NULL },
	{ "status", IS_F_STRING, 1, 0, 0, NULL, record_statuses },
	{ "reason", IS_F_STRING, 1, 2, 1000, NULL, NULL },
	{ "evidence_id", IS_F_STRING, 0, 36, 36, UUID_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field leave_spec[] = {
	{ "kind", IS_F_STRING, 1, 0, 0, NULL, leave_kinds },
	{ "reason", IS_F_STRING, 1, 2, 1000, NULL, NULL },
	{ "from", IS_F_STRING, 1, 16, 32, TIME_RE, NULL },
	{ "to", IS_F_STRING, 1, 16, 32, TIME_RE, NULL },
	{ "certificate_id", IS_F_STRING, 0, 36, 36, UUID_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field decision_spec[] = {
	{ "decision", IS_F_STRING, 1, 0, 0, NULL, decisions },
	{ "comment", IS_F_STRING, 0, 0, 1000, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field warnings_spec[] = {
	{ "school_year", IS_F_STRING, 1, 9, 9, YEAR_RE, NULL },
	{ "semester", IS_F_INT, 1, 1, 2, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field policy_spec[] = {
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

/* CSV columns of the timetable imports. */
static const struct is_field room_columns[] = {
	{ "code", IS_F_STRING, 1, 1, 20, "^[A-Za-z0-9-]+$", NULL },
	{ "name", IS_F_STRING, 1, 1, 80, NULL, NULL },
	{ "latitude", IS_F_STRING, 1, 1, 20, "^-?[0-9]{1,2}(\\.[0-9]+)?$", NULL },
	{ "longitude", IS_F_STRING, 1, 1, 20, "^-?[0-9]{1,3}(\\.[0-9]+)?$",
	    NULL },
	{ "radius_m", IS_F_STRING, 1, 1, 4, "^[0-9]+$", NULL },
	IS_FIELDS_END
};

static const struct is_field course_columns[] = {
	{ "code", IS_F_STRING, 1, 2, 20, "^[A-Za-z0-9-]+$", NULL },
	{ "school_year", IS_F_STRING, 1, 9, 9, YEAR_RE, NULL },
	{ "semester", IS_F_STRING, 1, 1, 1, SEMESTER_RE, NULL },
	{ "name_en", IS_F_STRING, 1, 1, 200, NULL, NULL },
	{ "name_zh", IS_F_STRING, 0, 0, 100, NULL, NULL },
	{ "hours", IS_F_STRING, 1, 1, 6, "^[0-9]{1,3}(\\.[0-9])?$", NULL },
	{ "teacher", IS_F_STRING, 0, 0, 20, "^[A-Za-z0-9]*$", NULL },
	{ "school", IS_F_STRING, 1, 1, 80, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field enrolment_columns[] = {
	{ "course_code", IS_F_STRING, 1, 2, 20, "^[A-Za-z0-9-]+$", NULL },
	{ "school_year", IS_F_STRING, 1, 9, 9, YEAR_RE, NULL },
	{ "semester", IS_F_STRING, 1, 1, 1, SEMESTER_RE, NULL },
	{ "student_id", IS_F_STRING, 1, 4, 20, LOGIN_RE, NULL },
	IS_FIELDS_END
};

static const char *const methods[] = { "qr", "roll_call", "sign_in_sheet",
    NULL };

static const struct is_field session_columns[] = {
	{ "course_code", IS_F_STRING, 1, 2, 20, "^[A-Za-z0-9-]+$", NULL },
	{ "school_year", IS_F_STRING, 1, 9, 9, YEAR_RE, NULL },
	{ "semester", IS_F_STRING, 1, 1, 1, SEMESTER_RE, NULL },
	{ "date", IS_F_STRING, 1, 10, 10, "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", NULL },
	{ "start", IS_F_STRING, 1, 5, 5, "^([01][0-9]|2[0-3]):[0-5][0-9]$",
	    NULL },
	{ "end", IS_F_STRING, 1, 5, 5, "^([01][0-9]|2[0-3]):[0-5][0-9]$", NULL },
	{ "room", IS_F_STRING, 0, 0, 20, "^[A-Za-z0-9-]*$", NULL },
	{ "hours", IS_F_STRING, 1, 1, 4, "^[0-9]{1,2}(\\.[0-9])?$", NULL },
	{ "method", IS_F_STRING, 0, 0, 0, NULL, methods },
	IS_FIELDS_END
};

/* ------------------------------------------------------------------ */

static char *
keep_num(struct is_ctx *c, long n)
{
	char	buf[32];

	snprintf(buf, sizeof(buf), "%ld", n);
	return (is_ctx_keep(c, buf));
}

/* The caller's roles as a PostgreSQL array literal (names are [a-z]). */
static const char *
roles_literal(struct is_ctx *c)
{
	char	buf[IS_JWT_MAX_ROLES * 26 + 4];
	size_t	off = 0;
	int	i;

	buf[off++] = '{';
	for (i = 0; i < c->claims.nroles; i++) {
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
		    i ? "," : "", c->claims.roles[i]);
	}
	snprintf(buf + off, sizeof(buf) - off, "}");
	return (is_ctx_keep(c, buf));
}

/* The id after prefix in the path; answers 404 unless it is a UUID. */
static const char *
path_id(struct http_request *req, struct is_ctx *c, const char *prefix)
{
	char	id[40];

	if (is_path_tail(req, prefix, id, sizeof(id)) == -1 ||
	    !att_is_uuid(id)) {
		is_reply_problem(req, "not-found", NULL);
		return (NULL);
	}
	return (is_ctx_keep(c, id));
}

static int
run_phase0(struct http_request *req, struct is_ctx *c,
    const struct att_call *call)
{
	const char	*params[IS_DB_MAX_PARAMS];
	int		 n = 2;

	if (is_enter(req, c, 0, call->roles, call->body) == -1)
		return (-1);
	if (call->body == NULL && is_read_query(req, c,
	    call->query ? call->query : no_query) == -1)
		return (-1);
	params[0] = c->claims.sub;
	params[1] = roles_literal(c);
	if (call->args != NULL && call->args(req, c, params, &n) == -1)
		return (-1);
	is_db_begin(req, c, call->sql, n, params);
	return (0);
}

static int
att_run(struct http_request *req, const struct att_call *call)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (c->phase == 0) {
		if (run_phase0(req, c, call) == -1)
			return (KORE_RESULT_OK);
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	if (call->reply != NULL)
		return (call->reply(req, c));
	return (is_db_reply(req, c, call->ok ? call->ok : 200));
}

/* Appends named values of c->body (query or JSON) as parameters. */
static void
add_values(struct is_ctx *c, const char **params, int *n,
    const char *const *names)
{
	const cJSON	*item;

	for (; *names != NULL; names++) {
		item = cJSON_GetObjectItemCaseSensitive(c->body, *names);
		if (cJSON_IsString(item))
			params[(*n)++] = item->valuestring;
		else if (cJSON_IsNumber(item))
			params[(*n)++] = keep_num(c, (long)item->valuedouble);
		else
			params[(*n)++] = NULL;
	}
}

static void
add_page(struct is_ctx *c, const char **params, int *n)
{
	const char	*limit = is_json_str(c->body, "limit");
	const char	*offset = is_json_str(c->body, "offset");

	params[(*n)++] = limit ? limit : "50";
	params[(*n)++] = offset ? offset : "0";
	if (atol(params[*n - 2]) > 200)
		params[*n - 2] = "200";
}

static void
add_trace(struct http_request *req, struct is_ctx *c, const char **params,
    int *n)
{
	params[(*n)++] = c->request_id;
	params[(*n)++] = is_client_type(req);
}

/* ------------------------------------------------------------------ */
/* Courses and sessions */

static int
args_page(struct http_request *req, struct is_ctx *c, const char **p, int *n)
{
	(void)req;
	add_values(c, p, n, (const char *[]){ "school_year", "semester", NULL });
	add_page(c, p, n);
	return (0);
}

static const struct att_call courses_call = {
	"SELECT attendance.courses_list($1::uuid, $2::text[], $3, $4::int, "
	"$5::int, $6::int)", NULL, NULL, page_query, args_page, NULL, 0
};

int
att_courses(struct http_request *req)
{
	return (att_run(req, &courses_call));
}

static int
args_course_id(struct http_request *req, struct is_ctx *c, const char **p,
    int *n)
{
	if ((p[*n] = path_id(req, c, PREFIX "courses/")) == NULL)
		return (-1);
	(*n)++;
	return (0);
}

static const struct att_call course_sessions_call = {
	"SELECT attendance.course_sessions($1::uuid, $2::text[], $3::uuid)",
	NULL, NULL, NULL, args_course_id, NULL, 0
};

int
att_course_sessions(struct http_request *req)
{
	return (att_run(req, &course_sessions_call));
}

static int
args_session_id(struct http_request *req, struct is_ctx *c, const char **p,
    int *n)
{
	if ((p[*n] = path_id(req, c, PREFIX "sessions/")) == NULL)
		return (-1);
	(*n)++;
	return (0);
}

static int
args_session_trace(struct http_request *req, struct is_ctx *c,
    const char **p, int *n)
{
	if (args_session_id(req, c, p, n) == -1)
		return (-1);
	add_trace(req, c, p, n);
	return (0);
}

/* Adds the current QR code to a session document. */
static cJSON *
qr_object(const char *session_id, int svg)
{
	cJSON	*qr;
	char	 payload[ATT_QR_MAX], *image;
	time_t	 now = time(NULL);
	long	 window = att_qr_window(now, att_conf.qr_rotate_seconds);

	if (att_qr_make(att_conf.qr_secret, session_id, window, payload,
	    sizeof(payload)) == -1)
		return (NULL);
	qr = cJSON_CreateObject();
	cJSON_AddStringToObject(qr, "payload", payload);
	cJSON_AddNumberToObject(qr, "rotate_seconds",
	    att_conf.qr_rotate_seconds);
	cJSON_AddNumberToObject(qr, "refresh_in", (double)((window + 1) *
	    att_conf.qr_rotate_seconds - now));
	if (svg && (image = att_qr_svg(payload)) != NULL) {
		cJSON_AddStringToObject(qr, "svg", image);
		free(image);
	}
	return (qr);
}

static int
reply_with_qr(struct http_request *req, struct is_ctx *c)
{
	cJSON		*doc, *qr;
	const char	*fmt;

	if ((doc = is_db_result(req, c)) == NULL)
		return (KORE_RESULT_OK);
	if ((qr = qr_object(is_json_str(doc, "id"), 0)) == NULL) {
		cJSON_Delete(doc);
		return (is_reply_problem(req, "internal", NULL));
	}
	fmt = is_json_str(c->body, "format");
	if (fmt != NULL && strcmp(fmt, "svg") == 0) {
		const char	*payload = is_json_str(qr, "payload");
		char		*svg = att_qr_svg(payload);
		int		 rc;

		cJSON_Delete(doc);
		cJSON_Delete(qr);
		if (svg == NULL)
			return (is_reply_problem(req, "internal", NULL));
		http_response_header(req, "cache-control", "no-store");
		rc = is_reply_text(req, 200, "image/svg+xml", svg, strlen(svg));
		free(svg);
		return (rc);
	}
	cJSON_AddItemToObject(doc, "qr", qr);
	http_response_header(req, "cache-control", "no-store");
	return (is_reply_obj(req, 200, doc));
}

static const struct att_call open_call = {
	"SELECT attendance.session_open($1::uuid, $2::text[], $3::uuid, $4, $5)",
	teachers, NULL, NULL, args_session_trace, reply_with_qr, 0
};

static const struct att_call qr_call = {
	"SELECT attendance.session_qr($1::uuid, $2::text[], $3::uuid)",
	teachers, NULL, qr_query, args_session_id, reply_with_qr, 0
};

static const struct att_call close_call = {
	"SELECT attendance.session_close($1::uuid, $2::text[], $3::uuid, $4, "
	"$5)", teachers, NULL, NULL, args_session_trace, NULL, 0
};

static const struct att_call live_call = {
	"SELECT attendance.session_live($1::uuid, $2::text[], $3::uuid)",
	staff, NULL, NULL, args_session_id, NULL, 0
};

int
att_session_open(struct http_request *req)
{
	return (att_run(req, &open_call));
}

int
att_session_qr(struct http_request *req)
{
	return (att_run(req, &qr_call));
}

int
att_session_close(struct http_request *req)
{
	return (att_run(req, &close_call));
}

int
att_session_live(struct http_request *req)
{
	return (att_run(req, &live_call));
}

static int
args_bulk(struct http_request *req, struct is_ctx *c, const char **p, int *n)
{
	const cJSON	*entry;
	cJSON		*errors;
	char		*json;

	errors = cJSON_CreateArray();
	cJSON_ArrayForEach(entry, cJSON_GetObjectItem(c->body, "records")) {
		if (!cJSON_IsObject(entry) ||
		    is_validate_object(entry, bulk_entry, errors) != 0)
			break;
	}
	if (entry != NULL) {
		is_reply_problem_errors(req, "validation",
		    "each record is {student, status}", errors);
		return (-1);
	}
	cJSON_Delete(errors);
	if (args_session_id(req, c, p, n) == -1)
		return (-1);
	json = cJSON_PrintUnformatted(cJSON_GetObjectItem(c->body, "records"));
	p[(*n)++] = is_ctx_keep(c, json);
	cJSON_free(json);
	add_trace(req, c, p, n);
	return (0);
}

static const struct att_call bulk_call = {
	"SELECT attendance.session_record_bulk($1::uuid, $2::text[], $3::uuid, "
	"$4::jsonb, $5, $6)", teachers, bulk_spec, NULL, args_bulk, NULL, 0
};

int
att_session_records(struct http_request *req)
{
	return (att_run(req, &bulk_call));
}

/* ------------------------------------------------------------------ */
/* Timetable import */

int
att_import(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	const struct is_field	*columns;
	const char		*fn;
	char			 kind[16], sql[128], *rows;

	if (c->phase == 0) {
		if (is_enter(req, c, 0, managers, NULL) == -1)
			return (KORE_RESULT_OK);
		if (is_path_tail(req, PREFIX "import/", kind,
		    sizeof(kind)) == -1)
			return (is_reply_problem(req, "not-found", NULL));
		if (strcmp(kind, "rooms") == 0) {
			columns = room_columns;
			fn = "import_rooms";
		} else if (strcmp(kind, "courses") == 0) {
			columns = course_columns;
			fn = "import_courses";
		} else if (strcmp(kind, "enrolments") == 0) {
			columns = enrolment_columns;
			fn = "import_enrolments";
		} else if (strcmp(kind, "sessions") == 0) {
			columns = session_columns;
			fn = "import_sessions";
		} else
			return (is_reply_problem(req, "not-found", NULL));
		if (is_read_csv(req, c, columns, IMPORT_MAX) == -1)
			return (KORE_RESULT_OK);
		/* fn is one of four constants above, never input. */
		snprintf(sql, sizeof(sql), "SELECT attendance.%s($1::uuid, "
		    "$2::text[], $3::jsonb, $4, $5)", fn);
		rows = is_csv_rows_json(c);
		is_db_begin(req, c, is_ctx_keep(c, sql), 5, (const char *[]){
		    c->claims.sub, roles_literal(c), rows, c->request_id,
		    is_client_type(req) });
		cJSON_free(rows);
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	return (is_csv_reply(req, c));
}

/* ------------------------------------------------------------------ */
/* QR check-in: the hot path at the start of every class. */

/*
 * Scans wait for the next batch (attendance.checkin_batch), which inserts
 * every one that passes all checks; a scan it did not insert is asked of
 * attendance.checkin alone, which answers the repeat or says what failed.
 */
static const char *const sql_checkin =
    "SELECT attendance.checkin($1::uuid, $2::uuid, $3::text[], $4, "
    "$5::float8, $6::float8, $7::float8)";

static char *
keep_coord(struct is_ctx *c, const char *name)
{
	char	buf[48];

	snprintf(buf, sizeof(buf), "%.7f",
	    cJSON_GetObjectItem(c->body, name)->valuedouble);
	return (is_ctx_keep(c, buf));
}

static cJSON *
checkin_item(struct is_ctx *c, const char *session)
{
	cJSON	*item, *roles;
	int	 i;

	item = cJSON_CreateObject();
	cJSON_AddStringToObject(item, "session", session);
	cJSON_AddStringToObject(item, "student", c->claims.sub);
	roles = cJSON_AddArrayToObject(item, "roles");
	for (i = 0; i < c->claims.nroles; i++)
		cJSON_AddItemToArray(roles,
		    cJSON_CreateString(c->claims.roles[i]));
	cJSON_AddStringToObject(item, "wx", c->claims.wx);
	cJSON_AddNumberToObject(item, "lat",
	    cJSON_GetObjectItem(c->body, "latitude")->valuedouble);
	cJSON_AddNumberToObject(item, "lon",
	    cJSON_GetObjectItem(c->body, "longitude")->valuedouble);
	cJSON_AddNumberToObject(item, "acc",
	    cJSON_GetObjectItem(c->body, "accuracy")->valuedouble);
	return (item);
}

int
att_checkin(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	char		 session[37];
	int		 rc;

	if (c->phase == 0) {
		if (is_enter(req, c, 0, students, checkin_spec) == -1)
			return (KORE_RESULT_OK);
		if (strcmp(c->claims.client, "miniprogram") != 0 ||
		    c->claims.wx[0] == '\0')
			return (is_reply_problem(req, "wechat-login-required",
			    "Open the mini-program, log in with your bound "
			    "WeChat and scan the class code again"));
		rc = att_qr_verify(att_conf.qr_secret,
		    is_json_str(c->body, "code"), time(NULL),
		    att_conf.qr_rotate_seconds, att_conf.qr_accept_windows,
		    session);
		if (rc == ATT_QR_EXPIRED)
			return (is_reply_problem(req, "qr-expired", NULL));
		if (rc != ATT_QR_OK)
			return (is_reply_problem(req, "qr-invalid", NULL));
		is_batch_submit(att_checkin_batch, req, c,
		    checkin_item(c, session));
		c->phase = 1;
	}
	if (c->phase == 1) {
		if (is_batch_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		if (c->db_state == IS_DONE && c->db_value != NULL)
			return (is_db_reply(req, c, 200));
		/* Not inserted (or the batch failed): this scan alone. */
		is_db_begin(req, c, sql_checkin, 7, (const char *[]){
		    is_json_str(c->batch_item, "session"), c->claims.sub,
		    roles_literal(c),
		    c->claims.wx, keep_coord(c, "latitude"),
		    keep_coord(c, "longitude"), keep_coord(c, "accuracy") });
		c->phase = 2;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	return (is_db_reply(req, c, 200));
}

/* ------------------------------------------------------------------ */
/* Corrections and the audit trail */

static int
args_correct(struct http_request *req, struct is_ctx *c, const char **p,
    int *n)
{
	add_values(c, p, n, (const char *[]){ "session_id", "student",
	    "status", "reason", "evidence_id", NULL });
	add_trace(req, c, p, n);
	return (0);
}

static const struct att_call correct_call = {
	"SELECT attendance.record_correct($1::uuid, $2::text[], $3::uuid, $4, "
	"$5, $6, $7::uuid, $8, $9)", correctors, correct_spec, NULL,
	args_correct, NULL, 0
};

int
att_correct(struct http_request *req)
{
	return (att_run(req, &correct_call));
}

static int
args_audit(struct http_request *req, struct is_ctx *c, const char **p,
    int *n)
{
	(void)req;
	add_values(c, p, n, (const char *[]){ "student", NULL });
	add_page(c, p, n);
	return (0);
}

static const struct att_call audit_call = {
	"SELECT attendance.audit_list($1::uuid, $2::text[], $3, $4::int, "
	"$5::int)", staff, NULL, audit_query, args_audit, NULL, 0
};

int
att_audit(struct http_request *req)
{
	return (att_run(req, &audit_call));
}

/* ------------------------------------------------------------------ */
/* Evidence uploads: typed by content, bounded in size. */

static const char *const sql_evidence_store =
    "SELECT attendance.evidence_store($1::uuid, $2, $3, $4)";

int
att_evidence_upload(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	static const char hexdigits[] = "0123456789abcdef";
	const char	*type;
	char		*raw, *hex, sha[65];
	size_t		 len, i;
	int		 rc;

	if (c->phase == 0) {
		if (is_enter(req, c, 0, NULL, NULL) == -1)
			return (KORE_RESULT_OK);
		rc = is_read_raw(req, &raw, &len, (size_t)att_conf.evidence_max);
		if (rc == -2)
			return (is_reply_problem(req, "payload-too-large",
			    "at most 5 MiB"));
		if (rc == -1)
			return (is_reply_problem(req, "bad-request", NULL));
		if ((type = att_sniff_type(raw, len)) == NULL) {
			free(raw);
			return (is_reply_problem(req, "unsupported-media-type",
			    "upload a PDF, JPEG or PNG file"));
		}
		is_sha256_hex(raw, len, sha);
		if ((hex = malloc(len * 2 + 1)) == NULL) {
			free(raw);
			return (is_reply_problem(req, "internal", NULL));
		}
		for (i = 0; i < len; i++) {
			hex[i * 2] = hexdigits[(unsigned char)raw[i] >> 4];
			hex[i * 2 + 1] = hexdigits[(unsigned char)raw[i] & 15];
		}
		hex[len * 2] = '\0';
		free(raw);
		is_db_begin(req, c, sql_evidence_store, 4, (const char *[]){
		    c->claims.sub, type, hex, sha });
		free(hex);
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	return (is_db_reply(req, c, 201));
}

static int
args_evidence_id(struct http_request *req, struct is_ctx *c, const char **p,
    int *n)
{
	if ((p[*n] = path_id(req, c, PREFIX "evidence/")) == NULL)
		return (-1);
	(*n)++;
	return (0);
}

static int
reply_evidence(struct http_request *req, struct is_ctx *c)
{
	cJSON		*doc;
	u_int8_t	*data;
	size_t		 len;
	const char	*b64;
	char		 ctype[64];
	int		 rc;

	if ((doc = is_db_result(req, c)) == NULL)
		return (KORE_RESULT_OK);
	b64 = is_json_str(doc, "data");
	snprintf(ctype, sizeof(ctype), "%s", is_json_str(doc, "content_type"));
	if (b64 == NULL || !kore_base64_decode(b64, &data, &len)) {
		cJSON_Delete(doc);
		return (is_reply_problem(req, "internal", NULL));
	}
	cJSON_Delete(doc);
	http_response_header(req, "x-content-type-options", "nosniff");
	http_response_header(req, "content-disposition", "attachment");
	http_response_header(req, "cache-control", "private, no-store");
	rc = is_reply_text(req, 200, ctype, (const char *)data, len);
	kore_free(data);
	return (rc);
}

static const struct att_call evidence_call = {
	"SELECT attendance.evidence_get($1::uuid, $2::text[], $3::uuid)",
	NULL, NULL, NULL, args_evidence_id, reply_evidence, 0
};

int
att_evidence_get(struct http_request *req)
{
	return (att_run(req, &evidence_call));
}

/* ------------------------------------------------------------------ */
/* Leave */

static int
args_leave(struct http_request *req, struct is_ctx *c, const char **p,
    int *n)
{
	add_values(c, p, n, (const char *[]){ "kind", "reason", "from", "to",
	    "certificate_id", NULL });
	add_trace(req, c, p, n);
	return (0);
}

static const struct att_call leave_apply_call = {
	"SELECT attendance.leave_apply($1::uuid, $2::text[], $3, $4, "
	"$5::timestamptz, $6::timestamptz, $7::uuid, $8, $9)", students,
	leave_spec, NULL, args_leave, NULL, 201
};

int
att_leave_apply(struct http_request *req)
{
	return (att_run(req, &leave_apply_call));
}

static int
args_leave_list(struct http_request *req, struct is_ctx *c, const char **p,
    int *n)
{
	(void)req;
	add_values(c, p, n, (const char *[]){ "status", NULL });
	add_page(c, p, n);
	return (0);
}

static const struct att_call leave_list_call = {
	"SELECT attendance.leave_list($1::uuid, $2::text[], $3, $4::int, "
	"$5::int)", NULL, NULL, leave_query, args_leave_list, NULL, 0
};

int
att_leave_list(struct http_request *req)
{
	return (att_run(req, &leave_list_call));
}

static int
args_leave_id(struct http_request *req, struct is_ctx *c, const char **p,
    int *n)
{
	if ((p[*n] = path_id(req, c, PREFIX "leave/")) == NULL)
		return (-1);
	(*n)++;
	return (0);
}

static const struct att_call leave_get_call = {
	"SELECT attendance.leave_get($1::uuid, $2::text[], $3::uuid)",
	NULL, NULL, NULL, args_leave_id, NULL, 0
};

int
att_leave_get(struct http_request *req)
{
	return (att_run(req, &leave_get_call));
}

static int
args_decision(struct http_request *req, struct is_ctx *c, const char **p,
    int *n)
{
	if (args_leave_id(req, c, p, n) == -1)
		return (-1);
	p[(*n)++] = strcmp(is_json_str(c->body, "decision"), "approve") == 0 ?
	    "t" : "f";
	add_values(c, p, n, (const char *[]){ "comment", NULL });
	add_trace(req, c, p, n);
	return (0);
}

static const struct att_call decision_call = {
	"SELECT attendance.leave_decide($1::uuid, $2::text[], $3::uuid, "
	"$4::boolean, $5, $6, $7)", deciders, decision_spec, NULL,
	args_decision, NULL, 0
};

int
att_leave_decide(struct http_request *req)
{
	return (att_run(req, &decision_call));
}

/* ------------------------------------------------------------------ */
/* Rates, reports, warnings, policy */

static int
args_rates(struct http_request *req, struct is_ctx *c, const char **p,
    int *n)
{
	(void)req;
	add_values(c, p, n, (const char *[]){ "student", "school_year",
	    "semester", NULL });
	return (0);
}

static const struct att_call rates_call = {
	"SELECT attendance.student_rates($1::uuid, $2::text[], $3, $4, "
	"$5::int)", NULL, NULL, rates_query, args_rates, NULL, 0
};

int
att_rates(struct http_request *req)
{
	return (att_run(req, &rates_call));
}

static const struct att_call rates_students_call = {
	"SELECT attendance.rates_list($1::uuid, $2::text[], $3, $4::int, "
	"$5::int, $6::int)", staff, NULL, semester_page_query, args_page,
	NULL, 0
};

int
att_rates_students(struct http_request *req)
{
	return (att_run(req, &rates_students_call));
}

static int
args_month(struct http_request *req, struct is_ctx *c, const char **p,
    int *n)
{
	const char	*month = is_json_str(c->body, "month");
	char		 buf[16];

	(void)req;
	if (month != NULL) {
		snprintf(buf, sizeof(buf), "%s-01", month);
		p[(*n)++] = is_ctx_keep(c, buf);
	} else
		p[(*n)++] = NULL;
	return (0);
}

static void
csv_field(struct is_buf *b, const cJSON *v, int last)
{
	char		 num[32], *out;
	const char	*s;
	size_t		 len, need;

	if (cJSON_IsString(v))
		s = v->valuestring;
	else if (cJSON_IsNumber(v)) {
		snprintf(num, sizeof(num), "%g", v->valuedouble);
		s = num;
	} else
		s = "";
	len = strlen(s);
	need = len * 2 + 3;
	if ((out = malloc(need)) != NULL) {
		need = csv_write(out, need, s, len);
		is_buf_append(b, out, need);
		free(out);
	}
	is_buf_append(b, last ? "\r\n" : ",", last ? 2 : 1);
}

/* The report as JSON, or as CSV for spreadsheets (format=csv). */
static int
reply_report(struct http_request *req, struct is_ctx *c)
{
	static const char *const cols[] = { "student_id", "name", "school",
	    "hours_held", "attended_hours", "absence_hours", "attendance_rate",
	    "present", "late", "left_early", "personal_leave", "sick_leave",
	    "skipped", NULL };
	const char	*fmt = is_json_str(c->body, "format");
	const cJSON	*item;
	struct is_buf	 b;
	cJSON		*doc;
	char		 disp[96];
	int		 i, rc;

	if (fmt == NULL || strcmp(fmt, "csv") != 0)
		return (is_db_reply(req, c, 200));
	if ((doc = is_db_result(req, c)) == NULL)
		return (KORE_RESULT_OK);
	is_buf_init(&b);
	for (i = 0; cols[i] != NULL; i++) {
		is_buf_append(&b, cols[i], strlen(cols[i]));
		is_buf_append(&b, cols[i + 1] ? "," : "\r\n",
		    cols[i + 1] ? 1 : 2);
	}
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(doc, "items")) {
		for (i = 0; cols[i] != NULL; i++)
			csv_field(&b, cJSON_GetObjectItem(item, cols[i]),
			    cols[i + 1] == NULL);
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"attendance-%s"
	    ".csv\"", is_json_str(doc, "month"));
	http_response_header(req, "content-disposition", disp);
	rc = is_reply_text(req, 200, "text/csv; charset=utf-8", b.data, b.len);
	is_buf_free(&b);
	cJSON_Delete(doc);
	return (rc);
}

static const struct att_call report_call = {
	"SELECT attendance.monthly_report($1::uuid, $2::text[], $3::date)",
	reporters, NULL, report_query, args_month, reply_report, 0
};

int
att_report_monthly(struct http_request *req)
{
	return (att_run(req, &report_call));
}

static const struct att_call warnings_call = {
	"SELECT attendance.warnings_list($1::uuid, $2::text[], $3, $4::int, "
	"$5::int, $6::int)", warners, NULL, semester_page_query, args_page,
	NULL, 0
};

int
att_warnings(struct http_request *req)
{
	return (att_run(req, &warnings_call));
}

static int
args_warnings_send(struct http_request *req, struct is_ctx *c,
    const char **p, int *n)
{
	add_values(c, p, n, (const char *[]){ "school_year", "semester",
	    NULL });
	add_trace(req, c, p, n);
	return (0);
}

static const struct att_call warnings_send_call = {
	"SELECT attendance.warnings_send($1::uuid, $2::text[], $3, $4::int, "
	"$5, $6)", warners, warnings_spec, NULL, args_warnings_send, NULL, 0
};

int
att_warnings_send(struct http_request *req)
{
	return (att_run(req, &warnings_send_call));
}

static int
args_policy(struct http_request *req, struct is_ctx *c, const char **p,
    int *n)
{
	char	*json = cJSON_PrintUnformatted(c->body);

	p[(*n)++] = is_ctx_keep(c, json);
	cJSON_free(json);
	add_trace(req, c, p, n);
	return (0);
}

static const struct att_call policy_get_call = {
	"SELECT attendance.policy_json() WHERE $1::uuid IS NOT NULL "
	"AND $2::text[] IS NOT NULL", NULL, NULL, NULL, NULL, NULL, 0
};

static const struct att_call policy_set_call = {
	"SELECT attendance.policy_set($1::uuid, $2::text[], $3::jsonb, $4, $5)",
	admins, policy_spec, NULL, args_policy, NULL, 0
};

int
att_policy(struct http_request *req)
{
	if (req->method == HTTP_METHOD_PUT)
		return (att_run(req, &policy_set_call));
	return (att_run(req, &policy_get_call));
}

int	att_leave_apply_or_list(struct http_request *);

int
att_leave_apply_or_list(struct http_request *req)
{
	if (req->method == HTTP_METHOD_POST)
		return (att_leave_apply(req));
	return (att_leave_list(req));
}
