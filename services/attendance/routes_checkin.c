/*
 * QR check-in: the hot path at the start of every class. The code is
 * verified here (signature, window); scans then wait for the next batch
 * (attendance.checkin_batch), which inserts every one that passes all the
 * database's checks in one statement and one commit. A scan the batch did
 * not insert is asked of attendance.checkin alone, which answers the
 * repeat or says what failed. Nobody is answered before their record is
 * committed. Lateness is judged by when the scan arrived here (bounded by
 * the database's clock, attendance.arrival), not by when its batch ran.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "routes.h"
#include "attendance.h"

static const struct is_field	checkin_spec[] = {
	{ "code", IS_F_STRING, 1, 10, ATT_QR_MAX, NULL, NULL },
	{ "latitude", IS_F_NUMBER, 1, -90, 90, NULL, NULL },
	{ "longitude", IS_F_NUMBER, 1, -180, 180, NULL, NULL },
	{ "accuracy", IS_F_NUMBER, 1, 0, 100000, NULL, NULL },
	IS_FIELDS_END
};

static const char *const	sql_checkin =
    "SELECT attendance.checkin($1::uuid, $2::uuid, $3::text[], $4, "
    "$5::float8, $6::float8, $7::float8, $8::float8)";

/* A scan: the session its code names, when it arrived (epoch seconds). */
struct checkin {
	char	session[37];
	double	arrived;
};

static const struct is_part	checkin_part = { "checkin",
				    sizeof(struct checkin), NULL };

enum { CHECKIN_SUBMIT, CHECKIN_BATCHED, CHECKIN_ALONE };

/* The scan as the batch statement takes it. */
static cJSON *
checkin_item(struct is_ctx *c, const struct checkin *st)
{
	cJSON	*item, *roles;
	int	 i;

	item = cJSON_CreateObject();
	cJSON_AddStringToObject(item, "session", st->session);
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
	cJSON_AddNumberToObject(item, "at", st->arrived);
	return (item);
}

static int
checkin_submit(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	struct checkin	*st = is_ctx_part(c, &checkin_part);
	struct timespec	 now;
	int		 rc;

	(void)clock_gettime(CLOCK_REALTIME, &now);
	st->arrived = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	if (strcmp(c->claims.client, "miniprogram") != 0 ||
	    c->claims.wx[0] == '\0') {
		is_reply_problem(req, "wechat-login-required", "Open the "
		    "mini-program, log in with your bound WeChat and scan the "
		    "class code again");
		return (HTTP_STATE_COMPLETE);
	}
	rc = att_qr_verify(att_conf.qr_secret, is_json_str(c->body, "code"),
	    time(NULL), att_conf.qr_rotate_seconds,
	    att_conf.qr_accept_windows, st->session);
	if (rc != ATT_QR_OK) {
		is_reply_problem(req, rc == ATT_QR_EXPIRED ? "qr-expired" :
		    "qr-invalid", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	is_batch_submit(att_checkin_batch, c, checkin_item(c, st));
	req->fsm_state = CHECKIN_BATCHED;
	return (HTTP_STATE_CONTINUE);
}

static int
checkin_batched(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	struct checkin	*st = is_ctx_part(c, &checkin_part);
	char		 lat[32], lon[32], acc[32], at[32];

	if (is_batch_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if (is_db_state(c) == IS_DONE && is_db_value(c) != NULL) {
		is_db_reply(req, c, 200);
		return (HTTP_STATE_COMPLETE);
	}
	/* Not inserted (or the batch failed): this scan alone. */
	snprintf(lat, sizeof(lat), "%.7f",
	    cJSON_GetObjectItem(c->body, "latitude")->valuedouble);
	snprintf(lon, sizeof(lon), "%.7f",
	    cJSON_GetObjectItem(c->body, "longitude")->valuedouble);
	snprintf(acc, sizeof(acc), "%.7f",
	    cJSON_GetObjectItem(c->body, "accuracy")->valuedouble);
	snprintf(at, sizeof(at), "%.3f", st->arrived);
	is_db_begin(req, c, sql_checkin, 8, (const char *[]){ st->session,
	    c->claims.sub, is_roles_literal(c), c->claims.wx, lat, lon, acc,
	    at });
	req->fsm_state = CHECKIN_ALONE;
	return (HTTP_STATE_CONTINUE);
}

/* The state machines of the endpoints below. */
static struct http_state	checkin_states[] = {
	KORE_HTTP_STATE(checkin_submit),
	KORE_HTTP_STATE(checkin_batched),
	KORE_HTTP_STATE(is_state_answer),	/* CHECKIN_ALONE */
};

const struct is_endpoint	att_checkin_endpoints[] = {
	{ .name = "checkin", .route = ATT_PREFIX "checkin",
	  .method = HTTP_METHOD_POST, .roles = att_students,
	  .body = checkin_spec, IS_STATES(checkin_states) },
	IS_ENDPOINTS_END
};
