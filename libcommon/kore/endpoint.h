/*
 * Endpoints as declarations, the way Redis declares its commands in a
 * table: what an endpoint accepts (route, method, who may call, the body,
 * query or CSV it takes) and what it does (one SQL function with declared
 * arguments, the success status, how to answer). Every route of a
 * service's Kore configuration names is_endpoint_dispatch(), which finds
 * the declaration, authenticates the caller, checks the role, validates
 * the input, runs the query and answers. An endpoint with more steps
 * declares them instead: a Kore state machine (named states, run with
 * http_state_run) that starts after the same preamble.
 *
 * Each module lists its tables in is_service_endpoints. They are checked
 * at start-up, in Kore's parent before any worker starts: the SQL must use
 * exactly $1..$N for N arguments, every field an argument names must be
 * in the endpoint's specs, and declarations and Kore routes must match
 * one to one. A mismatch stops the service.
 */
#ifndef IS_ENDPOINT_H
#define IS_ENDPOINT_H

#include <kore/kore.h>
#include <kore/http.h>

#include "ctx.h"
#include "db.h"
#include "authn.h"

/* Flags besides IS_PUBLIC and IS_AUTH_ALLOW_MCP (authn.h). */
#define IS_INPUT_OWN		0x04	/* its states read body and query */

enum is_arg_kind {
	IS_ARGK_END = 0,
	IS_ARGK_CALLER,		/* the caller's account id (token "sub") */
	IS_ARGK_ROLES,		/* the caller's roles, a text[] literal */
	IS_ARGK_SESSION,	/* the caller's session id */
	IS_ARGK_ACCOUNT,	/* the caller's login name */
	IS_ARGK_FIELD,		/* a body or query field; NULL when absent */
	IS_ARGK_BODY,		/* the whole validated body, as JSON */
	IS_ARGK_PATH_ID,	/* the UUID after path_prefix (else 404) */
	IS_ARGK_LIMIT,		/* query "limit": 50 unless given, <= 200 */
	IS_ARGK_OFFSET,		/* query "offset": 0 unless given */
	IS_ARGK_CSV_ROWS,	/* the CSV body's valid rows, as JSON */
	IS_ARGK_REQUEST_ID,
	IS_ARGK_CLIENT,		/* web, miniprogram or cli */
	IS_ARGK_CONST,		/* a fixed text */
	IS_ARGK_FN,		/* computed; -1 when fn has answered */
};

struct is_arg {
	enum is_arg_kind	 kind;
	const char		*name;	/* FIELD: the field; CONST: the text */
	int			(*fn)(struct http_request *, struct is_ctx *,
				    const char **);
};

#define IS_ARG_CALLER		{ IS_ARGK_CALLER, NULL, NULL }
#define IS_ARG_ROLES		{ IS_ARGK_ROLES, NULL, NULL }
#define IS_ARG_SESSION		{ IS_ARGK_SESSION, NULL, NULL }
#define IS_ARG_ACCOUNT		{ IS_ARGK_ACCOUNT, NULL, NULL }
#define IS_ARG_FIELD(f)		{ IS_ARGK_FIELD, (f), NULL }
#define IS_ARG_BODY		{ IS_ARGK_BODY, NULL, NULL }
#define IS_ARG_PATH_ID		{ IS_ARGK_PATH_ID, NULL, NULL }
#define IS_ARG_LIMIT		{ IS_ARGK_LIMIT, NULL, NULL }
#define IS_ARG_OFFSET		{ IS_ARGK_OFFSET, NULL, NULL }
#define IS_ARG_CSV_ROWS		{ IS_ARGK_CSV_ROWS, NULL, NULL }
#define IS_ARG_REQUEST_ID	{ IS_ARGK_REQUEST_ID, NULL, NULL }
#define IS_ARG_CLIENT		{ IS_ARGK_CLIENT, NULL, NULL }
#define IS_ARG_CONST(v)		{ IS_ARGK_CONST, (v), NULL }
#define IS_ARG_FN(f)		{ IS_ARGK_FN, NULL, (f) }

/*
 * A check before the endpoint's own work: one query whose value is {} to
 * go on, or a refusal ({"error": code}) to answer with. auth's routes ask
 * whether the caller's session is still live (and recently proved).
 */
#define IS_GUARD_MAX_ARGS	4

struct is_guard {
	const char		*sql;
	struct is_arg		 args[IS_GUARD_MAX_ARGS + 1];
};

struct is_endpoint {
	const char		*name;		/* in metrics and logs */
	const char		*route;		/* as the Kore config has it */
	int			 method;	/* HTTP_METHOD_GET, ... */
	int			 flags;		/* IS_PUBLIC, ... */
	/* A setting that must be 1, else the endpoint is not there (404). */
	const char		*setting;
	const char *const	*roles;		/* NULL: any signed-in caller */

	/* Input: a JSON body, else a CSV body, else the query string (none
	 * allowed without a spec). */
	const struct is_field	*body;
	const struct is_field	*csv;		/* the CSV's columns */
	const struct is_field	*query;
	const char		*path_prefix;	/* IS_ARG_PATH_ID's id follows */
	/* More checks of the input, after the specs; -1 when answered. */
	int			(*check)(struct http_request *, struct is_ctx *);
	const struct is_guard	*guard;		/* after the checks */

	/* One query... */
	const char		*sql;
	struct is_arg		 args[IS_DB_MAX_PARAMS + 1];
	int			 status;	/* on success (0: 200) */
	/* ...answered with its value, or by reply when set. */
	int			(*reply)(struct http_request *, struct is_ctx *);

	/* Or more steps (IS_STATES), and constant data of their own (which
	 * kind of code, of ticket...). A state answers and returns
	 * HTTP_STATE_COMPLETE, or sets req->fsm_state and continues. */
	struct http_state	*states;
	u_int8_t		 nstates;
	const void		*data;
};

#define IS_ENDPOINTS_END	{ .name = NULL }
#define IS_STATES(s)		.states = (s), \
				.nstates = sizeof(s) / sizeof((s)[0])

/* A last state: waits for the query and answers with its value. */
int	is_state_answer(struct http_request *);

/* The module's tables, NULL-terminated: each service defines it. */
extern const struct is_endpoint *const	is_service_endpoints[];

int	is_endpoint_dispatch(struct http_request *);
/* Catch-alls: 404 after authenticating, and plain 404. */
int	is_fallback(struct http_request *);
int	is_not_found(struct http_request *);

/* Start-up check of every declaration against the Kore routes. */
void	is_endpoints_check(void);

/* A declared field as a query parameter (number/bool/JSON as text). */
const char	*is_field_text(struct is_ctx *, const char *name);
/* The validated body as JSON text, kept with the request. */
const char	*is_body_text(struct is_ctx *);

#endif
