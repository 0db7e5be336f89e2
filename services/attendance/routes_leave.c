/*
 * Leave and corrections: evidence uploads (typed by content, bounded),
 * leave applications and the counsellor's decision, corrections of a
 * record by the course's teacher or the student's counsellor, and the
 * audit trail of a student's records.
 */
#include <stdlib.h>
#include <string.h>

#include "routes.h"
#include "attendance.h"
#include "iscommon/crypto.h"

#define LEAVE		ATT_PREFIX "leave/"
/* RFC 3339, as the API writes it: fractions of a second allowed. */
#define TIME_RE		"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}" \
			"(:[0-9]{2}(\\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})$"

static const char *const	correctors[] = { "teacher", "counsellor",
				    "admin", NULL };
static const char *const	deciders[] = { "counsellor", "admin", NULL };
static const char *const	record_statuses[] = { "present", "late",
				    "left_early", "personal_leave",
				    "sick_leave", "absent", NULL };
static const char *const	leave_kinds[] = { "personal", "sick", NULL };
static const char *const	leave_statuses[] = { "pending", "approved",
				    "rejected", "withdrawn", NULL };
static const char *const	decisions[] = { "approve", "reject", NULL };

static const struct is_field	correct_spec[] = {
	{ "session_id", IS_F_STRING, 1, 36, 36, ATT_UUID_RE, NULL },
	{ "student", IS_F_STRING, 1, 4, 20, ATT_LOGIN_RE, NULL },
	{ "status", IS_F_STRING, 1, 0, 0, NULL, record_statuses },
	{ "reason", IS_F_STRING, 1, 2, 1000, NULL, NULL },
	{ "evidence_id", IS_F_STRING, 0, 36, 36, ATT_UUID_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	audit_query[] = {
	{ "student", IS_F_STRING, 1, 4, 20, ATT_LOGIN_RE, NULL },
	{ "limit", IS_F_STRING, 0, 1, 3, ATT_LIMIT_RE, NULL },
	{ "offset", IS_F_STRING, 0, 1, 7, ATT_OFFSET_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	leave_spec[] = {
	{ "kind", IS_F_STRING, 1, 0, 0, NULL, leave_kinds },
	{ "reason", IS_F_STRING, 1, 2, 1000, NULL, NULL },
	{ "from", IS_F_STRING, 1, 16, 32, TIME_RE, NULL },
	{ "to", IS_F_STRING, 1, 16, 32, TIME_RE, NULL },
	{ "certificate_id", IS_F_STRING, 0, 36, 36, ATT_UUID_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	leave_query[] = {
	{ "status", IS_F_STRING, 0, 0, 0, NULL, leave_statuses },
	{ "limit", IS_F_STRING, 0, 1, 3, ATT_LIMIT_RE, NULL },
	{ "offset", IS_F_STRING, 0, 1, 7, ATT_OFFSET_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	decision_spec[] = {
	{ "decision", IS_F_STRING, 1, 0, 0, NULL, decisions },
	{ "comment", IS_F_STRING, 0, 0, 1000, NULL, NULL },
	IS_FIELDS_END
};

/* What upload_read makes of an upload: the fields the query takes. */
static const struct is_field	upload_fields[] = {
	{ "content_type", IS_F_STRING, 1, 0, 0, NULL, NULL },
	{ "data", IS_F_STRING, 1, 0, 0, NULL, NULL },	/* hex */
	{ "sha256", IS_F_STRING, 1, 0, 0, NULL, NULL },
	IS_FIELDS_END
};

/*
 * Reads the body -- at most evidence_max bytes of PDF, JPEG or PNG, typed
 * by content -- into upload_fields.
 */
static int
upload_read(struct http_request *req, struct is_ctx *c)
{
	static const char	 hexdigits[] = "0123456789abcdef";
	const char		*type;
	char			*raw, *hex, sha[65];
	size_t			 len, i;
	int			 rc;

	rc = is_read_raw(req, &raw, &len, (size_t)att_conf.evidence_max);
	if (rc != 0) {
		is_reply_problem(req, rc == -2 ? "payload-too-large" :
		    "bad-request", rc == -2 ? "at most 5 MiB" : NULL);
		return (-1);
	}
	if ((type = att_sniff_type(raw, len)) == NULL) {
		free(raw);
		is_reply_problem(req, "unsupported-media-type",
		    "upload a PDF, JPEG or PNG file");
		return (-1);
	}
	if ((hex = malloc(len * 2 + 1)) == NULL) {
		free(raw);
		is_reply_problem(req, "internal", NULL);
		return (-1);
	}
	for (i = 0; i < len; i++) {
		hex[i * 2] = hexdigits[(unsigned char)raw[i] >> 4];
		hex[i * 2 + 1] = hexdigits[(unsigned char)raw[i] & 15];
	}
	hex[len * 2] = '\0';
	is_sha256_hex(raw, len, sha);
	free(raw);
	cJSON_Delete(c->body);
	c->body = cJSON_CreateObject();
	cJSON_AddStringToObject(c->body, "content_type", type);
	cJSON_AddStringToObject(c->body, "data", hex);
	cJSON_AddStringToObject(c->body, "sha256", sha);
	free(hex);
	return (0);
}

/* The stored file, as it was uploaded, never rendered inline. */
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
	is_reply_cache_control(req, "private, no-store");
	rc = is_reply_text(req, 200, ctype, (const char *)data, len);
	kore_free(data);
	return (rc);
}

const struct is_endpoint	att_leave_endpoints[] = {
	{ .name = "evidence_upload", .route = ATT_PREFIX "evidence",
	  .method = HTTP_METHOD_POST, .flags = IS_INPUT_OWN,
	  .body = upload_fields, .check = upload_read,
	  .sql = "SELECT attendance.evidence_store($1::uuid, $2, $3, $4)",
	  .args = { IS_ARG_CALLER, IS_ARG_FIELD("content_type"),
	      IS_ARG_FIELD("data"), IS_ARG_FIELD("sha256") },
	  .status = 201 },
	{ .name = "evidence_get", .route = "^" ATT_PREFIX "evidence/[^/]+$",
	  .method = HTTP_METHOD_GET, .path_prefix = ATT_PREFIX "evidence/",
	  .sql = "SELECT attendance.evidence_get($1::uuid, $2::text[], "
	      "$3::uuid)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_PATH_ID },
	  .reply = reply_evidence },
	{ .name = "leave_apply", .route = ATT_PREFIX "leave",
	  .method = HTTP_METHOD_POST, .roles = att_students,
	  .body = leave_spec,
	  .sql = "SELECT attendance.leave_apply($1::uuid, $2::text[], $3, $4, "
	      "$5::timestamptz, $6::timestamptz, $7::uuid, $8, $9)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_FIELD("kind"),
	      IS_ARG_FIELD("reason"), IS_ARG_FIELD("from"),
	      IS_ARG_FIELD("to"), IS_ARG_FIELD("certificate_id"),
	      IS_ARG_REQUEST_ID, IS_ARG_CLIENT },
	  .status = 201 },
	{ .name = "leave_list", .route = ATT_PREFIX "leave",
	  .method = HTTP_METHOD_GET, .query = leave_query,
	  .sql = "SELECT attendance.leave_list($1::uuid, $2::text[], $3, "
	      "$4::int, $5::int)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_FIELD("status"),
	      IS_ARG_LIMIT, IS_ARG_OFFSET } },
	{ .name = "leave_get", .route = "^" LEAVE "[^/]+$",
	  .method = HTTP_METHOD_GET, .path_prefix = LEAVE,
	  .sql = "SELECT attendance.leave_get($1::uuid, $2::text[], $3::uuid)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_PATH_ID } },
	{ .name = "leave_decide", .route = "^" LEAVE "[^/]+/decision$",
	  .method = HTTP_METHOD_POST, .roles = deciders,
	  .body = decision_spec, .path_prefix = LEAVE,
	  .sql = "SELECT attendance.leave_decide($1::uuid, $2::text[], "
	      "$3::uuid, $4 = 'approve', $5, $6, $7)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_PATH_ID,
	      IS_ARG_FIELD("decision"), IS_ARG_FIELD("comment"),
	      IS_ARG_REQUEST_ID, IS_ARG_CLIENT } },
	{ .name = "records_correct", .route = ATT_PREFIX "records/correct",
	  .method = HTTP_METHOD_POST, .roles = correctors,
	  .body = correct_spec,
	  .sql = "SELECT attendance.record_correct($1::uuid, $2::text[], "
	      "$3::uuid, $4, $5, $6, $7::uuid, $8, $9)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_FIELD("session_id"),
	      IS_ARG_FIELD("student"), IS_ARG_FIELD("status"),
	      IS_ARG_FIELD("reason"), IS_ARG_FIELD("evidence_id"),
	      IS_ARG_REQUEST_ID, IS_ARG_CLIENT } },
	{ .name = "audit", .route = ATT_PREFIX "audit",
	  .method = HTTP_METHOD_GET, .roles = att_staff, .query = audit_query,
	  .sql = "SELECT attendance.audit_list($1::uuid, $2::text[], $3, "
	      "$4::int, $5::int)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_FIELD("student"),
	      IS_ARG_LIMIT, IS_ARG_OFFSET } },
	IS_ENDPOINTS_END
};
