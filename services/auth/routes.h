/* Handlers and helpers shared by the auth route files. */
#ifndef AUTH_ROUTES_H
#define AUTH_ROUTES_H

#include "iskore.h"

extern char	*auth_dummy_hash;

/* Task bodies (tasks.c): scrypt off the event loop. */
int	auth_task_verify(struct kore_task *);
int	auth_task_hash(struct kore_task *);
void	auth_begin_verify(struct http_request *, struct is_ctx *,
	    const char *password, const char *hash);
void	auth_begin_hash(struct http_request *, struct is_ctx *,
	    const char *password);

/* Answers with a new access token (and refresh token when given). */
int	auth_reply_tokens(struct http_request *, struct is_ctx *,
	    const char *refresh_token, int status);
/* A fresh refresh token in *token and its stored hash in hash. */
int	auth_new_refresh(struct is_ctx *, char **token, char hash[65]);
int	auth_reply_weak_password(struct http_request *, const char *);
char	*auth_num(struct is_ctx *, long);

/* me_cache.c: /me answers cached per session; auth_changed(sub) after any
 * change to an account (NULL: possibly any account). */
struct is_gen_stamp;
const char	*auth_me_cached(const struct is_claims *);
void		 auth_me_store(const struct is_claims *,
		    const struct is_gen_stamp *, const char *);
void		 auth_changed(const char *sub);

#endif
