/*
 * Sealed fields and masks (see iscommon/seal.h for the format and why).
 *
 * AES-256-GCM with a random 96-bit nonce: at a few million seals per key
 * the chance of a repeated nonce stays negligible, and rotation starts a
 * fresh key long before that. Plaintext is capped so every buffer here is
 * fixed-size and a sealed value fits comfortably in a row.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "iscommon/crypto.h"
#include "iscommon/seal.h"
#include "iscommon/strutil.h"

#define SEAL_PREFIX	"v1."
#define SEAL_NONCE_LEN	12
#define SEAL_TAG_LEN	16
#define SEAL_KEY_LEN	32
#define SEAL_KID_MAX	16
#define SEAL_RAW_MAX	(SEAL_NONCE_LEN + IS_SEAL_PLAINTEXT_MAX + SEAL_TAG_LEN)

#define CARD_MASK	"****"
#define CARD_MIN	9

static int	 kid_valid(const char *, size_t);
static int	 hexval(int);
static int	 hex_decode(const char *, unsigned char *, size_t);
static int	 seal_header(const char *, char *, const char **);
static const struct is_seal_key	*key_find(const struct is_seal_keys *,
		    const char *);
static size_t	 utf8_charlen(unsigned char);

/* 1 to SEAL_KID_MAX of [A-Za-z0-9_-]: never '.', the field separator. */
static int
kid_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > SEAL_KID_MAX)
		return (0);
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return (0);
	}
	return (1);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Exactly 2 * len hex digits into out[len]; 0 or -1. */
