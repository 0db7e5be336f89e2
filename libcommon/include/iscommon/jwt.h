/*
 * Access tokens. Only auth holds the private key and signs (libjwt); every
 * service verifies with the public keys, parsed once when loaded: libjwt
 * 1.10 re-parses the PEM key on every jwt_decode(), which under OpenSSL 3
 * cost more than the signature check itself. is_jwt_verify checks the
 * algorithm, signature, issuer, audience and expiry.
 *
 * Keys rotate without a restart. A token names its key in the header
 * ("kid": the key's RFC 7638 thumbprint); a service accepts the current
 * key and, during an overlap, the previous one (jwt.previous_public_key),
 * and re-reads the key files when they change (is_jwt_keys_reload). The
 * same keys are published as a JWKS document for other verifiers.
 */
#ifndef ISCOMMON_JWT_H
#define ISCOMMON_JWT_H

#include <stddef.h>
#include <time.h>

#define IS_JWT_MAX_ROLES	8

struct is_claims {
	char	sub[64];		/* account id */
	char	account[64];		/* student or staff ID */
	char	sid[64];		/* session id */
	char	client[16];		/* web, miniprogram, cli */
	char	wx[64];			/* WeChat binding id when logged in by WeChat */
	char	roles[IS_JWT_MAX_ROLES][24];
	int	nroles;
	int	must_change_password;
	long	exp;
	long	iat;
};

/* base64url of a SHA-256 (43 characters) and its NUL. */
#define IS_JWT_KID_LEN		44

/* The key files, in the order they are read (deploy/rotate-jwt-keys.sh
 * renames them in the reverse order: see is_jwt_keys_reload). */
#define IS_JWT_FILE_PRIVATE	0
#define IS_JWT_FILE_PUBLIC	1
#define IS_JWT_FILE_PREVIOUS	2
#define IS_JWT_NFILES		3

/* One verification key and its thumbprint. */
struct is_jwt_key {
	void	*pkey;		/* EVP_PKEY; NULL: no such key */
	char	 kid[IS_JWT_KID_LEN];
};

/* What a key file was when it was read; any difference means reload. */
struct is_jwt_stamp {
	int			present;
	unsigned long long	dev;
	unsigned long long	ino;
	long long		size;
	long long		mtime_s;
	long			mtime_ns;
};

struct is_jwt_keys {
	char			*alg;		/* ES256 or RS256 */
	char			*issuer;
	char			*audience;
	char			*private_pem;	/* NULL outside auth */
	size_t			 private_len;
	char			 signing_kid[IS_JWT_KID_LEN];
	struct is_jwt_key	 current;	/* jwt.public_key */
	struct is_jwt_key	 previous;	/* jwt.previous_public_key */
	char			*jwks;		/* both, as JWKS */
	long			 ttl;
	long			 leeway;
	/* Where they came from, and as what, for is_jwt_keys_reload. */
	char			*paths[IS_JWT_NFILES];
	struct is_jwt_stamp	 stamps[IS_JWT_NFILES];
	struct is_jwt_stamp	 refused[IS_JWT_NFILES];
	int			 has_refused;
};

/*
 * Loads the keys: private_path (NULL or "": verify only), public_path,
 * previous_path (NULL or "", or a missing file: no previous key). A
 * private key must belong to the current or the previous public key.
 * 0, or -1 with the reason in is_jwt_error().
 */
int	is_jwt_keys_load(struct is_jwt_keys *, const char *alg,
	    const char *issuer, const char *audience, const char *private_path,
	    const char *public_path, const char *previous_path, long ttl);
void	is_jwt_keys_free(struct is_jwt_keys *);
/*
 * Reads the key files again if any of them changed since (a stat of each,
 * nothing more when none did). All of them load or nothing changes: 1 when
 * the new keys are in use, 0 when nothing changed, -1 when the changed
 * files did not load (the keys in use stay; is_jwt_error() says why;
 * once for the same files, which are retried when they change again).
 */
int	is_jwt_keys_reload(struct is_jwt_keys *);
/* Why the last load or reload failed. */
const char	*is_jwt_error(void);
/* The RFC 7638 thumbprint of an EVP_PKEY (P-256 or RSA); 0 or -1. */
int	is_jwk_thumbprint(const void *pkey, char out[IS_JWT_KID_LEN]);

/* Signs claims; returns a malloc'd token or NULL. */
char	*is_jwt_sign(const struct is_jwt_keys *, const struct is_claims *,
	    time_t now);
/* 0 when the token is valid at now and fills *out; -1 otherwise. A
 * token naming a key (kid) is checked with that key if it is the current
 * or the previous one, else refused; one naming none (issued before kids)
 * with the current key only. */
int	 is_jwt_verify(const struct is_jwt_keys *, const char *token,
	    time_t now, struct is_claims *out);
int	 is_claims_has_role(const struct is_claims *, const char *role);

#endif
