/*
 * Accounts opened without a shared password (activation.sql):
 *   POST /admin/staff                a new member of staff gets a one-time
 *                                    activation secret, never the initial
 *                                    password (admin; the staff fields and
 *                                    roles are routes_admin.c's)
 *   POST /admin/activation           a new secret for an account: its
 *                                    password stops working (admin; the
 *                                    International Office for students)
 *   GET  /admin/not-activated        who has not activated yet
 *   POST /activate                   the holder sets a password with it
 * The secret is answered once, to the member of staff who hands it over
 * out of band; the database keeps its HMAC. It expires after
 * auth.activation_ttl (72 h). /activate checks it before hashing the new
 * password, so a wrong one costs no scrypt.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "routes.h"

static const char *const	admin_only[] = { "admin", NULL };
static const char *const	activators[] = { "admin", "io", NULL };

static const struct is_field	issue_spec[] = {
	{ "account", IS_F_STRING, 1, 4, 20, "^[A-Za-z0-9]+$", NULL },
	IS_FIELDS_END
};

static const struct is_field	activate_spec[] = {
	{ "account", IS_F_STRING, 1, 4, 20, "^[A-Za-z0-9]+$", NULL },
	{ "secret", IS_F_STRING, 1, 20, 64, "^[A-Za-z0-9_-]+$", NULL },
	{ "new_password", IS_F_STRING, 1, 1, 256, NULL, NULL },
	IS_FIELDS_END
};

static const struct is_field	list_query[] = {
	{ "school", IS_F_STRING, 0, 1, 80, NULL, NULL },
	{ "limit", IS_F_STRING, 0, 1, 3, "^[1-9][0-9]{0,2}$", NULL },
	{ "offset", IS_F_STRING, 0, 1, 7, "^[0-9]{1,7}$", NULL },
	IS_FIELDS_END
};

/* The secret made for this request, answered once (kept). */
struct activation {
	const char	*secret;
	char		 hash[65];
};

static const struct is_part	activation_part = { "activation",
				    sizeof(struct activation), NULL };

enum { ISSUE_STORE, ISSUE_ANSWER };

/* A new random secret and its HMAC; -1 when it has answered. */
static int
new_secret(struct http_request *req, struct is_ctx *c, struct activation *a)
{
	char	*t;

	if ((t = is_random_token(24)) == NULL ||
	    auth_token_hash(auth_conf.token_secret, "activation", t,
	    a->hash) == -1) {
		free(t);
		is_reply_problem(req, "internal", NULL);
		return (-1);
	}
	a->secret = is_ctx_keep(c, t);
	free(t);
	return (0);
}

/* .data: the query, taking $1 the body or the account, $2 the secret's
 * HMAC, $3 its lifetime, $4 the caller, $5 the roles, $6 the request ID
 * and $7 the client type. */
static int
issue_store(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct activation	*a = is_ctx_part(c, &activation_part);

	if (new_secret(req, c, a) == -1)
		return (HTTP_STATE_COMPLETE);
	is_db_begin(req, c, c->ep->data, 7, (const char *[]){ is_body_text(c),
	    a->hash, is_ctx_keep_num(c, auth_conf.activation_ttl),
	    c->claims.sub, is_roles_literal(c), c->request_id,
	    is_client_type(req) });
	req->fsm_state = ISSUE_ANSWER;
	return (HTTP_STATE_CONTINUE);
}

/* The query's answer, with the secret when it made an activation. */
static int
issue_answer(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct activation	*a = is_ctx_part(c, &activation_part);
	cJSON			*doc, *expires, *act;

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if ((doc = is_db_result(req, c)) == NULL)
		return (HTTP_STATE_COMPLETE);
	auth_changed(NULL);
	if ((expires = cJSON_DetachItemFromObject(doc,
	    "activation_expires_at")) != NULL) {
		act = cJSON_AddObjectToObject(doc, "activation");
		cJSON_AddStringToObject(act, "secret", a->secret);
		cJSON_AddItemToObject(act, "expires_at", expires);
		cJSON_AddStringToObject(act, "activate", AUTH_PREFIX "activate");
	}
	is_reply_obj(req, 200, doc);
	return (HTTP_STATE_COMPLETE);
}

