/*
 * Access tokens. Only auth holds the private key and signs (libjwt); every
 * service verifies with the public key, parsed once at start-up: libjwt
 * 1.10 re-parses the PEM key on every jwt_decode(), which under OpenSSL 3
 * cost more than the signature check itself. is_jwt_verify checks the
 * algorithm, signature, issuer, audience and expiry.
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

struct is_jwt_keys {
	char	*alg;			/* "ES256" or "RS256" */
	char	*issuer;
	char	*audience;
	char	*private_pem;		/* NULL outside auth */
	size_t	 private_len;
	char	*public_pem;
	size_t	 public_len;
	void	*public_key;		/* EVP_PKEY, parsed from public_pem */
	long	 ttl;
	long	 leeway;
};

int	is_jwt_keys_load(struct is_jwt_keys *, const char *alg,
	    const char *issuer, const char *audience, const char *private_path,
	    const char *public_path, long ttl);
void	is_jwt_keys_free(struct is_jwt_keys *);

/* Signs claims; returns a malloc'd token or NULL. */
char	*is_jwt_sign(const struct is_jwt_keys *, const struct is_claims *,
	    time_t now);
/* 0 when the token is valid at now and fills *out; -1 otherwise. */
int	 is_jwt_verify(const struct is_jwt_keys *, const char *token,
	    time_t now, struct is_claims *out);
int	 is_claims_has_role(const struct is_claims *, const char *role);

#endif
