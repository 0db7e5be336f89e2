/*
 * The keys that verify access tokens, published for whoever verifies them
 * outside this code (a gateway, a service in another language):
 *   GET /.well-known/jwks.json     a JWKS document (RFC 7517), public
 * It lists the current public key and, during a rotation's overlap, the
 * previous one, each named by the kid tokens carry. The document is built
 * when the key files are read (libcommon/src/jwt.c), so answering costs a
 * copy; caches may keep it five minutes, and a verifier that meets an
 * unknown kid fetches it again. Whatever query a generic client adds (a
 * cache buster) is ignored rather than refused.
 */
#include "routes.h"

#define JWKS_CACHE_CONTROL	"public, max-age=300"

static int	keys_jwks(struct http_request *);

static int
keys_jwks(struct http_request *req)
{
	if (is_keys.jwks == NULL) {
		is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	is_reply_cache_control(req, JWKS_CACHE_CONTROL);
	is_reply_json(req, 200, is_keys.jwks);
	return (HTTP_STATE_COMPLETE);
}

static struct http_state	jwks_states[] = {
	KORE_HTTP_STATE(keys_jwks),
};

const struct is_endpoint	auth_key_endpoints[] = {
	{ .name = "jwks", .route = AUTH_PREFIX ".well-known/jwks.json",
	  .method = HTTP_METHOD_GET, .flags = IS_PUBLIC | IS_INPUT_OWN,
	  IS_STATES(jwks_states) },
	IS_ENDPOINTS_END
};
