/*
 * Letters between people, and each account's inbox and sent box (the
 * rules are in sql/functions/letters.sql; who may write to whom is auth's,
 * auth.may_write). Every signed-in account has both boxes.
 */
#include <string.h>

#include "iskore.h"
#include "messaging.h"
#include "iscommon/strutil.h"

#define UUID_RE		"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-" \
			"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

static const struct is_field	letter_spec[] = {
	{ "to", IS_F_ARRAY, 0, 0, 50, NULL, NULL },
	{ "subject", IS_F_STRING, 1, 1, 300, NULL, NULL },
	{ "body", IS_F_STRING, 1, 1, 20000, NULL, NULL },
	{ "attachments", IS_F_ARRAY, 0, 0, 10, NULL, NULL },
	{ "reply_to", IS_F_STRING, 0, 36, 36, UUID_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	mark_spec[] = {
	{ "read", IS_F_BOOL, 1, 0, 0, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field	inbox_query[] = {
	{ "before", IS_F_STRING, 0, 1, 19, "^[0-9]+$", NULL },
	{ "limit", IS_F_STRING, 0, 0, 0, "^([1-9]|[1-9][0-9]|100)$", NULL },
	{ "unread", IS_F_STRING, 0, 0, 0, "^(true|false)$", NULL },
	{ "q", IS_F_STRING, 0, 1, 100, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field	sent_query[] = {
	{ "before", IS_F_STRING, 0, 1, 19, "^[0-9]+$", NULL },
	{ "limit", IS_F_STRING, 0, 0, 0, "^([1-9]|[1-9][0-9]|100)$", NULL },
	IS_FIELDS_END
};

/* A login name: 4-20 letters and digits (auth.accounts' rule). */
static int
is_login(const char *s)
{
	size_t	n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789");

	return (s[n] == '\0' && n >= 4 && n <= 20);
}

/* "to": login names (student or staff IDs); "attachments": document ids. */
static int
letter_check(struct http_request *req, struct is_ctx *c)
{
	const cJSON	*item;
	cJSON		*errors = cJSON_CreateArray();
	char		 field[32];
	int		 i = 0;

	cJSON_ArrayForEach(item, cJSON_GetObjectItem(c->body, "to")) {
		snprintf(field, sizeof(field), "to[%d]", i++);
		if (!cJSON_IsString(item) || !is_login(item->valuestring))
			is_field_error(errors, field, "must be a student or "
			    "staff ID", "必须是学号或工号");
	}
	i = 0;
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(c->body, "attachments")) {
		snprintf(field, sizeof(field), "attachments[%d]", i++);
		if (!cJSON_IsString(item) || !is_uuid_valid(item->valuestring))
			is_field_error(errors, field, "must be a document id",
			    "必须是文件编号");
	}
	if (cJSON_GetArraySize(errors) > 0) {
		is_reply_problem_errors(req, "validation", NULL, errors);
		return (-1);
	}
	cJSON_Delete(errors);
	return (0);
}

/* A JSON array of strings as a PostgreSQL text[] literal's input. */
static int
arg_array(struct http_request *req, struct is_ctx *c, const char *name,
    const char **out)
{
	const cJSON	*item;
	struct is_buf	 b;

	(void)req;
	is_buf_init(&b);
	is_buf_append(&b, "{", 1);
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(c->body, name)) {
		/* Checked above: letters, digits and dashes only. */
		if (b.len > 1)
			is_buf_append(&b, ",", 1);
		is_buf_append(&b, item->valuestring, strlen(item->valuestring));
	}
	is_buf_append(&b, "}", 2);
	*out = is_ctx_keep(c, b.data);
	is_buf_free(&b);
	return (0);
}

static int
arg_to(struct http_request *req, struct is_ctx *c, const char **out)
{
	return (arg_array(req, c, "to", out));
}

static int
arg_attachments(struct http_request *req, struct is_ctx *c, const char **out)
{
	return (arg_array(req, c, "attachments", out));
}

#define INBOX	MSG_PREFIX "inbox/"
#define SENT	MSG_PREFIX "sent/"

const struct is_endpoint	msg_letter_endpoints[] = {
	{ .name = "letter_send", .route = MSG_PREFIX "letters",
	  .method = HTTP_METHOD_POST, .body = letter_spec,
	  .check = letter_check,
	  .sql = "SELECT messaging.letter_send($1::uuid, $2::text[], $3, $4, "
	      "$5::uuid[], $6::uuid, $7, $8)",
	  .args = { IS_ARG_CALLER, IS_ARG_FN(arg_to), IS_ARG_FIELD("subject"),
	      IS_ARG_FIELD("body"), IS_ARG_FN(arg_attachments),
	      IS_ARG_FIELD("reply_to"), IS_ARG_REQUEST_ID, IS_ARG_CLIENT },
	  .status = 201 },
	{ .name = "inbox", .route = MSG_PREFIX "inbox",
	  .method = HTTP_METHOD_GET, .query = inbox_query,
	  .sql = "SELECT messaging.inbox_list($1::uuid, $2::bigint, "
	      "coalesce($3::int, 20), $4::boolean, $5)",
	  .args = { IS_ARG_CALLER, IS_ARG_FIELD("before"),
	      IS_ARG_FIELD("limit"), IS_ARG_FIELD("unread"),
	      IS_ARG_FIELD("q") } },
	{ .name = "unread", .route = MSG_PREFIX "unread",
	  .method = HTTP_METHOD_GET,
	  .sql = "SELECT jsonb_build_object('unread', "
	      "messaging.unread($1::uuid))",
	  .args = { IS_ARG_CALLER } },
	{ .name = "inbox_get", .route = "^" INBOX "[^/]+$",
	  .method = HTTP_METHOD_GET, .path_prefix = INBOX,
	  .sql = "SELECT messaging.inbox_get($1::uuid, $2::uuid)",
	  .args = { IS_ARG_CALLER, IS_ARG_PATH_ID } },
	{ .name = "inbox_delete", .route = "^" INBOX "[^/]+$",
	  .method = HTTP_METHOD_DELETE, .path_prefix = INBOX,
	  .sql = "SELECT messaging.inbox_delete($1::uuid, $2::uuid)",
	  .args = { IS_ARG_CALLER, IS_ARG_PATH_ID }, .status = 204 },
	{ .name = "inbox_mark", .route = "^" INBOX "[^/]+/read$",
	  .method = HTTP_METHOD_PUT, .path_prefix = INBOX, .body = mark_spec,
	  .sql = "SELECT messaging.inbox_mark($1::uuid, $2::uuid, $3::boolean)",
	  .args = { IS_ARG_CALLER, IS_ARG_PATH_ID, IS_ARG_FIELD("read") } },
	{ .name = "sent", .route = MSG_PREFIX "sent",
	  .method = HTTP_METHOD_GET, .query = sent_query,
	  .sql = "SELECT messaging.sent_list($1::uuid, $2::bigint, "
	      "coalesce($3::int, 20))",
	  .args = { IS_ARG_CALLER, IS_ARG_FIELD("before"),
	      IS_ARG_FIELD("limit") } },
	{ .name = "sent_get", .route = "^" SENT "[^/]+$",
	  .method = HTTP_METHOD_GET, .path_prefix = SENT,
	  .sql = "SELECT messaging.sent_get($1::uuid, $2::uuid)",
	  .args = { IS_ARG_CALLER, IS_ARG_PATH_ID } },
	{ .name = "sent_delete", .route = "^" SENT "[^/]+$",
	  .method = HTTP_METHOD_DELETE, .path_prefix = SENT,
	  .sql = "SELECT messaging.sent_delete($1::uuid, $2::uuid)",
	  .args = { IS_ARG_CALLER, IS_ARG_PATH_ID }, .status = 204 },
	IS_ENDPOINTS_END
};
