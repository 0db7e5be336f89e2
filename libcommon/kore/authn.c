/*
 * Bearer-token authentication. Verifying an ES256 signature costs far more
 * than answering a cached request, so each worker keeps a small cache of
 * tokens it has verified (keyed by the token's SHA-256, bounded by the
 * token's own expiry), emptied when the keys change.
 */
#include <string.h>
#include <time.h>

#include "authn.h"
#include "reply.h"
#include "service.h"
#include "iscommon/crypto.h"

#define TOKEN_CACHE_SIZE	4096

struct token_entry {
	char			hash[65];
	struct is_claims	claims;
};

static struct token_entry	token_cache[TOKEN_CACHE_SIZE];

static int	bearer_token(struct http_request *, const char **);
static int	verify_cached(const char *, struct is_claims *);

static int
bearer_token(struct http_request *req, const char **token)
{
	const char	*hdr;

	if (!http_request_header(req, "authorization", &hdr))
		return (-1);
	if (strncasecmp(hdr, "Bearer ", 7) != 0)
		return (-1);
	*token = hdr + 7;
	return (**token == '\0' ? -1 : 0);
}

static int
verify_cached(const char *token, struct is_claims *out)
{
	struct token_entry	*e;
	char			 hash[65];
	unsigned long		 slot;
	time_t			 now;

	now = time(NULL);
	is_sha256_hex(token, strlen(token), hash);
	slot = strtoul(hash + 56, NULL, 16) % TOKEN_CACHE_SIZE;
	e = &token_cache[slot];
	if (strcmp(e->hash, hash) == 0) {
		if (e->claims.exp + is_keys.leeway >= (long)now) {
			*out = e->claims;
			return (0);
		}
		e->hash[0] = '\0';
		return (-1);
	}
	if (is_jwt_verify(&is_keys, token, now, out) == -1)
		return (-1);
	memcpy(e->hash, hash, sizeof(hash));
	e->claims = *out;
	return (0);
}

void
is_token_cache_clear(void)
{
	memset(token_cache, 0, sizeof(token_cache));
}

/*
 * Authenticates the caller into c->claims. On failure it has answered
 * (401, or 403 while the initial password is unchanged) and returns -1.
 * A token of a revoked session (the revocation feed) is refused like an
 * invalid one; while the feed is not current, which sessions ended is not
 * known: 503, to retry.
 */
int
is_authenticate(struct http_request *req, struct is_ctx *c, int flags)
{
	const char	*token;

	if (bearer_token(req, &token) == -1 ||
	    verify_cached(token, &c->claims) == -1) {
		is_reply_problem(req, "unauthorized", NULL);
		return (-1);
	}
	if (!is_revocations_current()) {
		http_response_header(req, "retry-after", "1");
		is_reply_problem(req, "service-unavailable", NULL);
		return (-1);
	}
	if (is_session_revoked(c->claims.sid)) {
		is_reply_problem(req, "unauthorized", NULL);
		return (-1);
	}
	if (c->claims.must_change_password && !(flags & IS_AUTH_ALLOW_MCP)) {
		is_reply_problem(req, "password-change-required", NULL);
		return (-1);
	}
	return (0);
}

/* 0 when the caller holds one of roles; otherwise answers 403. */
int
is_require_role(struct http_request *req, struct is_ctx *c,
    const char *const *roles)
{
	int	i;

	for (i = 0; roles[i] != NULL; i++) {
		if (is_claims_has_role(&c->claims, roles[i]))
			return (0);
	}
	is_reply_problem(req, "forbidden", NULL);
	return (-1);
}

/* The caller's roles as a PostgreSQL array literal (names are [a-z]). */
const char *
is_roles_literal(struct is_ctx *c)
{
	char	buf[IS_JWT_MAX_ROLES * 26 + 4];
	size_t	off = 0;
	int	i;

	buf[off++] = '{';
	for (i = 0; i < c->claims.nroles; i++) {
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
		    i ? "," : "", c->claims.roles[i]);
	}
	snprintf(buf + off, sizeof(buf) - off, "}");
	return (is_ctx_keep(c, buf));
}