enum { ACTIVATE_CHECK, ACTIVATE_HASH, ACTIVATE_STORE, ACTIVATE_ANSWER };

static int
activate_check(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct activation	*a = is_ctx_part(c, &activation_part);
	enum auth_pw_verdict	 v;

	v = auth_password_check(is_json_str(c->body, "new_password"),
	    is_json_str(c->body, "account"), auth_conf.initial_password,
	    auth_conf.password_min_length);
	if (v != AUTH_PW_OK) {
		auth_reply_weak_password(req, auth_password_reason(v));
		return (HTTP_STATE_COMPLETE);
	}
	if (auth_token_hash(auth_conf.token_secret, "activation",
	    is_json_str(c->body, "secret"), a->hash) == -1) {
		is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	is_db_begin(req, c, "SELECT auth.activation_check($1, $2, $3, $4)", 4,
	    (const char *[]){ is_json_str(c->body, "account"), a->hash,
	    c->request_id, is_client_type(req) });
	req->fsm_state = ACTIVATE_HASH;
	return (HTTP_STATE_CONTINUE);
}

/* The secret opens the account: the new password is hashed. */
static int
activate_hash(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	cJSON		*doc;

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if ((doc = is_db_result(req, c)) == NULL)
		return (HTTP_STATE_COMPLETE);
	cJSON_Delete(doc);
	auth_begin_hash(req, c, is_json_str(c->body, "new_password"));
	req->fsm_state = ACTIVATE_STORE;
	return (HTTP_STATE_CONTINUE);
}

static int
activate_store(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct activation	*a = is_ctx_part(c, &activation_part);
	const char		*hash;
	int			 rc;

	if ((rc = is_task_wait(req, c, &hash)) != 0)
		return (rc);
	is_db_begin(req, c, "SELECT auth.activate($1, $2, $3, $4, $5)", 5,
	    (const char *[]){ is_json_str(c->body, "account"), a->hash, hash,
	    c->request_id, is_client_type(req) });
	req->fsm_state = ACTIVATE_ANSWER;
	return (HTTP_STATE_CONTINUE);
}

static struct http_state	issue_states[] = {
	KORE_HTTP_STATE(issue_store),
	KORE_HTTP_STATE(issue_answer),
};

static struct http_state	activate_states[] = {
	KORE_HTTP_STATE(activate_check),
	KORE_HTTP_STATE(activate_hash),
	KORE_HTTP_STATE(activate_store),
	KORE_HTTP_STATE(is_state_answer),	/* ACTIVATE_ANSWER */
};

const struct is_endpoint	auth_activation_endpoints[] = {
	{ .name = "staff_upsert", .route = AUTH_PREFIX "admin/staff",
	  .method = HTTP_METHOD_POST, .roles = admin_only,
	  .body = auth_staff_spec, .check = auth_staff_check,
	  .guard = &auth_session_live, IS_STATES(issue_states),
	  .data = "SELECT auth.staff_upsert($1::jsonb, $2, $3::int, "
	      "$4::uuid, $5::text[], $6, $7)" },
	{ .name = "activation_issue", .route = AUTH_PREFIX "admin/activation",
	  .method = HTTP_METHOD_POST, .roles = activators, .body = issue_spec,
	  .guard = &auth_session_live, IS_STATES(issue_states),
	  .data = "SELECT auth.activation_issue($4::uuid, $5::text[], "
	      "$1::jsonb->>'account', $2, $3::int, $6, $7)" },
	{ .name = "not_activated", .route = AUTH_PREFIX "admin/not-activated",
	  .method = HTTP_METHOD_GET, .roles = activators, .query = list_query,
	  .guard = &auth_session_live,
	  .sql = "SELECT auth.not_activated($1, $2::int, $3::int)",
	  .args = { IS_ARG_FIELD("school"), IS_ARG_LIMIT, IS_ARG_OFFSET } },
	{ .name = "activate", .route = AUTH_PREFIX "activate",
	  .method = HTTP_METHOD_POST, .flags = IS_PUBLIC, .body = activate_spec,
	  IS_STATES(activate_states) },
	IS_ENDPOINTS_END
};
