/*
 * Administration: student import from CSV (per-row report, idempotent
 * re-import; admin role only), which hashes the initial password in a task
 * first, then makes one query; what a staff account is made of (the
 * endpoint is routes_activation.c's: staff get activation secrets); and
 * failed-login locks, which the International Office sees and clears.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "routes.h"
#include "iscommon/csvimport.h"

static const char *const	admin_only[] = { "admin", NULL };
/* Who helps a locked-out student: the International Office and admins. */
static const char *const	lock_keepers[] = { "admin", "io", NULL };
static const char *const	staff_roles[] = { "teacher", "counsellor",
				    "secretary", "io", "finance", "leader",
				    "admin", NULL };

const struct is_field	auth_staff_spec[] = {
	{ "staff_id", IS_F_STRING, 1, 4, 20, "^[A-Za-z0-9]+$", NULL },
	{ "family_name", IS_F_STRING, 1, 1, 80, NULL, NULL },
	{ "given_name", IS_F_STRING, 1, 1, 80, NULL, NULL },
	{ "school", IS_F_STRING, 0, 1, 80, NULL, NULL },
	{ "roles", IS_F_ARRAY, 1, 1, 7, NULL, NULL },
	{ "students", IS_F_ARRAY, 0, 0, 2000, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field	clear_spec[] = {
	{ "account", IS_F_STRING, 0, 1, 64, NULL, NULL },
	{ "address", IS_F_STRING, 0, 1, 45, "^[0-9a-fA-F.:]+$", NULL },
	IS_FIELDS_END
};

enum { ADMIN_HASH, ADMIN_STORE, ADMIN_ANSWER };

static int
hash_initial(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	auth_begin_hash(req, c, auth_conf.initial_password);
	req->fsm_state = ADMIN_STORE;
	return (HTTP_STATE_CONTINUE);
}

/* New students get the initial password, valid auth.initial_password_days. */
static int
store(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	const char	*hash;
	int		 rc;

	if ((rc = is_task_wait(req, c, &hash)) != 0)
		return (rc);
	is_db_begin(req, c, "SELECT auth.import_students($1::jsonb, $2, "
	    "$3::uuid, $4, $5, $6::int)", 6, (const char *[]){
	    is_csv_rows_json(c), hash, c->claims.sub, c->request_id,
	    is_client_type(req),
	    is_ctx_keep_num(c, auth_conf.initial_password_days) });
	req->fsm_state = ADMIN_ANSWER;
	return (HTTP_STATE_CONTINUE);
}

static int
answer(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	auth_changed(NULL);
	is_csv_reply(req, c);
	return (HTTP_STATE_COMPLETE);
}

/* Roles are staff roles, students are student IDs. */
int
auth_staff_check(struct http_request *req, struct is_ctx *c)
{
	const cJSON	*item;
	int		 i, ok;

	cJSON_ArrayForEach(item, cJSON_GetObjectItem(c->body, "roles")) {
		ok = 0;
		for (i = 0; cJSON_IsString(item) && staff_roles[i]; i++)
			ok |= strcmp(staff_roles[i], item->valuestring) == 0;
		if (!ok) {
			is_reply_problem(req, "validation",
			    "roles: unknown staff role");
			return (-1);
		}
	}
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(c->body, "students")) {
		if (!cJSON_IsString(item) || strlen(item->valuestring) > 20) {
			is_reply_problem(req, "validation",
			    "students: student IDs expected");
			return (-1);
		}
	}
	return (0);
}

/* An account or an address to clear, at least one. */
static int
clear_check(struct http_request *req, struct is_ctx *c)
{
	if (cJSON_GetObjectItem(c->body, "account") == NULL &&
	    cJSON_GetObjectItem(c->body, "address") == NULL) {
		is_reply_problem(req, "validation",
		    "account or address: one is required");
		return (-1);
	}
	return (0);
}

/* The state machines of the endpoints below. */
static struct http_state	admin_states[] = {
	KORE_HTTP_STATE(hash_initial),
	KORE_HTTP_STATE(store),
	KORE_HTTP_STATE(answer),
};

const struct is_endpoint	auth_admin_endpoints[] = {
	{ .name = "students_import",
	  .route = AUTH_PREFIX "admin/students/import",
	  .method = HTTP_METHOD_POST, .roles = admin_only,
	  .guard = &auth_session_live, .csv = is_csv_student_columns,
	  IS_STATES(admin_states) },
	{ .name = "locks", .route = AUTH_PREFIX "admin/locks",
	  .method = HTTP_METHOD_GET, .roles = lock_keepers,
	  .guard = &auth_session_live, .sql = "SELECT auth.locks_list()" },
	{ .name = "locks_clear", .route = AUTH_PREFIX "admin/locks/clear",
	  .method = HTTP_METHOD_POST, .roles = lock_keepers, .body = clear_spec,
	  .check = clear_check, .guard = &auth_session_live,
	  .sql = "SELECT auth.locks_clear($1::uuid, $2, $3, $4, $5)",
	  .args = { IS_ARG_CALLER, IS_ARG_FIELD("account"),
	      IS_ARG_FIELD("address"), IS_ARG_REQUEST_ID, IS_ARG_CLIENT } },
	IS_ENDPOINTS_END
};
