/*
 * Every answer goes through here: common headers, the request ID, the
 * access log line and the route's metrics. Errors are problem+json only.
 */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "endpoint.h"
#include "reply.h"
#include "iscommon/config.h"
#include "iscommon/log.h"
#include "iscommon/metrics.h"
#include "iscommon/problem.h"

static void	finish(struct http_request *, int);

static void
finish(struct http_request *req, int status)
{
	struct is_ctx	*c;
	double		 ms;

	c = is_ctx_get(req);
	http_response_header(req, "x-request-id", c->request_id);
	/* Kore 4.1 adds a header once more when it is set twice. */
	http_response_header(req, "cache-control",
	    c->cache_control != NULL ? c->cache_control : "no-store");
	ms = (double)(kore_time_ms() - c->start_ms);
	is_metrics_observe(c->ep != NULL ? c->ep->name : req->hdlr != NULL ?
	    req->hdlr->func : req->path, status, ms);
	/*
	 * nginx keeps the full access log; a service logs the requests worth
	 * a look (errors, slow ones), unless log.access = all.
	 */
	if (status >= 400 || ms >= (double)is_config_int("log.slow_ms", 200) ||
	    strcmp(is_config_get("log.access", "errors"), "all") == 0)
		is_log_access(c->request_id, http_method_text(req->method),
		    req->path, status, ms);
}

void
is_reply_cache_control(struct http_request *req, const char *value)
{
	is_ctx_get(req)->cache_control = value;
}

int
is_reply_json(struct http_request *req, int status, const char *json)
{
	finish(req, status);
	http_response_header(req, "content-type",
	    "application/json; charset=utf-8");
	http_response(req, status, json, strlen(json));
	return (KORE_RESULT_OK);
}

int
is_reply_obj(struct http_request *req, int status, cJSON *obj)
{
	char	*json;
	int	 rc;

	json = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (json == NULL)
		return (is_reply_problem(req, "internal", NULL));
	rc = is_reply_json(req, status, json);
	cJSON_free(json);
	return (rc);
}

int
is_reply_empty(struct http_request *req, int status)
{
	finish(req, status);
	http_response(req, status, NULL, 0);
	return (KORE_RESULT_OK);
}

int
is_reply_text(struct http_request *req, int status, const char *ctype,
    const char *data, size_t len)
{
	finish(req, status);
	http_response_header(req, "content-type", ctype);
	http_response(req, status, data, len);
	return (KORE_RESULT_OK);
}

int
is_reply_problem_errors(struct http_request *req, const char *code,
    const char *detail, cJSON *errors)
{
	struct is_ctx	*c;
	char		*doc;
	int		 status;

	c = is_ctx_get(req);
	doc = is_problem_render(code, detail, c->request_id, errors, &status);
	finish(req, status);
	http_response_header(req, "content-type",
	    "application/problem+json; charset=utf-8");
	if (status == 401)
		http_response_header(req, "www-authenticate",
		    "Bearer realm=\"is-system\"");
	/* A lost database connection is reset within a second. */
	if (status == 503)
		http_response_header(req, "retry-after", "1");
	http_response(req, status, doc, strlen(doc));
	cJSON_free(doc);
	return (KORE_RESULT_OK);
}

int
is_reply_problem(struct http_request *req, const char *code,
    const char *detail)
{
	return (is_reply_problem_errors(req, code, detail, NULL));
}
