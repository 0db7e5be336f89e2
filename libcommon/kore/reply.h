/*
 * Answers. Every answer goes through these: common headers (request ID,
 * Cache-Control), the access log line and the route's metrics. Errors are
 * problem+json only, from the catalogue (libcommon/src/problem.c).
 */
#ifndef IS_REPLY_H
#define IS_REPLY_H

#include <kore/kore.h>
#include <kore/http.h>

#include <cjson/cJSON.h>

int	is_reply_json(struct http_request *, int, const char *);
int	is_reply_obj(struct http_request *, int, cJSON *);
int	is_reply_empty(struct http_request *, int);
int	is_reply_text(struct http_request *, int, const char *,
	    const char *, size_t);
int	is_reply_problem(struct http_request *, const char *, const char *);
int	is_reply_problem_errors(struct http_request *, const char *,
	    const char *, cJSON *);
/* The Cache-Control of the coming answer (no-store unless set). */
void	is_reply_cache_control(struct http_request *, const char *);

#endif
