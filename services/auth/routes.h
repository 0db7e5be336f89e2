/*
 * Auth endpoints, declared per area (endpoint.h):
 *   routes_session.c  login, refresh, logout, sessions, /me, password
 *   routes_codes.c    email and mobile binding, password recovery
 *   routes_admin.c    student import, staff accounts
 *   routes_wechat.c   WeChat binding, scan login, mini-program login
 *   routes_activation.c  staff accounts and activation secrets
 *   routes_keys.c     the token verification keys (JWKS)
 * and what they share: password hashing in tasks (tasks.c), tokens, the
 * /me cache (me_cache.c).
 */
#ifndef AUTH_ROUTES_H
#define AUTH_ROUTES_H

#include "iskore.h"

#define AUTH_PREFIX	"/api/v1/auth/"

extern char	*auth_dummy_hash;
extern struct is_task_budget	auth_scrypt_budget;

extern const struct is_endpoint	auth_session_endpoints[];
extern const struct is_endpoint	auth_code_endpoints[];
extern const struct is_endpoint	auth_admin_endpoints[];
extern const struct is_endpoint	auth_wechat_endpoints[];
extern const struct is_endpoint	auth_activation_endpoints[];
extern const struct is_endpoint	auth_key_endpoints[];

/* What a staff account is made of (routes_admin.c), for its endpoint
 * (routes_activation.c). */
extern const struct is_field	auth_staff_spec[];
int	auth_staff_check(struct http_request *, struct is_ctx *);

/* Guards of the routes that read or change the account's security: the
 * caller's session is live (not logged out, revoked or expired), and for
 * changing how the account is reached, its password was proved within
 * auth.reauth_seconds. */
extern const struct is_guard	auth_session_live;
extern const struct is_guard	auth_session_fresh;

/* Task bodies (tasks.c): scrypt off the event loop. The verify task
 * answers "1" for a match. */
void	auth_begin_verify(struct http_request *, struct is_ctx *,
	    const char *password, const char *hash);
void	auth_begin_hash(struct http_request *, struct is_ctx *,
	    const char *password);

/* A fresh refresh token for the request's answer, and its stored hash. */
int	auth_new_refresh(struct is_ctx *, char hash[65]);
/* Answers the claims document of the last query as tokens (with the
 * request's refresh token, if it has one); a refusal as a problem. */
int	auth_reply_tokens(struct http_request *, struct is_ctx *, int status);
/* A last state: waits for the query and answers with tokens. */
int	auth_state_tokens(struct http_request *);
int	auth_reply_weak_password(struct http_request *, const char *);

/* me_cache.c: /me answers cached per session; auth_changed(sub) after any
 * change to an account (NULL: possibly any account). */
struct is_gen_stamp;
const char	*auth_me_cached(const struct is_claims *);
void		 auth_me_store(const struct is_claims *,
		    const struct is_gen_stamp *, const char *);
void		 auth_changed(const char *sub);

#endif
