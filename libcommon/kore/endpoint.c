/*
 * The endpoint runner (endpoint.h): finds a request's declaration, runs
 * the common preamble (token, role, input), builds the declared arguments,
 * runs the query and answers; and, at start-up, checks every declaration
 * against its SQL, its specs and the Kore routes.
 */
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "csvreq.h"
#include "reply.h"
#include "iscommon/config.h"
#include "iscommon/strutil.h"
#include "iscommon/sqlcheck.h"

#define DISPATCHER	"is_endpoint_dispatch"
#define ROUTES_MAX	128
#define PAGE_DEFAULT	"50"
#define PAGE_MAX	200
#define CSV_MAX		(2 * 1024 * 1024)

static const struct is_endpoint	*endpoint_find(struct http_request *);
static int	endpoint_enter(struct http_request *, struct is_ctx *);
static int	endpoint_args(struct http_request *, struct is_ctx *,
		    const struct is_arg *, const char **, int *);
static int	endpoint_start(struct http_request *, struct is_ctx *);
static int	path_id(struct http_request *, struct is_ctx *,
		    const char **);
static const char *page_arg(struct is_ctx *, const char *, const char *);

static const struct is_field	no_query[] = { IS_FIELDS_END };

/*
 * The declaration of a request's route and method. Each worker remembers
 * what it found for a route handle; the tables are searched once.
 */
static const struct is_endpoint *
endpoint_find(struct http_request *req)
{
	static struct {
		const struct kore_module_handle	*hdlr;
		int				 method;
		const struct is_endpoint	*ep;
	}				 seen[ROUTES_MAX];
	static int			 nseen;
	const struct is_endpoint	*const *table, *ep;
	int				 i;

	for (i = 0; i < nseen; i++) {
		if (seen[i].hdlr == req->hdlr && seen[i].method == req->method)
			return (seen[i].ep);
	}
	for (table = is_service_endpoints; *table != NULL; table++) {
		for (ep = *table; ep->name != NULL; ep++) {
			if (ep->method != req->method ||
			    strcmp(ep->route, req->hdlr->path) != 0)
				continue;
			if (nseen < ROUTES_MAX) {
				seen[nseen].hdlr = req->hdlr;
				seen[nseen].method = req->method;
				seen[nseen].ep = ep;
				nseen++;
			}
			return (ep);
		}
	}
	return (NULL);
}

/* Who may call, and what they send. -1 when it has answered. */
static int
endpoint_enter(struct http_request *req, struct is_ctx *c)
{
	const struct is_endpoint	*ep = c->ep;

	if (ep->setting != NULL && is_config_int(ep->setting, 0) != 1) {
		is_reply_problem(req, "not-found", NULL);
		return (-1);
	}
	if (!(ep->flags & IS_PUBLIC) &&
	    is_authenticate(req, c, ep->flags) == -1)
		return (-1);
	if (ep->roles != NULL && is_require_role(req, c, ep->roles) == -1)
		return (-1);
	if (!(ep->flags & IS_INPUT_OWN)) {
		if (ep->body != NULL) {
			if (is_read_json(req, c, ep->body) == -1)
				return (-1);
		} else if (ep->csv != NULL) {
			if (is_read_csv(req, c, ep->csv, CSV_MAX) == -1)
				return (-1);
		} else if (is_read_query(req, c,
		    ep->query != NULL ? ep->query : no_query) == -1)
			return (-1);
	}
	if (ep->check != NULL && ep->check(req, c) == -1)
		return (-1);
	return (0);
}

/* The id after the declared prefix; answers 404 unless it is a UUID. */
static int
path_id(struct http_request *req, struct is_ctx *c, const char **out)
{
	char	id[40];

	if (is_path_tail(req, c->ep->path_prefix, id, sizeof(id)) == -1 ||
	    !is_uuid_valid(id)) {
		is_reply_problem(req, "not-found", NULL);
		return (-1);
	}
	*out = is_ctx_keep(c, id);
	return (0);
}

/* A paging value of the query, bounded. */
static const char *
page_arg(struct is_ctx *c, const char *name, const char *fallback)
{
	const char	*v = is_json_str(c->body, name);

	if (v == NULL)
		return (fallback);
	if (strcmp(name, "limit") == 0 && atol(v) > PAGE_MAX)
		return (is_ctx_keep_num(c, PAGE_MAX));
	return (v);
}

