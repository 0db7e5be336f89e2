/*
 * The messaging service module. This issue provides the delivery outbox
 * (sent by is-deliverer) and the development sink reader; inbox, notices
 * and reminders come with the messaging issue.
 */
#include <stdlib.h>
#include <string.h>

#include "iskore.h"
#include "iscommon/config.h"

int	is_messaging_init(int);
int	msg_root(struct http_request *);
int	msg_dev_sink(struct http_request *);
int	msg_outbox(struct http_request *);

static const struct is_service service = { "messaging", 0, NULL };
static const char *const admin_only[] = { "admin", NULL };

/* The newest messages the sink "delivered" to one recipient. */
static const char *const sql_sink =
    "SELECT coalesce(jsonb_agg(m ORDER BY m.id DESC), '[]') FROM ("
    "  SELECT id, outbox_id, channel, recipient, subject, body,"
    "   delivered_at FROM messaging.dev_sink WHERE lower(recipient) ="
    "   lower($1) ORDER BY id DESC LIMIT $2::int) m";

/*
 * Delivery status for operators: the newest outbox rows, optionally of one
 * status. Sensitive bodies (codes) are never shown.
 */
static const char *const sql_outbox =
    "SELECT coalesce(jsonb_agg(m ORDER BY m.id DESC), '[]') FROM ("
    "  SELECT id, channel, recipient, subject, status, attempts,"
    "   last_error, next_attempt_at, created_at, sent_at, request_id,"
    "   CASE WHEN sensitive THEN NULL ELSE body END AS body"
    "  FROM messaging.outbox WHERE ($1 = '' OR status = $1)"
    "  AND ($2 = '' OR lower(recipient) = lower($2))"
    "  ORDER BY id DESC LIMIT $3::int) m";

static const char *const statuses[] = { "pending", "sent", "failed", "dead",
    NULL };

int
is_messaging_init(int state)
{
	if (state == KORE_MODULE_UNLOAD)
		return (KORE_RESULT_OK);
	return (is_service_init(&service));
}

int
msg_root(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (is_authenticate(req, c, 0) == -1)
		return (KORE_RESULT_OK);
	return (is_reply_problem(req, "not-found", NULL));
}

/*
 * GET /api/v1/messaging/dev/sink?to=ADDRESS[&limit=N] (admin, and only when
 * messaging.dev_sink = 1): what the development transport "sent".
 */
int
msg_dev_sink(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	const char	*to, *limit;
	char		*end;
	long		 n;

	if (c->phase == 0) {
		if (is_config_int("messaging.dev_sink", 0) != 1)
			return (is_reply_problem(req, "not-found", NULL));
		if (is_enter(req, c, 0, admin_only, NULL) == -1)
			return (KORE_RESULT_OK);
		if (is_query_get(req, c, "to", &to) == -1 || *to == '\0' ||
		    strlen(to) > 254)
			return (is_reply_problem(req, "validation",
			    "to: a recipient is required"));
		if (is_query_get(req, c, "limit", &limit) == -1)
			limit = "10";
		n = strtol(limit, &end, 10);
		if (*end != '\0' || n < 1 || n > 100)
			return (is_reply_problem(req, "validation",
			    "limit: 1 to 100"));
		is_db_begin(req, c, sql_sink, 2, (const char *[]){ to, limit });
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	return (is_db_reply(req, c, 200));
}

/* GET /api/v1/messaging/outbox[?status=&to=&limit=] (admin). */
int
msg_outbox(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	const char	*status, *to, *limit;
	char		*end;
	long		 n;
	int		 i, ok;

	if (c->phase == 0) {
		if (is_enter(req, c, 0, admin_only, NULL) == -1)
			return (KORE_RESULT_OK);
		if (is_query_get(req, c, "status", &status) == -1)
			status = "";
		for (ok = *status == '\0', i = 0; statuses[i] != NULL; i++)
			ok |= strcmp(statuses[i], status) == 0;
		if (!ok)
			return (is_reply_problem(req, "validation",
			    "status: pending, sent, failed or dead"));
		if (is_query_get(req, c, "to", &to) == -1)
			to = "";
		if (strlen(to) > 254)
			return (is_reply_problem(req, "validation",
			    "to: too long"));
		if (is_query_get(req, c, "limit", &limit) == -1)
			limit = "50";
		n = strtol(limit, &end, 10);
		if (*end != '\0' || n < 1 || n > 500)
			return (is_reply_problem(req, "validation",
			    "limit: 1 to 500"));
		is_db_begin(req, c, sql_outbox, 3, (const char *[]){ status, to,
		    limit });
		c->phase = 1;
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	return (is_db_reply(req, c, 200));
}
