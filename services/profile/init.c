/*
 * The profile service. The module starts, answers health and metrics, and
 * refuses unauthenticated calls; its endpoints come with its own issue.
 */
#include "iskore.h"

const struct is_service		is_this_service = { "profile", 0, NULL };
const struct is_endpoint *const	is_service_endpoints[] = { NULL };