const char *
is_field_text(struct is_ctx *c, const char *name)
{
	const cJSON	*item;
	char		 num[40], *json;
	const char	*kept;

	item = cJSON_GetObjectItemCaseSensitive(c->body, name);
	if (cJSON_IsString(item))
		return (item->valuestring);
	if (cJSON_IsBool(item))
		return (cJSON_IsTrue(item) ? "t" : "f");
	if (cJSON_IsNumber(item)) {
		if (item->valuedouble == (double)(long)item->valuedouble)
			snprintf(num, sizeof(num), "%ld",
			    (long)item->valuedouble);
		else
			snprintf(num, sizeof(num), "%.17g", item->valuedouble);
		return (is_ctx_keep(c, num));
	}
	if (cJSON_IsArray(item) || cJSON_IsObject(item)) {
		json = cJSON_PrintUnformatted(item);
		kept = is_ctx_keep(c, json);
		cJSON_free(json);
		return (kept);
	}
	return (NULL);
}

const char *
is_body_text(struct is_ctx *c)
{
	char		*json;
	const char	*kept;

	json = cJSON_PrintUnformatted(c->body);
	kept = is_ctx_keep(c, json);
	cJSON_free(json);
	return (kept);
}

/* The declared arguments. -1 when it has answered (a bad path id...). */
static int
endpoint_args(struct http_request *req, struct is_ctx *c,
    const struct is_arg *args, const char **out, int *n)
{
	const struct is_arg	*a;

	for (a = args; a->kind != IS_ARGK_END; a++) {
		switch (a->kind) {
		case IS_ARGK_CALLER:
			out[*n] = c->claims.sub;
			break;
		case IS_ARGK_ROLES:
			out[*n] = is_roles_literal(c);
			break;
		case IS_ARGK_SESSION:
			out[*n] = c->claims.sid;
			break;
		case IS_ARGK_ACCOUNT:
			out[*n] = c->claims.account;
			break;
		case IS_ARGK_FIELD:
			out[*n] = is_field_text(c, a->name);
			break;
		case IS_ARGK_BODY:
			out[*n] = is_body_text(c);
			break;
		case IS_ARGK_PATH_ID:
			if (path_id(req, c, &out[*n]) == -1)
				return (-1);
			break;
		case IS_ARGK_LIMIT:
			out[*n] = page_arg(c, "limit", PAGE_DEFAULT);
			break;
		case IS_ARGK_OFFSET:
			out[*n] = page_arg(c, "offset", "0");
			break;
		case IS_ARGK_CSV_ROWS:
			out[*n] = is_csv_rows_json(c);
			break;
		case IS_ARGK_REQUEST_ID:
			out[*n] = c->request_id;
			break;
		case IS_ARGK_CLIENT:
			out[*n] = is_client_type(req);
			break;
		case IS_ARGK_CONST:
			out[*n] = a->name;
			break;
		case IS_ARGK_FN:
			if (a->fn(req, c, &out[*n]) == -1)
				return (-1);
			break;
		case IS_ARGK_END:
			break;
		}
		(*n)++;
	}
	return (0);
}

/* The endpoint's own work: its query (states start by themselves). */
static int
endpoint_start(struct http_request *req, struct is_ctx *c)
{
	const char	*args[IS_DB_MAX_PARAMS];
	int		 n = 0;

	if (c->ep->states != NULL)
		return (0);
	if (endpoint_args(req, c, c->ep->args, args, &n) == -1)
		return (-1);
	is_db_begin(req, c, c->ep->sql, n, args);
	return (0);
}

