/*
 * The per-request context. Like nginx's per-module request contexts, it
 * carries what every part of a request shares (request ID, start time,
 * the verified claims, the validated body or query, the endpoint served)
 * and "parts": state a module (the database round trip, a batch slot, a
 * task) or a handler (its typed state) attaches on first use through
 * is_ctx_part(). When the request ends each part is released, newest
 * first; the context itself knows nothing of what they hold.
 */
#ifndef IS_CTX_H
#define IS_CTX_H

#include <kore/kore.h>
#include <kore/http.h>

#include <cjson/cJSON.h>

#include "iscommon/jwt.h"
#include "iscommon/validate.h"

#define IS_CTX_PARTS		6

/* Outcomes of asynchronous steps (a query, a batch, a task). */
#define IS_PENDING		0
#define IS_DONE			1
#define IS_FAILED		2

/* What a release function answers. */
#define IS_RELEASED		0
#define IS_RELEASE_LATER	1	/* again at the next free attempt */

/*
 * A kind of part: its size (allocated zeroed on first use) and what
 * releasing it takes besides freeing it (NULL: nothing). A part that must
 * outlive this attempt to free the request (a task still running) answers
 * IS_RELEASE_LATER: Kore frees the request again later.
 */
struct is_part {
	const char	*name;
	size_t		 size;
	int		(*release)(void *);
};

struct is_endpoint;

struct is_ctx {
	struct http_request		*req;
	const struct is_endpoint	*ep;		/* what is served */
	char				 request_id[72];
	u_int64_t			 start_ms;
	struct is_claims		 claims;	/* once authenticated */
	cJSON				*body;		/* validated body/query */
	const char			*cache_control;	/* NULL: no-store */
	int				 entered;	/* preamble done */
	int				 guarding;	/* guard query run */
	int				 released;
	int				 nparts;
	struct {
		const struct is_part	*kind;
		void			*data;
		int			 released;
	}				 parts[IS_CTX_PARTS];
	char				**kept;
	int				 nkept;
};

struct is_ctx	*is_ctx_get(struct http_request *);
void		*is_ctx_part(struct is_ctx *, const struct is_part *);
void		*is_ctx_part_find(struct is_ctx *, const struct is_part *);
char		*is_ctx_keep(struct is_ctx *, const char *);
char		*is_ctx_keep_num(struct is_ctx *, long);

/* What the request says: client type, body, query, path. */
const char	*is_client_type(struct http_request *);
const char	*is_client_address(struct http_request *);
int		 is_read_raw(struct http_request *, char **, size_t *, size_t);
int		 is_read_json(struct http_request *, struct is_ctx *,
		    const struct is_field *);
int		 is_read_query(struct http_request *, struct is_ctx *,
		    const struct is_field *);
int		 is_query_get(struct http_request *, struct is_ctx *,
		    const char *, const char **);
int		 is_path_tail(struct http_request *, const char *prefix,
		    char *out, size_t len);

#endif
