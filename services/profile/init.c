/*
 * The profile service. This issue lays down the module: it starts, answers
 * health and metrics, and refuses unauthenticated calls; its endpoints
 * come with its own issue.
 */
#include "iskore.h"

int	is_profile_init(int);
int	prof_root(struct http_request *);

static const struct is_service service = { "profile", 0, NULL };

int
is_profile_init(int state)
{
	if (state == KORE_MODULE_UNLOAD)
		return (KORE_RESULT_OK);
	return (is_service_init(&service));
}

/* Everything else under /api/v1/profile/ needs a valid token. */
int
prof_root(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (is_authenticate(req, c, 0) == -1)
		return (KORE_RESULT_OK);
	return (is_reply_problem(req, "not-found", NULL));
}
