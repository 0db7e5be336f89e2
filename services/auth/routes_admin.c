/*
 * Administration: student import from CSV (per-row report, idempotent
 * re-import) and staff accounts with roles and scopes. Admin role only.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "routes.h"
#include "iscommon/csvimport.h"

int	auth_admin_import(struct http_request *);
int	auth_admin_staff(struct http_request *);

#define IMPORT_MAX	(2 * 1024 * 1024)

static const char *const admin_only[] = { "admin", NULL };
static const char *const staff_roles[] = { "teacher", "counsellor",
    "secretary", "io", "finance", "leader", "admin", NULL };

static const struct is_field staff_spec[] = {
	{ "staff_id", IS_F_STRING, 1, 4, 20, "^[A-Za-z0-9]+$", NULL },
	{ "family_name", IS_F_STRING, 1, 1, 80, NULL, NULL },
	{ "given_name", IS_F_STRING, 1, 1, 80, NULL, NULL },
	{ "school", IS_F_STRING, 0, 1, 80, NULL, NULL },
	{ "roles", IS_F_ARRAY, 1, 1, 7, NULL, NULL },
	{ "students", IS_F_ARRAY, 0, 0, 2000, NULL, NULL },
	IS_FIELDS_END
};

static const char *const sql_import =
    "SELECT auth.import_students($1::jsonb, $2, $3::uuid, $4, $5)";
static const char *const sql_staff =
    "SELECT auth.staff_upsert($1::jsonb, $2, $3::uuid, $4, $5)";

struct import_state {
	cJSON	*rows;
	cJSON	*rejected;
};

static void
import_state_free(void *p)
{
	struct import_state	*st = p;

	cJSON_Delete(st->rows);
	cJSON_Delete(st->rejected);
	free(st);
}

/* Merges the parser's rejections with the database's into one report. */
static int
import_reply(struct http_request *req, struct is_ctx *c,
    struct import_state *st)
{
	cJSON	*doc, *dbrej, *item;

	if (c->db_state == IS_FAILED || (doc = is_db_json(c)) == NULL)
		return (is_db_fail_reply(req, c));
	dbrej = cJSON_DetachItemFromObject(doc, "rejected");
	while (dbrej != NULL && cJSON_GetArraySize(dbrej) > 0) {
		item = cJSON_DetachItemFromArray(dbrej, 0);
		cJSON_AddItemToArray(st->rejected, item);
	}
	cJSON_Delete(dbrej);
	cJSON_AddItemToObject(doc, "rejected", st->rejected);
	st->rejected = NULL;
	return (is_reply_obj(req, 200, doc));
}

int
auth_admin_import(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct import_state	*st = c->user;
	const char		*ctype, *why;
	char			*raw, *rows;
	size_t			 len;
	int			 rc;

	switch (c->phase) {
	case 0:
		if (is_enter(req, c, 0, admin_only, NULL) == -1)
			return (KORE_RESULT_OK);
		if (!http_request_header(req, "content-type", &ctype) ||
		    strncasecmp(ctype, "text/csv", 8) != 0)
			return (is_reply_problem(req, "unsupported-media-type",
			    "send text/csv"));
		rc = is_read_raw(req, &raw, &len, IMPORT_MAX);
		if (rc == -2)
			return (is_reply_problem(req, "payload-too-large",
			    NULL));
		if (rc == -1)
			return (is_reply_problem(req, "bad-request", NULL));
		st = calloc(1, sizeof(*st));
		c->user = st;
		c->user_free = import_state_free;
		rc = is_csv_students(raw, len, &st->rows, &st->rejected, &why);
		free(raw);
		if (rc == -1)
			return (is_reply_problem(req, "import-invalid", why));
		auth_begin_hash(req, c, auth_conf.initial_password);
		c->phase = 1;
		/* FALLTHROUGH */
	case 1:
		if (is_task_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		if (c->task_state == IS_FAILED)
			return (is_reply_problem(req, "internal", NULL));
		rows = cJSON_PrintUnformatted(st->rows);
		is_db_begin(req, c, sql_import, 5, (const char *[]){ rows,
		    c->task_out, c->claims.sub, c->request_id,
		    is_client_type(req) });
		cJSON_free(rows);
		c->phase = 2;
		/* FALLTHROUGH */
	case 2:
		if (is_db_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		auth_changed(NULL);
		return (import_reply(req, c, st));
	}
	return (is_reply_problem(req, "internal", NULL));
}

static int
check_staff_lists(struct http_request *req, cJSON *body)
{
	const cJSON	*item;
	int		 i, ok;

	cJSON_ArrayForEach(item, cJSON_GetObjectItem(body, "roles")) {
		ok = 0;
		for (i = 0; cJSON_IsString(item) && staff_roles[i]; i++)
			ok |= strcmp(staff_roles[i], item->valuestring) == 0;
		if (!ok) {
			is_reply_problem(req, "validation",
			    "roles: unknown staff role");
			return (-1);
		}
	}
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(body, "students")) {
		if (!cJSON_IsString(item) || strlen(item->valuestring) > 20) {
			is_reply_problem(req, "validation",
			    "students: student IDs expected");
			return (-1);
		}
	}
	return (0);
}

int
auth_admin_staff(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	char		*json;

	switch (c->phase) {
	case 0:
		if (is_enter(req, c, 0, admin_only, staff_spec) == -1 ||
		    check_staff_lists(req, c->body) == -1)
			return (KORE_RESULT_OK);
		auth_begin_hash(req, c, auth_conf.initial_password);
		c->phase = 1;
		/* FALLTHROUGH */
	case 1:
		if (is_task_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		if (c->task_state == IS_FAILED)
			return (is_reply_problem(req, "internal", NULL));
		json = cJSON_PrintUnformatted(c->body);
		is_db_begin(req, c, sql_staff, 5, (const char *[]){ json,
		    c->task_out, c->claims.sub, c->request_id,
		    is_client_type(req) });
		cJSON_free(json);
		c->phase = 2;
		/* FALLTHROUGH */
	case 2:
		if (is_db_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		auth_changed(NULL);
		return (is_db_reply(req, c, 200));
	}
	return (is_reply_problem(req, "internal", NULL));
}
