/*
 * Secrets handling. Passwords use scrypt (memory-hard); verification codes
 * and refresh tokens are high-entropy or short-lived, so they are stored as
 * HMAC-SHA256 under a server key (a leaked table cannot be brute-forced
 * offline without the key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "iscommon/crypto.h"

#define SALT_LEN	16
#define DK_LEN		32

static char	*b64url(const unsigned char *, size_t);
static void	 to_hex(const unsigned char *, size_t, char *);

static char *
b64url(const unsigned char *in, size_t len)
{
	char	*out;
	int	 n, i;

	if ((out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return (NULL);
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return (out);
}

char *
is_b64url_encode(const void *in, size_t len)
{
	return (b64url(in, len));
}

/*
 * Decodes n characters of unpadded base64url into out (at most cap bytes).
 * 0 on success, -1 on bad input or when it would not fit.
 */
int
is_b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap,
    size_t *outlen)
{
	char		*buf;
	unsigned char	*tmp;
	size_t		 i, pad;
	int		 len = -1;

	if (n % 4 == 1 || n > 65536)
		return (-1);
	pad = (4 - n % 4) % 4;
	buf = malloc(n + pad + 1);
	tmp = malloc(n + pad);
	if (buf == NULL || tmp == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		if (in[i] == '+' || in[i] == '/' || in[i] == '=')
			goto done;
		buf[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	}
	for (i = 0; i < pad; i++)
		buf[n + i] = '=';
	buf[n + pad] = '\0';
	if ((len = EVP_DecodeBlock(tmp, (unsigned char *)buf,
	    (int)(n + pad))) < 0)
		goto done;
	len -= (int)pad;
	if (len < 0 || (size_t)len > cap) {
		len = -1;
		goto done;
	}
	memcpy(out, tmp, (size_t)len);
	*outlen = (size_t)len;
done:
	free(buf);
	free(tmp);
	return (len < 0 ? -1 : 0);
}

static void
to_hex(const unsigned char *in, size_t len, char *out)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

char *
is_password_hash(const char *password, const struct is_scrypt_params *p)
{
	unsigned char	 salt[SALT_LEN], dk[DK_LEN];
	char		*s64 = NULL, *d64 = NULL, *out = NULL;
	size_t		 n;

	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return (NULL);
	if (EVP_PBE_scrypt(password, strlen(password), salt, sizeof(salt),
	    p->n, p->r, p->p, 64UL * 1024 * 1024, dk, sizeof(dk)) != 1)
		return (NULL);
	s64 = b64url(salt, sizeof(salt));
	d64 = b64url(dk, sizeof(dk));
	if (s64 == NULL || d64 == NULL)
		goto done;
	n = strlen(s64) + strlen(d64) + 64;
	if ((out = malloc(n)) != NULL)
		snprintf(out, n, "scrypt$%lu$%lu$%lu$%s$%s", p->n, p->r, p->p,
		    s64, d64);
done:
	OPENSSL_cleanse(dk, sizeof(dk));
	free(s64);
	free(d64);
	return (out);
}

int
is_password_verify(const char *password, const char *encoded)
{
	unsigned long	 n, r, p;
	char		 salt64[64], dk64[128];
	unsigned char	 salt[64], want[64], got[64];
	size_t		 saltlen, wantlen;
	int		 ok;

	if (encoded == NULL || sscanf(encoded,
	    "scrypt$%lu$%lu$%lu$%63[^$]$%127s", &n, &r, &p, salt64, dk64) != 5)
		return (0);
	if (n < 2 || n > (1UL << 20) || r == 0 || r > 32 || p == 0 || p > 16)
		return (0);
	if (is_b64url_decode(salt64, strlen(salt64), salt, sizeof(salt),
	    &saltlen) == -1 || is_b64url_decode(dk64, strlen(dk64), want,
	    sizeof(want), &wantlen) == -1 || wantlen == 0)
		return (0);
	if (EVP_PBE_scrypt(password, strlen(password), salt, saltlen, n, r, p,
	    256UL * 1024 * 1024, got, wantlen) != 1)
		return (0);
	ok = CRYPTO_memcmp(got, want, wantlen) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return (ok);
}

char *
is_random_token(size_t nbytes)
{
	unsigned char	 buf[128];

	if (nbytes > sizeof(buf) || RAND_bytes(buf, (int)nbytes) != 1)
		return (NULL);
	return (b64url(buf, nbytes));
}

int
is_random_digits(char *out, size_t digits)
{
	unsigned char	b;
	size_t		i;

	/* Rejection sampling keeps every digit uniform. */
	for (i = 0; i < digits; ) {
		if (RAND_bytes(&b, 1) != 1)
			return (-1);
		if (b >= 250)
			continue;
		out[i++] = (char)('0' + b % 10);
	}
	out[digits] = '\0';
	return (0);
}

int
is_hmac_hex(const char *key, const char *msg, char out[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;

	if (HMAC(EVP_sha256(), key, (int)strlen(key),
	    (const unsigned char *)msg, strlen(msg), md, &mdlen) == NULL)
		return (-1);
	to_hex(md, mdlen, out);
	return (0);
}

void
is_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char	md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	to_hex(md, sizeof(md), out);
}

void
is_sha1_hex(const void *data, size_t len, char out[41])
{
	unsigned char	md[SHA_DIGEST_LENGTH];

	SHA1(data, len, md);
	to_hex(md, sizeof(md), out);
}

int
is_secure_streq(const char *a, const char *b)
{
	size_t	la, lb;

	if (a == NULL || b == NULL)
		return (0);
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return (0);
	return (CRYPTO_memcmp(a, b, la) == 0);
}
