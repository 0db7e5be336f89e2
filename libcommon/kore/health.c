/*
 * /healthz (the process answers and its database is reachable), /readyz
 * (same check, for orchestrators) and /metrics (Prometheus text, for a
 * scraper with metrics.token; nginx does not forward it). Every service
 * routes these under /api/v1/<service>/. /bench/hello is the
 * nginx -> Kore baseline of tests/bench, answered only when the bench
 * scripts turn bench.routes on.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "reply.h"
#include "service.h"
#include "iscommon/config.h"
#include "iscommon/crypto.h"
#include "iscommon/metrics.h"

static int	db_check(struct http_request *);

static int
db_check(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	cJSON		*doc;
	int		 ok;

	if (!c->entered) {
		c->entered = 1;
		is_db_begin(req, c, "SELECT 1", 0, NULL);
	}
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	ok = is_db_state(c) == IS_DONE;
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "service", is_service_name());
	cJSON_AddStringToObject(doc, "status", ok ? "ok" : "degraded");
	cJSON_AddStringToObject(doc, "database", ok ? "ok" : "unreachable");
	return (is_reply_obj(req, ok ? 200 : 503, doc));
}

int
is_healthz(struct http_request *req)
{
	return (db_check(req));
}

int
is_readyz(struct http_request *req)
{
	return (db_check(req));
}

int
is_metrics(struct http_request *req)
{
	static const char	*token;
	const char		*hdr;
	char			*text;
	int			 rc;

	(void)is_ctx_get(req);
	/* A scraper shows metrics.token when one is set (the local stack and
	 * production set one); nginx never forwards /metrics. */
	if (token == NULL)
		token = is_config_get("metrics.token", "");
	if (token[0] != '\0' && (!http_request_header(req, "authorization",
	    &hdr) || strncasecmp(hdr, "Bearer ", 7) != 0 ||
	    !is_secure_streq(hdr + 7, token)))
		return (is_reply_problem(req, "unauthorized", NULL));
	text = is_metrics_render();
	rc = is_reply_text(req, 200, "text/plain; version=0.0.4",
	    text, strlen(text));
	free(text);
	return (rc);
}

/* No authentication, no database: what nginx -> Kore costs alone. */
int
is_hello(struct http_request *req)
{
	static int	enabled = -1;

	if (enabled == -1)
		enabled = is_config_int("bench.routes", 0) == 1;
	if (!enabled)
		return (is_reply_problem(req, "not-found", NULL));
	http_response_header(req, "content-type", "text/plain");
	http_response(req, 200, "hello\n", 6);
	return (KORE_RESULT_OK);
}