static int
hex_decode(const char *in, unsigned char *out, size_t len)
{
	size_t	i;
	int	hi, lo;

	for (i = 0; i < len; i++) {
		if ((hi = hexval((unsigned char)in[2 * i])) == -1 ||
		    (lo = hexval((unsigned char)in[2 * i + 1])) == -1)
			return (-1);
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (0);
}

int
is_seal_keys_parse(const char *spec, struct is_seal_keys *out)
{
	const char		*p, *colon, *end;
	struct is_seal_key	*k;
	size_t			 kidlen;
	int			 i;

	if (out == NULL)
		return (-1);
	is_seal_keys_clear(out);
	if (spec == NULL || *spec == '\0')
		return (-1);

	for (p = spec; ; p = end + 1) {
		if (out->n == IS_SEAL_KEYS_MAX)
			goto bad;
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		if ((colon = memchr(p, ':', (size_t)(end - p))) == NULL)
			goto bad;
		kidlen = (size_t)(colon - p);
		if (!kid_valid(p, kidlen) ||
		    (size_t)(end - colon - 1) != 2 * SEAL_KEY_LEN)
			goto bad;
		k = &out->keys[out->n];
		if (hex_decode(colon + 1, k->key, SEAL_KEY_LEN) == -1)
			goto bad;
		memcpy(k->kid, p, kidlen);
		k->kid[kidlen] = '\0';
		/* A kid named twice would make unsealing pick one at random. */
		for (i = 0; i < out->n; i++) {
			if (strcmp(out->keys[i].kid, k->kid) == 0)
				goto bad;
		}
		out->n++;
		if (*end == '\0')
			break;
	}
	return (0);

bad:
	/* Half a key set must not be used: wipe what was taken. */
	is_seal_keys_clear(out);
	return (-1);
}

void
is_seal_keys_clear(struct is_seal_keys *keys)
{
	if (keys == NULL)
		return;
	OPENSSL_cleanse(keys, sizeof(*keys));
	keys->n = 0;
}

/*
 * Splits "v1.<kid>.<body>": kid into kid[SEAL_KID_MAX + 1], *body to what
 * follows the second dot. 0, or -1 when sealed is not that shape.
 */
static int
seal_header(const char *sealed, char *kid, const char **body)
{
	const char	*p, *dot;
	size_t		 kidlen;

	if (sealed == NULL ||
	    strncmp(sealed, SEAL_PREFIX, sizeof(SEAL_PREFIX) - 1) != 0)
		return (-1);
	p = sealed + sizeof(SEAL_PREFIX) - 1;
	if ((dot = strchr(p, '.')) == NULL)
		return (-1);
	kidlen = (size_t)(dot - p);
	if (!kid_valid(p, kidlen))
		return (-1);
	memcpy(kid, p, kidlen);
	kid[kidlen] = '\0';
	*body = dot + 1;
	return (0);
}

static const struct is_seal_key *
key_find(const struct is_seal_keys *keys, const char *kid)
{
	int	i;

	for (i = 0; i < keys->n && i < IS_SEAL_KEYS_MAX; i++) {
		if (strcmp(keys->keys[i].kid, kid) == 0)
			return (&keys->keys[i]);
	}
	return (NULL);
}

char *
is_seal(const struct is_seal_keys *keys, const char *plaintext,
    const char *aad)
{
	EVP_CIPHER_CTX			*ctx = NULL;
	const struct is_seal_key	*k;
	unsigned char			 raw[SEAL_RAW_MAX];
	char				*b64 = NULL, *out = NULL;
	size_t				 ptlen, aadlen, n;
	int				 len, ctlen;

	if (keys == NULL || keys->n < 1 || plaintext == NULL || aad == NULL)
		return (NULL);
	k = &keys->keys[0];
	ptlen = strlen(plaintext);
	aadlen = strlen(aad);
	if (ptlen > IS_SEAL_PLAINTEXT_MAX || aadlen > INT_MAX)
		return (NULL);
	if (RAND_bytes(raw, SEAL_NONCE_LEN) != 1)
		return (NULL);

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto done;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, k->key, raw) != 1)
		goto done;
	if (aadlen > 0 && EVP_EncryptUpdate(ctx, NULL, &len,
	    (const unsigned char *)aad, (int)aadlen) != 1)
		goto done;
	ctlen = 0;
	if (ptlen > 0) {
		if (EVP_EncryptUpdate(ctx, raw + SEAL_NONCE_LEN, &len,
		    (const unsigned char *)plaintext, (int)ptlen) != 1)
			goto done;
		ctlen = len;
	}
	if (EVP_EncryptFinal_ex(ctx, raw + SEAL_NONCE_LEN + ctlen, &len) != 1)
		goto done;
	ctlen += len;
	if ((size_t)ctlen != ptlen ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN,
	    raw + SEAL_NONCE_LEN + ctlen) != 1)
		goto done;

	if ((b64 = is_b64url_encode(raw,
	    SEAL_NONCE_LEN + ptlen + SEAL_TAG_LEN)) == NULL)
		goto done;
	n = sizeof(SEAL_PREFIX) - 1 + strlen(k->kid) + 1 + strlen(b64) + 1;
	if ((out = malloc(n)) != NULL)
		snprintf(out, n, "%s%s.%s", SEAL_PREFIX, k->kid, b64);

done:
	/* Frees the key schedule cleansed; raw holds only public bytes. */
	EVP_CIPHER_CTX_free(ctx);
	free(b64);
	return (out);
}