/* Named by every route of a service's Kore configuration. */
int
is_endpoint_dispatch(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	const char	*args[IS_DB_MAX_PARAMS];
	int		 n = 0;

	if (!c->entered) {
		c->entered = 1;
		/* The start-up check makes this impossible. */
		if ((c->ep = endpoint_find(req)) == NULL)
			return (is_reply_problem(req, "method-not-allowed",
			    NULL));
		if (endpoint_enter(req, c) == -1)
			return (KORE_RESULT_OK);
		if (c->ep->guard != NULL) {
			if (endpoint_args(req, c, c->ep->guard->args, args,
			    &n) == -1)
				return (KORE_RESULT_OK);
			is_db_begin(req, c, c->ep->guard->sql, n, args);
			c->guarding = 1;
		} else if (endpoint_start(req, c) == -1)
			return (KORE_RESULT_OK);
	}
	if (c->guarding) {
		if (is_db_poll(req, c) == IS_PENDING)
			return (KORE_RESULT_RETRY);
		/* A failure or a refusal is the answer; a guard that says
		 * nothing lets nothing through. */
		if (is_db_state(c) != IS_DONE || is_db_refusal(c) != NULL)
			return (is_db_reply(req, c, 200));
		if (is_db_doc(c) == NULL)
			return (is_reply_problem(req, "internal", NULL));
		c->guarding = 0;
		if (endpoint_start(req, c) == -1)
			return (KORE_RESULT_OK);
	}
	if (c->ep->states != NULL)
		return (http_state_run(c->ep->states, c->ep->nstates, req));
	if (is_db_poll(req, c) == IS_PENDING)
		return (KORE_RESULT_RETRY);
	if (c->ep->reply != NULL)
		return (c->ep->reply(req, c));
	return (is_db_reply(req, c, c->ep->status ? c->ep->status : 200));
}

int
is_state_answer(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	is_db_reply(req, c, c->ep->status ? c->ep->status : 200);
	return (HTTP_STATE_COMPLETE);
}

/*
 * Anything else under a service's prefix: a valid token first (and the
 * initial password changed), then 404.
 */
int
is_fallback(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (is_authenticate(req, c, 0) == -1)
		return (KORE_RESULT_OK);
	return (is_reply_problem(req, "not-found", NULL));
}

int
is_not_found(struct http_request *req)
{
	(void)is_ctx_get(req);
	return (is_reply_problem(req, "not-found", NULL));
}

/* ------------------------------------------------------------------ */
/* The start-up check, in Kore's parent: any mismatch is fatal. */

static int
spec_has(const struct is_field *spec, const char *name)
{
	for (; spec != NULL && spec->name != NULL; spec++) {
		if (strcmp(spec->name, name) == 0)
			return (1);
	}
	return (0);
}

/* A query and its declared arguments: $1..$N for N of them. */
static void
check_query(const char *name, const char *what, const char *sql, int nargs)
{
	int	used;

	if (nargs > IS_DB_MAX_PARAMS)
		fatal("endpoint %s: more than %d arguments", name,
		    IS_DB_MAX_PARAMS);
	if ((used = is_sql_placeholders(sql)) == -1)
		fatal("endpoint %s: its %s skips a placeholder", name, what);
	if (used != nargs)
		fatal("endpoint %s: its %s uses %d placeholders for %d "
		    "declared arguments", name, what, used, nargs);
}

static void
check_guard(const struct is_endpoint *ep)
{
	const struct is_arg	*a;
	int			 nargs = 0;

	if (ep->guard == NULL)
		return;
	if (ep->flags & IS_PUBLIC)
		fatal("endpoint %s: a public endpoint has no session to guard",
		    ep->name);
	for (a = ep->guard->args; a->kind != IS_ARGK_END; a++) {
		if (++nargs > IS_GUARD_MAX_ARGS)
			fatal("endpoint %s: more than %d guard arguments",
			    ep->name, IS_GUARD_MAX_ARGS);
		if (a->kind != IS_ARGK_CALLER && a->kind != IS_ARGK_SESSION &&
		    a->kind != IS_ARGK_ROLES && a->kind != IS_ARGK_CONST &&
		    a->kind != IS_ARGK_FN)
			fatal("endpoint %s: a guard argument (%d) is about the "
			    "caller, a constant or computed", ep->name, nargs);
		if (a->kind == IS_ARGK_FN && a->fn == NULL)
			fatal("endpoint %s: guard argument %d has no function",
			    ep->name, nargs);
	}
	check_query(ep->name, "guard", ep->guard->sql, nargs);
}

