/*
 * Rates, the monthly stipend report (JSON, or CSV for spreadsheets) and
 * low-attendance warnings.
 */
#include <stdlib.h>
#include <string.h>

#include "routes.h"

static const char *const	reporters[] = { "finance", "io", "leader",
				    "admin", NULL };
static const char *const	warners[] = { "counsellor", "secretary", "io",
				    "admin", NULL };
static const char *const	formats[] = { "json", "csv", NULL };

static const struct is_field	rates_query[] = {
	{ "student", IS_F_STRING, 0, 4, 20, ATT_LOGIN_RE, NULL },
	{ "school_year", IS_F_STRING, 0, 9, 9, ATT_YEAR_RE, NULL },
	{ "semester", IS_F_STRING, 0, 1, 1, ATT_SEMESTER_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	report_query[] = {
	{ "month", IS_F_STRING, 0, 7, 7, "^[0-9]{4}-(0[1-9]|1[0-2])$", NULL },
	{ "format", IS_F_STRING, 0, 0, 0, NULL, formats },
	IS_FIELDS_END
};

static const struct is_field	warnings_spec[] = {
	{ "school_year", IS_F_STRING, 1, 9, 9, ATT_YEAR_RE, NULL },
	{ "semester", IS_F_INT, 1, 1, 2, NULL, NULL },
	IS_FIELDS_END
};

/* The report as JSON, or as CSV for spreadsheets (format=csv). */
static int
reply_report(struct http_request *req, struct is_ctx *c)
{
	static const char *const cols[] = { "student_id", "name", "school",
	    "hours_held", "attended_hours", "absence_hours", "attendance_rate",
	    "present", "late", "left_early", "personal_leave", "sick_leave",
	    "skipped", NULL };
	const char	*fmt = is_json_str(c->body, "format");
	cJSON		*doc;
	char		 name[64];

	if (fmt == NULL || strcmp(fmt, "csv") != 0)
		return (is_db_reply(req, c, 200));
	if ((doc = is_db_result(req, c)) == NULL)
		return (KORE_RESULT_OK);
	/* Names and schools come from imports: never formulas (csvexport). */
	snprintf(name, sizeof(name), "attendance-%s.csv", is_json_str(doc,
	    "month"));
	return (is_csv_reply_items(req, doc, cols, name));
}

const struct is_endpoint	att_rates_endpoints[] = {
	{ .name = "rates", .route = ATT_PREFIX "rates",
	  .method = HTTP_METHOD_GET, .query = rates_query,
	  .sql = "SELECT attendance.student_rates($1::uuid, $2::text[], $3, "
	      "$4, $5::int)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_FIELD("student"),
	      IS_ARG_FIELD("school_year"), IS_ARG_FIELD("semester") } },
	{ .name = "rates_students", .route = ATT_PREFIX "rates/students",
	  .method = HTTP_METHOD_GET, .roles = att_staff,
	  .query = att_semester_page_query,
	  .sql = "SELECT attendance.rates_list($1::uuid, $2::text[], $3, "
	      "$4::int, $5::int, $6::int)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_FIELD("school_year"),
	      IS_ARG_FIELD("semester"), IS_ARG_LIMIT, IS_ARG_OFFSET } },
	{ .name = "report_monthly", .route = ATT_PREFIX "reports/monthly",
	  .method = HTTP_METHOD_GET, .roles = reporters,
	  .query = report_query,
	  .sql = "SELECT attendance.monthly_report($1::uuid, $2::text[], "
	      "($3 || '-01')::date)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_FIELD("month") },
	  .reply = reply_report },
	{ .name = "warnings", .route = ATT_PREFIX "warnings",
	  .method = HTTP_METHOD_GET, .roles = warners,
	  .query = att_semester_page_query,
	  .sql = "SELECT attendance.warnings_list($1::uuid, $2::text[], $3, "
	      "$4::int, $5::int, $6::int)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_FIELD("school_year"),
	      IS_ARG_FIELD("semester"), IS_ARG_LIMIT, IS_ARG_OFFSET } },
	{ .name = "warnings_send", .route = ATT_PREFIX "warnings/send",
	  .method = HTTP_METHOD_POST, .roles = warners, .body = warnings_spec,
	  .sql = "SELECT attendance.warnings_send($1::uuid, $2::text[], $3, "
	      "$4::int, $5, $6)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_FIELD("school_year"),
	      IS_ARG_FIELD("semester"), IS_ARG_REQUEST_ID, IS_ARG_CLIENT } },
	IS_ENDPOINTS_END
};
