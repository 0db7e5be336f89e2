/*
 * The messaging service module: the delivery outbox's status for
 * operators, and the development sink (what the local stack "sent").
 * is-deliverer (deliverer.c) sends the outbox; letters and the boxes are
 * letters.c's.
 */
#include <stdlib.h>

#include "iskore.h"
#include "iscommon/metrics.h"
#include "messaging.h"

#define PREFIX	MSG_PREFIX

static const char *const	admins[] = { "admin", NULL };
static const char *const	statuses[] = { "pending", "sent", "failed",
				    "dead", NULL };

static const struct is_field	sink_query[] = {
	{ "to", IS_F_STRING, 1, 1, 254, NULL, NULL },
	{ "limit", IS_F_STRING, 0, 1, 3, "^([1-9][0-9]?|100)$", NULL },
	IS_FIELDS_END
};

static const struct is_field	outbox_query[] = {
	{ "status", IS_F_STRING, 0, 0, 0, NULL, statuses },
	{ "to", IS_F_STRING, 0, 1, 254, NULL, NULL },
	{ "limit", IS_F_STRING, 0, 1, 3, "^([1-9][0-9]{0,1}|[1-4][0-9]{2}|500)$",
	    NULL },
	IS_FIELDS_END
};

static const struct is_endpoint	endpoints[] = {
	/* What the development transport "sent" to one recipient. */
	{ .name = "dev_sink", .route = PREFIX "dev/sink",
	  .method = HTTP_METHOD_GET, .setting = "messaging.dev_sink",
	  .roles = admins, .query = sink_query,
	  .sql = "SELECT messaging.dev_sink_list($1, "
	      "coalesce($2::int, 10))",
	  .args = { IS_ARG_FIELD("to"), IS_ARG_FIELD("limit") } },
	/* Delivery status; sensitive bodies (codes) are never shown. */
	{ .name = "outbox", .route = PREFIX "outbox",
	  .method = HTTP_METHOD_GET, .roles = admins, .query = outbox_query,
	  .sql = "SELECT messaging.outbox_list($1, $2, coalesce($3::int, 50))",
	  .args = { IS_ARG_FIELD("status"), IS_ARG_FIELD("to"),
	      IS_ARG_FIELD("limit") } },
	IS_ENDPOINTS_END
};

/* The outbox's backlog, for /metrics (every worker sees the same). */
static void
outbox_seen(void *arg, const char *value)
{
	cJSON	*doc;
	int	 id = worker != NULL ? (int)worker->id : 0;

	(void)arg;
	if (value == NULL || (doc = cJSON_Parse(value)) == NULL)
		return;
	is_metrics_gauge(IS_GAUGE_OUTBOX_PENDING, id,
	    (double)is_json_int(doc, "pending", 0));
	is_metrics_gauge(IS_GAUGE_OUTBOX_OLDEST, id, cJSON_GetNumberValue(
	    cJSON_GetObjectItem(doc, "oldest_age_seconds")));
	cJSON_Delete(doc);
}

static int
messaging_init(void)
{
	is_periodic_watch("outbox", "SELECT messaging.outbox_stats()", 5000,
	    NULL, outbox_seen, NULL);
	return (0);
}

const struct is_service		is_this_service = { "messaging", 0,
				    messaging_init };
const struct is_endpoint *const	is_service_endpoints[] = { endpoints,
				    msg_letter_endpoints, msg_notice_endpoints,
				    NULL };
