/*
 * Password hashing (scrypt via OpenSSL), random tokens, keyed hashes for
 * verification codes and refresh tokens, constant-time comparison.
 */
#ifndef ISCOMMON_CRYPTO_H
#define ISCOMMON_CRYPTO_H

#include <stddef.h>

#define IS_HASH_HEX_LEN		64	/* SHA-256 as hex, no NUL */

struct is_scrypt_params {
	unsigned long	n;
	unsigned long	r;
	unsigned long	p;
};

/* Encoded as scrypt$N$r$p$salt_b64$hash_b64; malloc'd, NULL on error. */
char	*is_password_hash(const char *password,
	    const struct is_scrypt_params *);
/* 1 when password matches encoded, 0 when not (or encoded is malformed). */
int	 is_password_verify(const char *password, const char *encoded);

/* n random bytes as base64url without padding; malloc'd. */
char	*is_random_token(size_t nbytes);
/* A uniformly random decimal code of the given number of digits. */
int	 is_random_digits(char *out, size_t digits);
/* HMAC-SHA256(key, msg) as lower-case hex into out[65]. */
int	 is_hmac_hex(const char *key, const char *msg, char out[65]);
void	 is_sha256_hex(const void *data, size_t len, char out[65]);
void	 is_sha1_hex(const void *data, size_t len, char out[41]);
/* Constant-time equality of two NUL-terminated strings. */
int	 is_secure_streq(const char *a, const char *b);
/* Unpadded base64url of len bytes; malloc'd, NULL on error. */
char	*is_b64url_encode(const void *in, size_t len);
/* Unpadded base64url of n characters into out[cap]; 0 or -1. */
int	 is_b64url_decode(const char *in, size_t n, unsigned char *out,
	    size_t cap, size_t *outlen);

#endif
