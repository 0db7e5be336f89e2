/*
 * Notices from the International Office and the schools to groups of
 * students (sql/functions/notices.sql): sending one (a single statement
 * fans it out), the authors' list, a notice with its read-rate and
 * delivery report, each recipient's state, withdrawal, the templates.
 */
#include <string.h>

#include "iskore.h"
#include "messaging.h"

static const char *const	authors[] = { "io", "secretary", "admin",
				    NULL };
static const char *const	kinds[] = { "residence-permit-extension",
				    "important", "insurance-alert", "warning",
				    "reminder", NULL };
static const char *const	audiences[] = { "all", "school", "cohort",
				    "degree", "nationality", "list", NULL };

static const struct is_field	notice_spec[] = {
	{ "kind", IS_F_STRING, 1, 0, 0, NULL, kinds },
	{ "audience", IS_F_OBJECT, 1, 0, 0, NULL, NULL },
	{ "subject_en", IS_F_STRING, 0, 1, 140, NULL, NULL },
	{ "subject_zh", IS_F_STRING, 0, 1, 140, NULL, NULL },
	{ "body_en", IS_F_STRING, 0, 1, 8000, NULL, NULL },
	{ "body_zh", IS_F_STRING, 0, 1, 8000, NULL, NULL },
	{ "by_email", IS_F_BOOL, 0, 0, 0, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field	audience_spec[] = {
	{ "type", IS_F_STRING, 1, 0, 0, NULL, audiences },
	{ "value", IS_F_STRING, 0, 1, 80, NULL, NULL },
	{ "students", IS_F_ARRAY, 0, 1, 5000, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field	withdraw_spec[] = {
	{ "reason", IS_F_STRING, 1, 1, 500, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field	page_query[] = {
	{ "before", IS_F_STRING, 0, 1, 19, "^[0-9]+$", NULL },
	{ "limit", IS_F_STRING, 0, 0, 0, "^([1-9]|[1-9][0-9]|100)$", NULL },
	IS_FIELDS_END
};

static const struct is_field	recipients_query[] = {
	{ "before", IS_F_STRING, 0, 1, 19, "^[0-9]+$", NULL },
	{ "limit", IS_F_STRING, 0, 0, 0, "^([1-9]|[1-9][0-9]|100)$", NULL },
	{ "unread", IS_F_STRING, 0, 0, 0, "^(true|false)$", NULL },
	IS_FIELDS_END
};

/* The audience: a type, its value (or the list's student IDs). */
static int
notice_check(struct http_request *req, struct is_ctx *c)
{
	const cJSON	*a = cJSON_GetObjectItem(c->body, "audience");
	const cJSON	*item;
	const char	*type;
	cJSON		*errors = cJSON_CreateArray();
	char		 field[40];
	int		 i = 0;

	if (is_validate_object(a, audience_spec, errors) == 0) {
		type = is_json_str(a, "type");
		if (strcmp(type, "list") == 0) {
			if (cJSON_GetArraySize(cJSON_GetObjectItem(a,
			    "students")) == 0)
				is_field_error(errors, "audience.students",
				    "name the students", "请列出学生");
			cJSON_ArrayForEach(item, cJSON_GetObjectItem(a,
			    "students")) {
				snprintf(field, sizeof(field),
				    "audience.students[%d]", i++);
				if (!cJSON_IsString(item) ||
				    strlen(item->valuestring) < 4 ||
				    strlen(item->valuestring) > 20 ||
				    strspn(item->valuestring, "ABCDEFGHIJKLMN"
				    "OPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789") != strlen(item->valuestring))
					is_field_error(errors, field, "must be "
					    "a student ID", "必须是学号");
			}
		} else if (strcmp(type, "all") != 0 &&
		    is_json_str(a, "value") == NULL)
			is_field_error(errors, "audience.value", "say which "
			    "(the school, cohort, degree or nationality)",
			    "请指定具体对象");
	}
	if (cJSON_GetArraySize(errors) > 0) {
		/* The generic check names fields without "audience.". */
		is_reply_problem_errors(req, "validation", NULL, errors);
		return (-1);
	}
	cJSON_Delete(errors);
	return (0);
}

#define NOTICES	MSG_PREFIX "notices/"

const struct is_endpoint	msg_notice_endpoints[] = {
	{ .name = "notice_send", .route = MSG_PREFIX "notices",
	  .method = HTTP_METHOD_POST, .roles = authors, .body = notice_spec,
	  .check = notice_check,
	  .sql = "SELECT messaging.notice_send($1::uuid, $2, $3::jsonb, $4, "
	      "$5, $6, $7, $8::boolean, $9, $10)",
	  .args = { IS_ARG_CALLER, IS_ARG_FIELD("kind"),
	      IS_ARG_FIELD("audience"), IS_ARG_FIELD("subject_en"),
	      IS_ARG_FIELD("subject_zh"), IS_ARG_FIELD("body_en"),
	      IS_ARG_FIELD("body_zh"), IS_ARG_FIELD("by_email"),
	      IS_ARG_REQUEST_ID, IS_ARG_CLIENT },
	  .status = 201 },
	{ .name = "notices", .route = MSG_PREFIX "notices",
	  .method = HTTP_METHOD_GET, .roles = authors, .query = page_query,
	  .sql = "SELECT messaging.notices_list($1::uuid, $2::text[], "
	      "$3::bigint, coalesce($4::int, 20))",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_FIELD("before"),
	      IS_ARG_FIELD("limit") } },
	{ .name = "notice_get", .route = "^" NOTICES "[^/]+$",
	  .method = HTTP_METHOD_GET, .roles = authors, .path_prefix = NOTICES,
	  .sql = "SELECT messaging.notice_get($1::uuid, $2::text[], $3::uuid)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_PATH_ID } },
	{ .name = "notice_recipients",
	  .route = "^" NOTICES "[^/]+/recipients$",
	  .method = HTTP_METHOD_GET, .roles = authors, .path_prefix = NOTICES,
	  .query = recipients_query,
	  .sql = "SELECT messaging.notice_recipients($1::uuid, $2::text[], "
	      "$3::uuid, $4::boolean, $5::bigint, coalesce($6::int, 50))",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_PATH_ID,
	      IS_ARG_FIELD("unread"), IS_ARG_FIELD("before"),
	      IS_ARG_FIELD("limit") } },
	{ .name = "notice_withdraw", .route = "^" NOTICES "[^/]+/withdraw$",
	  .method = HTTP_METHOD_POST, .roles = authors, .path_prefix = NOTICES,
	  .body = withdraw_spec,
	  .sql = "SELECT messaging.notice_withdraw($1::uuid, $2::text[], "
	      "$3::uuid, $4, $5, $6)",
	  .args = { IS_ARG_CALLER, IS_ARG_ROLES, IS_ARG_PATH_ID,
	      IS_ARG_FIELD("reason"), IS_ARG_REQUEST_ID, IS_ARG_CLIENT } },
	{ .name = "notice_templates", .route = MSG_PREFIX "notice-templates",
	  .method = HTTP_METHOD_GET, .roles = authors,
	  .sql = "SELECT messaging.templates_list()" },
	IS_ENDPOINTS_END
};