static void
check_declaration(const struct is_endpoint *ep)
{
	const struct is_arg	*a;
	int			 nargs = 0;

	if (ep->route == NULL || ep->method == 0)
		fatal("endpoint %s: no route or method", ep->name);
	check_guard(ep);
	if (ep->states != NULL) {
		if (ep->nstates == 0 || ep->sql != NULL ||
		    ep->args[0].kind != IS_ARGK_END || ep->reply != NULL)
			fatal("endpoint %s: an endpoint with states declares "
			    "no query of its own", ep->name);
		return;
	}
	if (ep->sql == NULL)
		fatal("endpoint %s: neither SQL nor states", ep->name);
	for (a = ep->args; a->kind != IS_ARGK_END; a++) {
		nargs++;
		if (a->kind == IS_ARGK_FIELD && !spec_has(ep->body, a->name) &&
		    !spec_has(ep->query, a->name))
			fatal("endpoint %s: argument %d names field '%s', "
			    "which its specs lack", ep->name, nargs, a->name);
		if ((a->kind == IS_ARGK_LIMIT && !spec_has(ep->query,
		    "limit")) || (a->kind == IS_ARGK_OFFSET &&
		    !spec_has(ep->query, "offset")))
			fatal("endpoint %s: paging without limit/offset in its "
			    "query", ep->name);
		if (a->kind == IS_ARGK_PATH_ID && ep->path_prefix == NULL)
			fatal("endpoint %s: a path id without path_prefix",
			    ep->name);
		if (a->kind == IS_ARGK_CSV_ROWS && ep->csv == NULL)
			fatal("endpoint %s: CSV rows without CSV columns",
			    ep->name);
		if (a->kind == IS_ARGK_FN && a->fn == NULL)
			fatal("endpoint %s: argument %d has no function",
			    ep->name, nargs);
		if ((ep->flags & IS_PUBLIC) && (a->kind == IS_ARGK_CALLER ||
		    a->kind == IS_ARGK_ROLES || a->kind == IS_ARGK_SESSION ||
		    a->kind == IS_ARGK_ACCOUNT))
			fatal("endpoint %s: a public endpoint has no caller "
			    "(argument %d)", ep->name, nargs);
	}
	check_query(ep->name, "SQL", ep->sql, nargs);
}

/* The Kore route of the declaration, which must name the dispatcher. */
static void
check_route(const struct is_endpoint *ep)
{
	struct kore_server		*srv;
	struct kore_domain		*dom;
	struct kore_module_handle	*hdlr;

	LIST_FOREACH(srv, &kore_servers, list) {
		TAILQ_FOREACH(dom, &srv->domains, list) {
			TAILQ_FOREACH(hdlr, &dom->handlers, list) {
				if (strcmp(hdlr->path, ep->route) != 0)
					continue;
				if (strcmp(hdlr->func, DISPATCHER) != 0)
					fatal("endpoint %s: route %s names %s, "
					    "not " DISPATCHER, ep->name,
					    ep->route, hdlr->func);
				if (!(hdlr->methods & ep->method))
					fatal("endpoint %s: route %s does not "
					    "allow %s", ep->name, ep->route,
					    http_method_text(ep->method));
				return;
			}
		}
	}
	fatal("endpoint %s: no route %s in the Kore configuration", ep->name,
	    ep->route);
}

/* Every method a dispatcher route allows has exactly one declaration. */
static void
check_dispatch_routes(void)
{
	static const int		 methods[] = { HTTP_METHOD_GET,
					    HTTP_METHOD_POST, HTTP_METHOD_PUT,
					    HTTP_METHOD_DELETE,
					    HTTP_METHOD_PATCH, 0 };
	const struct is_endpoint	*const *table, *ep;
	struct kore_server		*srv;
	struct kore_domain		*dom;
	struct kore_module_handle	*hdlr;
	int				 i, found;

	LIST_FOREACH(srv, &kore_servers, list) {
	TAILQ_FOREACH(dom, &srv->domains, list) {
	TAILQ_FOREACH(hdlr, &dom->handlers, list) {
		if (strcmp(hdlr->func, DISPATCHER) != 0)
			continue;
		for (i = 0; methods[i] != 0; i++) {
			if (!(hdlr->methods & methods[i]))
				continue;
			found = 0;
			for (table = is_service_endpoints; *table != NULL;
			    table++) {
				for (ep = *table; ep->name != NULL; ep++) {
					found += ep->method == methods[i] &&
					    strcmp(ep->route, hdlr->path) == 0;
				}
			}
			if (found != 1)
				fatal("route %s: %s has %d declarations "
				    "(restrict the route to its methods)",
				    hdlr->path, http_method_text(methods[i]),
				    found);
		}
	}
	}
	}
}

void
is_endpoints_check(void)
{
	const struct is_endpoint	*const *table, *ep;
	int				 n = 0;

	for (table = is_service_endpoints; *table != NULL; table++) {
		for (ep = *table; ep->name != NULL; ep++) {
			check_declaration(ep);
			check_route(ep);
			n++;
		}
	}
	check_dispatch_routes();
	kore_log(LOG_INFO, "%d endpoint declarations match their routes", n);
}