char *
is_unseal(const struct is_seal_keys *keys, const char *sealed,
    const char *aad)
{
	EVP_CIPHER_CTX			*ctx = NULL;
	const struct is_seal_key	*k;
	const char			*body;
	char				 kid[SEAL_KID_MAX + 1];
	unsigned char			 raw[SEAL_RAW_MAX];
	unsigned char			*pt = NULL;
	size_t				 rawlen, ctlen, aadlen;
	int				 len, ok = 0;

	if (keys == NULL || aad == NULL ||
	    seal_header(sealed, kid, &body) == -1 ||
	    (k = key_find(keys, kid)) == NULL)
		return (NULL);
	if ((aadlen = strlen(aad)) > INT_MAX)
		return (NULL);
	if (is_b64url_decode(body, strlen(body), raw, sizeof(raw),
	    &rawlen) == -1 || rawlen < SEAL_NONCE_LEN + SEAL_TAG_LEN)
		return (NULL);
	ctlen = rawlen - SEAL_NONCE_LEN - SEAL_TAG_LEN;
	if ((pt = malloc(ctlen + 1)) == NULL)
		return (NULL);

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto done;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, k->key, raw) != 1)
		goto done;
	if (aadlen > 0 && EVP_DecryptUpdate(ctx, NULL, &len,
	    (const unsigned char *)aad, (int)aadlen) != 1)
		goto done;
	len = 0;
	if (ctlen > 0 && EVP_DecryptUpdate(ctx, pt, &len,
	    raw + SEAL_NONCE_LEN, (int)ctlen) != 1)
		goto done;
	if ((size_t)len != ctlen ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN,
	    raw + SEAL_NONCE_LEN + ctlen) != 1)
		goto done;
	/* The tag check: wrong key, wrong aad or any altered byte fail here. */
	if (EVP_DecryptFinal_ex(ctx, pt + ctlen, &len) != 1 || len != 0)
		goto done;
	pt[ctlen] = '\0';
	/* is_seal takes C strings, so a NUL inside cannot be one of ours. */
	ok = memchr(pt, '\0', ctlen) == NULL;

done:
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		/* Unauthenticated plaintext must not outlive the failure. */
		OPENSSL_cleanse(pt, ctlen + 1);
		free(pt);
		return (NULL);
	}
	return ((char *)pt);
}

int
is_seal_is_stale(const struct is_seal_keys *keys, const char *sealed)
{
	const char	*body;
	char		 kid[SEAL_KID_MAX + 1];

	if (keys == NULL || keys->n < 1 ||
	    seal_header(sealed, kid, &body) == -1)
		return (0);
	return (strcmp(kid, keys->keys[0].kid) != 0);
}

/* Bytes in the UTF-8 character led by c (the input is validated first). */
static size_t
utf8_charlen(unsigned char c)
{
	if (c < 0x80)
		return (1);
	if ((c & 0xE0) == 0xC0)
		return (2);
	if ((c & 0xF0) == 0xE0)
		return (3);
	return (4);
}

char *
is_mask_card(const char *digits)
{
	char	*out;
	size_t	 len, i, n;

	if (digits == NULL)
		return (NULL);
	len = strlen(digits);
	for (i = 0; i < len; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			return (NULL);
	}
	if (len < CARD_MIN)
		return (strdup(CARD_MASK));
	/* The middle is always two groups: the length stays unsaid. */
	n = 4 + sizeof(" **** **** ") - 1 + 4 + 1;
	if ((out = malloc(n)) == NULL)
		return (NULL);
	snprintf(out, n, "%.4s **** **** %s", digits, digits + len - 4);
	return (out);
}

char *
is_mask_middle(const char *value, int head, int tail)
{
	char	*out;
	size_t	 len, nchars, keephead, keeptail, i, o, c, clen;

	if (value == NULL || head < 0 || tail < 0)
		return (NULL);
	len = strlen(value);
	if (!is_utf8_valid(value, len))
		return (NULL);
	nchars = is_utf8_length(value);

	/*
	 * Showing head and tail of a short value would show most of it: such
	 * values keep at most their last two characters (never more than
	 * tail), and the shortest show nothing.
	 */
	if (nchars <= 4) {
		keephead = 0;
		keeptail = 0;
	} else if (nchars <= (size_t)head + (size_t)tail + 2) {
		keephead = 0;
		keeptail = (size_t)tail < 2 ? (size_t)tail : 2;
	} else {
		keephead = (size_t)head;
		keeptail = (size_t)tail;
	}

	/* A star is one byte, never more than the character it hides. */
	if ((out = malloc(len + 1)) == NULL)
		return (NULL);
	for (i = 0, o = 0, c = 0; i < len; i += clen, c++) {
		clen = utf8_charlen((unsigned char)value[i]);
		if (c < keephead || c >= nchars - keeptail) {
			memcpy(out + o, value + i, clen);
			o += clen;
		} else
			out[o++] = '*';
	}
	out[o] = '\0';
	return (out);
}
