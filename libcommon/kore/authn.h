/*
 * Bearer-token authentication (authn.c): the access token of the
 * Authorization header, verified against the public key, into c->claims.
 */
#ifndef IS_AUTHN_H
#define IS_AUTHN_H

#include "ctx.h"

/* Flags of is_authenticate() and of endpoint declarations. */
#define IS_AUTH_ALLOW_MCP	0x01	/* allowed before the password change */
#define IS_PUBLIC		0x02	/* no token needed */

/* 0, or -1 when it has answered (401, or 403 before the password change). */
int	is_authenticate(struct http_request *, struct is_ctx *, int flags);
/* 0 when the caller holds one of roles (NULL-terminated); else 403. */
int	is_require_role(struct http_request *, struct is_ctx *,
	    const char *const *roles);
/* Forgets every verified token (the keys changed). */
void	is_token_cache_clear(void);
/* The caller's roles as a PostgreSQL text[] literal, kept. */
const char *is_roles_literal(struct is_ctx *);

/* The revocation feed (revoked.c): started in each worker; 1 when it
 * answered lately; 1 when the session's tokens are no longer accepted. */
void	is_revocations_start(void);
int	is_revocations_current(void);
int	is_session_revoked(const char *sid);

#endif
