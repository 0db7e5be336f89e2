/*
 * Running a class: the teacher opens check-in and shows the rotating QR
 * code (JSON, or an SVG image), watches who is missing, closes check-in;
 * classes taken by roll call or sign-in sheet are recorded in bulk.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "routes.h"
#include "attendance.h"

#define SESSIONS	ATT_PREFIX "sessions/"

static const char *const	bulk_statuses[] = { "present", "late",
				    "left_early", "absent", NULL };
static const char *const	qr_formats[] = { "json", "svg", NULL };

static const struct is_field	qr_query[] = {
	{ "format", IS_F_STRING, 0, 0, 0, NULL, qr_formats },
	IS_FIELDS_END
};

static const struct is_field	bulk_spec[] = {
	{ "records", IS_F_ARRAY, 1, 1, 500, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field	bulk_entry[] = {
	{ "student", IS_F_STRING, 1, 4, 20, ATT_LOGIN_RE, NULL },
	{ "status", IS_F_STRING, 1, 0, 0, NULL, bulk_statuses },
	IS_FIELDS_END
};

/* The session's current code: payload, lifetime and when to refresh. */
static cJSON *
qr_object(const char *session_id)
{
	cJSON	*qr;
	char	 payload[ATT_QR_MAX];
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
	return (qr);
}

/* The session document with its current code, or the code as SVG. */
static int
reply_with_qr(struct http_request *req, struct is_ctx *c)
{
	cJSON		*doc, *qr;
	const char	*fmt;
	char		*svg;
	int		 rc;

	if ((doc = is_db_result(req, c)) == NULL)
		return (KORE_RESULT_OK);
	if ((qr = qr_object(is_json_str(doc, "id"))) == NULL) {
		cJSON_Delete(doc);
		return (is_reply_problem(req, "internal", NULL));
	}
	fmt = is_json_str(c->body, "format");
	if (fmt != NULL && strcmp(fmt, "svg") == 0) {
		svg = att_qr_svg(is_json_str(qr, "payload"));
		cJSON_Delete(doc);
		cJSON_Delete(qr);
		if (svg == NULL)
			return (is_reply_problem(req, "internal", NULL));
		rc = is_reply_text(req, 200, "image/svg+xml", svg, strlen(svg));
		free(svg);
		return (rc);
	}
	cJSON_AddItemToObject(doc, "qr", qr);
	return (is_reply_obj(req, 200, doc));
}

/* Each record of a roll call is {student, status}. */
static int
check_bulk(struct http_request *req, struct is_ctx *c)
{
	const cJSON	*entry;
	cJSON		*errors;

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
	return (0);
}

const struct is_endpoint	att_class_endpoints[] = {
	{ .name = "session_open", .route = "^" SESSIONS "[^/]+/open$",
	  .method = HTTP_METHOD_POST, .roles = att_teachers,
	  .path_prefix = SESSIONS,
	  .sql = "SELECT attendance.session_open($1::uuid, $2::text[], "
	      "$3::uuid, $4, $5)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_PATH_ID,
	      IS_ARG_REQUEST_ID, IS_ARG_CLIENT },
	  .reply = reply_with_qr },
	{ .name = "session_qr", .route = "^" SESSIONS "[^/]+/qr$",
	  .method = HTTP_METHOD_GET, .roles = att_teachers,
	  .query = qr_query, .path_prefix = SESSIONS,
	  .sql = "SELECT attendance.session_qr($1::uuid, $2::text[], "
	      "$3::uuid)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_PATH_ID },
	  .reply = reply_with_qr },
	{ .name = "session_close", .route = "^" SESSIONS "[^/]+/close$",
	  .method = HTTP_METHOD_POST, .roles = att_teachers,
	  .path_prefix = SESSIONS,
	  .sql = "SELECT attendance.session_close($1::uuid, $2::text[], "
	      "$3::uuid, $4, $5)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_PATH_ID,
	      IS_ARG_REQUEST_ID, IS_ARG_CLIENT } },
	{ .name = "session_live", .route = "^" SESSIONS "[^/]+/live$",
	  .method = HTTP_METHOD_GET, .roles = att_staff,
	  .path_prefix = SESSIONS,
	  .sql = "SELECT attendance.session_live($1::uuid, $2::text[], "
	      "$3::uuid)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_PATH_ID } },
	{ .name = "session_records", .route = "^" SESSIONS "[^/]+/records$",
	  .method = HTTP_METHOD_POST, .roles = att_teachers,
	  .body = bulk_spec, .check = check_bulk, .path_prefix = SESSIONS,
	  .sql = "SELECT attendance.session_record_bulk($1::uuid, "
	      "$2::text[], $3::uuid, $4::jsonb, $5, $6)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_PATH_ID,
	      IS_ARG_FIELD("records"), IS_ARG_REQUEST_ID, IS_ARG_CLIENT } },
	IS_ENDPOINTS_END
};
