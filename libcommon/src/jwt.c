/*
 * JWT signing over libjwt 1.10; verification of the compact JWS form with
 * OpenSSL's EVP interface against keys parsed once (libjwt would parse
 * the PEM key again for every token). The header's "alg" must be the
 * configured algorithm before the signature is even checked, and no claim
 * is believed before the signature is; iss, aud and exp are checked here.
 *
 * Keys are named by their RFC 7638 thumbprint (kid): the SHA-256 of the
 * public key's required JWK members in a fixed order, so every verifier,
 * in any language, computes the same name from the same key. Tokens carry
 * it in their header (libjwt 1.10 adds header members with
 * jwt_add_header), and the verifier picks the current or the previous key
 * by it. The key files are re-read when they change, all or nothing.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "iscommon/crypto.h"
#include "iscommon/jwt.h"
#include "iscommon/strutil.h"

#define EC_COORD_LEN	32		/* P-256 */

/* A key's JWK members as base64url: EC x and y, or RSA n and e. */
struct jwk_parts {
	int	 ec;
	char	*a;
	char	*b;
};

static char	*read_file(const char *, size_t *);
static int	 keys_error(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	 stamp_of(const char *, struct is_jwt_stamp *);
static int	 stamps_equal(const struct is_jwt_stamp *,
		    const struct is_jwt_stamp *);
static int	 keys_read(struct is_jwt_keys *);
static int	 key_read(const char *, const char *, struct is_jwt_key *);
static int	 key_usable(EVP_PKEY *, const char *);
static EVP_PKEY	*parse_public_key(const char *, size_t, const char *);
static int	 signing_kid(struct is_jwt_keys *);
static int	 jwk_parts(const EVP_PKEY *, struct jwk_parts *);
static void	 jwk_parts_free(struct jwk_parts *);
static int	 jwks_add(cJSON *, const struct is_jwt_key *, const char *);
static char	*jwks_build(const struct is_jwt_keys *);
static cJSON	*decode_part(const char *, size_t);
static const struct is_jwt_key *key_named(const struct is_jwt_keys *,
		    const cJSON *);
static int	 check_signature(EVP_PKEY *, const char *, size_t,
		    const char *, size_t);
static int	 copy_claim(const cJSON *, const char *, char *, size_t);
static int	 load_claims(const struct is_jwt_keys *, const cJSON *, time_t,
		    struct is_claims *);

/* Why the last load failed: loads run in one thread (a worker's loop). */
static char	jwt_error[256];

static char *
read_file(const char *path, size_t *len)
{
	FILE	*fp;
	char	*data;
	long	 n;

	if ((fp = fopen(path, "r")) == NULL)
		return (NULL);
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) <= 0 ||
	    n > 65536 || fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return (NULL);
	}
	data = malloc((size_t)n + 1);
	if (data == NULL || fread(data, 1, (size_t)n, fp) != (size_t)n) {
		free(data);
		fclose(fp);
		return (NULL);
	}
	data[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return (data);
}

static int
keys_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(jwt_error, sizeof(jwt_error), fmt, ap);
	va_end(ap);
	return (-1);
}

const char *
is_jwt_error(void)
{
	return (jwt_error);
}

/* present: 1 when the file is there, 0 when it is not, -1 when stat failed
 * otherwise (it then fails to load rather than counting as absent). */
static void
stamp_of(const char *path, struct is_jwt_stamp *st)
{
	struct stat	sb;

	memset(st, 0, sizeof(*st));
	if (path == NULL)
		return;
	if (stat(path, &sb) == -1) {
		st->present = errno == ENOENT || errno == ENOTDIR ? 0 : -1;
		return;
	}
	st->present = 1;
	st->dev = (unsigned long long)sb.st_dev;
	st->ino = (unsigned long long)sb.st_ino;
	st->size = (long long)sb.st_size;
	st->mtime_s = (long long)sb.st_mtim.tv_sec;
	st->mtime_ns = (long)sb.st_mtim.tv_nsec;
}

static int
stamps_equal(const struct is_jwt_stamp *a, const struct is_jwt_stamp *b)
{
	int	i;

	for (i = 0; i < IS_JWT_NFILES; i++) {
		if (a[i].present != b[i].present || a[i].dev != b[i].dev ||
		    a[i].ino != b[i].ino || a[i].size != b[i].size ||
		    a[i].mtime_s != b[i].mtime_s ||
		    a[i].mtime_ns != b[i].mtime_ns)
			return (0);
	}
	return (1);
}

int
is_jwt_keys_load(struct is_jwt_keys *k, const char *alg, const char *issuer,
    const char *audience, const char *private_path, const char *public_path,
    const char *previous_path, long ttl)
{
	memset(k, 0, sizeof(*k));
	jwt_error[0] = '\0';
	if (strcmp(alg, "ES256") != 0 && strcmp(alg, "RS256") != 0)
		return (keys_error("jwt.alg: ES256 or RS256, not %s", alg));
	k->alg = is_strdup(alg);
	k->issuer = is_strdup(issuer);
	k->audience = is_strdup(audience);
	k->ttl = ttl;
	k->leeway = 30;
	if (private_path != NULL && *private_path != '\0')
		k->paths[IS_JWT_FILE_PRIVATE] = is_strdup(private_path);
	k->paths[IS_JWT_FILE_PUBLIC] = is_strdup(public_path);
	if (previous_path != NULL && *previous_path != '\0')
		k->paths[IS_JWT_FILE_PREVIOUS] = is_strdup(previous_path);
	if (keys_read(k) == -1) {
		is_jwt_keys_free(k);
		return (-1);
	}
	return (0);
}

/*
 * Reads the files of k->paths into k. Every file is stat'ed before any is
 * read, so a change made while reading shows at the next reload. They are
 * read private, public, previous: the rotation script renames them in the
 * reverse order (the old public key to previous, then the new public key,
 * then the new private key), so whatever moment the reads fall on, the
 * private key read belongs to the public or the previous key read.
 */
static int
keys_read(struct is_jwt_keys *k)
{
	const char	*path;
	int		 i;

	for (i = 0; i < IS_JWT_NFILES; i++)
		stamp_of(k->paths[i], &k->stamps[i]);
	if ((path = k->paths[IS_JWT_FILE_PRIVATE]) != NULL &&
	    (k->private_pem = read_file(path, &k->private_len)) == NULL)
		return (keys_error("cannot read the private key %s", path));
	if (key_read(k->paths[IS_JWT_FILE_PUBLIC], k->alg, &k->current) == -1)
		return (-1);
	/* A previous key is optional: no setting, or no file. */
	if (k->paths[IS_JWT_FILE_PREVIOUS] != NULL &&
	    k->stamps[IS_JWT_FILE_PREVIOUS].present != 0 &&
	    key_read(k->paths[IS_JWT_FILE_PREVIOUS], k->alg,
	    &k->previous) == -1)
		return (-1);
	if (k->private_pem != NULL && signing_kid(k) == -1)
		return (-1);
	if ((k->jwks = jwks_build(k)) == NULL)
		return (keys_error("cannot build the JWKS document"));
	return (0);
}

static int
key_read(const char *path, const char *alg, struct is_jwt_key *key)
{
	char	*pem;
	size_t	 len;

	if (path == NULL || (pem = read_file(path, &len)) == NULL)
		return (keys_error("cannot read the public key %s",
		    path != NULL ? path : "(not set)"));
	key->pkey = parse_public_key(pem, len, alg);
	free(pem);
	if (key->pkey == NULL)
		return (keys_error("%s is not a %s public key (%s)", path, alg,
		    strcmp(alg, "ES256") == 0 ? "EC P-256" : "RSA"));
	if (is_jwk_thumbprint(key->pkey, key->kid) == -1)
		return (keys_error("%s: no thumbprint", path));
	return (0);
}

/* The private key's own kid, which must name a key verifiers have. */
static int
signing_kid(struct is_jwt_keys *k)
{
	BIO		*bio;
	EVP_PKEY	*key;
	int		 rc;

	if ((bio = BIO_new_mem_buf(k->private_pem, (int)k->private_len)) ==
	    NULL)
		return (keys_error("out of memory"));
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key == NULL || !key_usable(key, k->alg)) {
		EVP_PKEY_free(key);
		return (keys_error("%s is not a %s private key",
		    k->paths[IS_JWT_FILE_PRIVATE], k->alg));
	}
	rc = is_jwk_thumbprint(key, k->signing_kid);
	EVP_PKEY_free(key);
	if (rc == -1)
		return (keys_error("the private key has no thumbprint"));
	if (strcmp(k->signing_kid, k->current.kid) != 0 &&
	    (k->previous.pkey == NULL ||
	    strcmp(k->signing_kid, k->previous.kid) != 0))
		return (keys_error("the private key %s belongs to neither the "
		    "public key nor the previous public key",
		    k->paths[IS_JWT_FILE_PRIVATE]));
	return (0);
}

int
is_jwt_keys_reload(struct is_jwt_keys *k)
{
	struct is_jwt_keys	fresh;
	struct is_jwt_stamp	now[IS_JWT_NFILES];
	int			i;

	for (i = 0; i < IS_JWT_NFILES; i++)
		stamp_of(k->paths[i], &now[i]);
	if (stamps_equal(now, k->stamps) ||
	    (k->has_refused && stamps_equal(now, k->refused)))
		return (0);

	/* Read into a copy of the settings; k is untouched until it loads. */
	memset(&fresh, 0, sizeof(fresh));
	fresh.alg = is_strdup(k->alg);
	fresh.issuer = is_strdup(k->issuer);
	fresh.audience = is_strdup(k->audience);
	fresh.ttl = k->ttl;
	fresh.leeway = k->leeway;
	for (i = 0; i < IS_JWT_NFILES; i++) {
		if (k->paths[i] != NULL)
			fresh.paths[i] = is_strdup(k->paths[i]);
	}
	if (keys_read(&fresh) == -1) {
		memcpy(k->refused, fresh.stamps, sizeof(k->refused));
		k->has_refused = 1;
		is_jwt_keys_free(&fresh);
		return (-1);
	}
	is_jwt_keys_free(k);
	*k = fresh;
	return (1);
}

void
is_jwt_keys_free(struct is_jwt_keys *k)
{
	int	i;

	free(k->alg);
	free(k->issuer);
	free(k->audience);
	if (k->private_pem != NULL)
		OPENSSL_cleanse(k->private_pem, k->private_len);
	free(k->private_pem);
	EVP_PKEY_free(k->current.pkey);
	EVP_PKEY_free(k->previous.pkey);
	free(k->jwks);
	for (i = 0; i < IS_JWT_NFILES; i++)
		free(k->paths[i]);
	memset(k, 0, sizeof(*k));
}

char *
is_jwt_sign(const struct is_jwt_keys *k, const struct is_claims *c,
    time_t now)
{
	jwt_t	*jwt;
	cJSON	*roles, *wrap;
	char	*json, *token = NULL;
	int	 i;

	if (k->private_pem == NULL || jwt_new(&jwt) != 0)
		return (NULL);
	wrap = cJSON_CreateObject();
	roles = cJSON_AddArrayToObject(wrap, "roles");
	for (i = 0; i < c->nroles; i++)
		cJSON_AddItemToArray(roles, cJSON_CreateString(c->roles[i]));
	json = cJSON_PrintUnformatted(wrap);
	cJSON_Delete(wrap);

	if (jwt_add_grant(jwt, "iss", k->issuer) != 0 ||
	    jwt_add_grant(jwt, "aud", k->audience) != 0 ||
	    jwt_add_grant(jwt, "sub", c->sub) != 0 ||
	    jwt_add_grant(jwt, "acc", c->account) != 0 ||
	    jwt_add_grant(jwt, "sid", c->sid) != 0 ||
	    jwt_add_grant(jwt, "cli", c->client) != 0 ||
	    (c->wx[0] != '\0' && jwt_add_grant(jwt, "wx", c->wx) != 0) ||
	    jwt_add_grant_bool(jwt, "mcp", c->must_change_password) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)now + k->ttl) != 0 ||
	    jwt_add_grants_json(jwt, json) != 0)
		goto done;
	/* Verifiers pick the key by it (libjwt adds "alg" and "typ"). */
	if (jwt_add_header(jwt, "kid", k->signing_kid) != 0)
		goto done;
	if (jwt_set_alg(jwt, jwt_str_alg(k->alg),
	    (const unsigned char *)k->private_pem, (int)k->private_len) != 0)
		goto done;
	token = jwt_encode_str(jwt);
done:
	cJSON_free(json);
	jwt_free(jwt);
	return (token);
}

/* A key of the configured algorithm: EC on P-256 for ES256, or RSA. */
static int
key_usable(EVP_PKEY *key, const char *alg)
{
	char	group[64];
	size_t	len;

	if (strcmp(alg, "RS256") == 0)
		return (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA);
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1)
		return (0);
	return (OBJ_txt2nid(group) == NID_X9_62_prime256v1);
}

static EVP_PKEY *
parse_public_key(const char *pem, size_t len, const char *alg)
{
	BIO		*bio;
	EVP_PKEY	*key;

	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return (NULL);
	key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key != NULL && !key_usable(key, alg)) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	return (key);
}

/* The members RFC 7638 hashes, as base64url of their big-endian bytes. */
static int
jwk_parts(const EVP_PKEY *key, struct jwk_parts *p)
{
	BIGNUM		*a = NULL, *b = NULL;
	unsigned char	*buf = NULL;
	int		 n, rc = -1;

	memset(p, 0, sizeof(*p));
	p->ec = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
	if (p->ec) {
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X,
		    &a) != 1 || EVP_PKEY_get_bn_param(key,
		    OSSL_PKEY_PARAM_EC_PUB_Y, &b) != 1)
			goto done;
		/* Coordinates keep their full length (RFC 7518, 6.2.1.2). */
		if ((buf = malloc(2 * EC_COORD_LEN)) == NULL ||
		    BN_bn2binpad(a, buf, EC_COORD_LEN) != EC_COORD_LEN ||
		    BN_bn2binpad(b, buf + EC_COORD_LEN, EC_COORD_LEN) !=
		    EC_COORD_LEN)
			goto done;
		p->a = is_b64url_encode(buf, EC_COORD_LEN);
		p->b = is_b64url_encode(buf + EC_COORD_LEN, EC_COORD_LEN);
	} else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N,
		    &a) != 1 || EVP_PKEY_get_bn_param(key,
		    OSSL_PKEY_PARAM_RSA_E, &b) != 1)
			goto done;
		/* Integers without leading zeros (RFC 7518, 6.3.1). */
		n = BN_num_bytes(a) > BN_num_bytes(b) ? BN_num_bytes(a) :
		    BN_num_bytes(b);
		if (n <= 0 || (buf = malloc((size_t)n)) == NULL)
			goto done;
		p->a = is_b64url_encode(buf, (size_t)BN_bn2bin(a, buf));
		p->b = is_b64url_encode(buf, (size_t)BN_bn2bin(b, buf));
	} else
		goto done;
	if (p->a != NULL && p->b != NULL)
		rc = 0;
done:
	BN_free(a);
	BN_free(b);
	free(buf);
	if (rc == -1)
		jwk_parts_free(p);
	return (rc);
}

static void
jwk_parts_free(struct jwk_parts *p)
{
	free(p->a);
	free(p->b);
	memset(p, 0, sizeof(*p));
}

/*
 * RFC 7638: SHA-256 of the required members, in lexical order, without
 * whitespace; base64url. The member values are base64url: nothing to
 * escape.
 */
int
is_jwk_thumbprint(const void *pkey, char out[IS_JWT_KID_LEN])
{
	struct jwk_parts	 p;
	struct is_buf		 json;
	unsigned char		 digest[SHA256_DIGEST_LENGTH];
	char			*kid;
	int			 rc = -1;

	out[0] = '\0';
	if (jwk_parts(pkey, &p) == -1)
		return (-1);
	is_buf_init(&json);
	if (p.ec)
		(void)is_buf_printf(&json, "{\"crv\":\"P-256\",\"kty\":\"EC\","
		    "\"x\":\"%s\",\"y\":\"%s\"}", p.a, p.b);
	else
		(void)is_buf_printf(&json, "{\"e\":\"%s\",\"kty\":\"RSA\","
		    "\"n\":\"%s\"}", p.b, p.a);
	if (json.data != NULL && SHA256((const unsigned char *)json.data,
	    json.len, digest) != NULL &&
	    (kid = is_b64url_encode(digest, sizeof(digest))) != NULL) {
		if (strlen(kid) < IS_JWT_KID_LEN) {
			memcpy(out, kid, strlen(kid) + 1);
			rc = 0;
		}
		free(kid);
	}
	is_buf_free(&json);
	jwk_parts_free(&p);
	return (rc);
}

/* One key as a JWK (RFC 7517), the members in the usual order. */
static int
jwks_add(cJSON *keys, const struct is_jwt_key *key, const char *alg)
{
	struct jwk_parts	 p;
	cJSON			*jwk;

	if (jwk_parts(key->pkey, &p) == -1)
		return (-1);
	jwk = cJSON_CreateObject();
	if (p.ec) {
		cJSON_AddStringToObject(jwk, "kty", "EC");
		cJSON_AddStringToObject(jwk, "crv", "P-256");
		cJSON_AddStringToObject(jwk, "x", p.a);
		cJSON_AddStringToObject(jwk, "y", p.b);
	} else {
		cJSON_AddStringToObject(jwk, "kty", "RSA");
		cJSON_AddStringToObject(jwk, "n", p.a);
		cJSON_AddStringToObject(jwk, "e", p.b);
	}
	cJSON_AddStringToObject(jwk, "kid", key->kid);
	cJSON_AddStringToObject(jwk, "use", "sig");
	cJSON_AddStringToObject(jwk, "alg", alg);
	cJSON_AddItemToArray(keys, jwk);
	jwk_parts_free(&p);
	return (0);
}

/* The verification keys as a JWKS document, the current one first. */
static char *
jwks_build(const struct is_jwt_keys *k)
{
	cJSON	*doc, *keys;
	char	*cjson, *json = NULL;

	doc = cJSON_CreateObject();
	keys = cJSON_AddArrayToObject(doc, "keys");
	if (jwks_add(keys, &k->current, k->alg) == -1 ||
	    (k->previous.pkey != NULL &&
	    strcmp(k->previous.kid, k->current.kid) != 0 &&
	    jwks_add(keys, &k->previous, k->alg) == -1)) {
		cJSON_Delete(doc);
		return (NULL);
	}
	/* Ours to free with free(), like every other string of k. */
	if ((cjson = cJSON_PrintUnformatted(doc)) != NULL) {
		json = is_strdup(cjson);
		cJSON_free(cjson);
	}
	cJSON_Delete(doc);
	return (json);
}

/* One base64url part of a token, parsed as a JSON object. */
static cJSON *
decode_part(const char *part, size_t len)
{
	unsigned char	*raw;
	size_t		 rawlen;
	cJSON		*obj = NULL;

	if ((raw = malloc(len)) == NULL)
		return (NULL);
	if (is_b64url_decode(part, len, raw, len, &rawlen) == 0)
		obj = cJSON_ParseWithLength((const char *)raw, rawlen);
	free(raw);
	if (obj != NULL && !cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	return (obj);
}

/*
 * Checks the signature over the signing input (header "." payload). JWS
 * carries ES256 signatures as R || S (32 bytes each); OpenSSL wants DER.
 */
static int
check_signature(EVP_PKEY *key, const char *input, size_t inputlen,
    const char *sig64, size_t siglen64)
{
	unsigned char	 sig[512], *der = NULL;
	const unsigned char *check;
	size_t		 siglen, checklen;
	ECDSA_SIG	*ec = NULL;
	BIGNUM		*r, *s;
	EVP_MD_CTX	*md;
	int		 derlen, ok = 0;

	if (is_b64url_decode(sig64, siglen64, sig, sizeof(sig), &siglen) == -1)
		return (-1);
	check = sig;
	checklen = siglen;
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
		if (siglen != 64 || (ec = ECDSA_SIG_new()) == NULL)
			return (-1);
		r = BN_bin2bn(sig, 32, NULL);
		s = BN_bin2bn(sig + 32, 32, NULL);
		if (r == NULL || s == NULL || ECDSA_SIG_set0(ec, r, s) != 1) {
			BN_free(r);
			BN_free(s);
			ECDSA_SIG_free(ec);
			return (-1);
		}
		derlen = i2d_ECDSA_SIG(ec, &der);
		ECDSA_SIG_free(ec);
		if (derlen <= 0)
			return (-1);
		check = der;
		checklen = (size_t)derlen;
	}
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(md, check, checklen,
	    (const unsigned char *)input, inputlen) == 1)
		ok = 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return (ok ? 0 : -1);
}

/*
 * The key a token's header names: the current or the previous key by its
 * kid; a token without one predates kids and is checked against the
 * current key only. NULL: refused.
 */
static const struct is_jwt_key *
key_named(const struct is_jwt_keys *k, const cJSON *header)
{
	const cJSON	*kid;

	kid = cJSON_GetObjectItemCaseSensitive(header, "kid");
	if (kid == NULL)
		return (&k->current);
	if (!cJSON_IsString(kid))
		return (NULL);
	if (strcmp(kid->valuestring, k->current.kid) == 0)
		return (&k->current);
	if (k->previous.pkey != NULL &&
	    strcmp(kid->valuestring, k->previous.kid) == 0)
		return (&k->previous);
	return (NULL);
}

static int
copy_claim(const cJSON *claims, const char *name, char *out, size_t len)
{
	const cJSON	*v;

	v = cJSON_GetObjectItemCaseSensitive(claims, name);
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= len)
		return (-1);
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return (0);
}

static int
load_claims(const struct is_jwt_keys *k, const cJSON *claims, time_t now,
    struct is_claims *out)
{
	const cJSON	*v, *item;

	v = cJSON_GetObjectItemCaseSensitive(claims, "iss");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, k->issuer) != 0)
		return (-1);
	v = cJSON_GetObjectItemCaseSensitive(claims, "aud");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, k->audience) != 0)
		return (-1);
	v = cJSON_GetObjectItemCaseSensitive(claims, "exp");
	if (!cJSON_IsNumber(v) || v->valuedouble + k->leeway < (double)now)
		return (-1);
	out->exp = (long)v->valuedouble;
	v = cJSON_GetObjectItemCaseSensitive(claims, "iat");
	out->iat = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
	if (copy_claim(claims, "sub", out->sub, sizeof(out->sub)) == -1 ||
	    copy_claim(claims, "acc", out->account, sizeof(out->account)) == -1 ||
	    copy_claim(claims, "sid", out->sid, sizeof(out->sid)) == -1 ||
	    copy_claim(claims, "cli", out->client, sizeof(out->client)) == -1)
		return (-1);
	if (cJSON_GetObjectItemCaseSensitive(claims, "wx") != NULL &&
	    copy_claim(claims, "wx", out->wx, sizeof(out->wx)) == -1)
		return (-1);
	v = cJSON_GetObjectItemCaseSensitive(claims, "mcp");
	if (!cJSON_IsBool(v))
		return (-1);
	out->must_change_password = cJSON_IsTrue(v);
	v = cJSON_GetObjectItemCaseSensitive(claims, "roles");
	if (!cJSON_IsArray(v))
		return (-1);
	cJSON_ArrayForEach(item, v) {
		if (!cJSON_IsString(item) || out->nroles == IS_JWT_MAX_ROLES ||
		    strlen(item->valuestring) >= sizeof(out->roles[0]))
			return (-1);
		strcpy(out->roles[out->nroles++], item->valuestring);
	}
	return (0);
}

int
is_jwt_verify(const struct is_jwt_keys *k, const char *token, time_t now,
    struct is_claims *out)
{
	const struct is_jwt_key	*key;
	const char		*dot1, *dot2;
	const cJSON		*alg, *crit;
	cJSON			*header = NULL, *claims = NULL;
	size_t			 len;
	int			 rc = -1;

	memset(out, 0, sizeof(*out));
	if (token == NULL || k->current.pkey == NULL ||
	    (len = strlen(token)) > 4096)
		return (-1);
	if ((dot1 = strchr(token, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL || strchr(dot2 + 1, '.'))
		return (-1);
	if ((header = decode_part(token, (size_t)(dot1 - token))) == NULL)
		goto done;
	alg = cJSON_GetObjectItemCaseSensitive(header, "alg");
	crit = cJSON_GetObjectItemCaseSensitive(header, "crit");
	if (!cJSON_IsString(alg) || strcmp(alg->valuestring, k->alg) != 0 ||
	    crit != NULL || (key = key_named(k, header)) == NULL)
		goto done;
	if (check_signature(key->pkey, token, (size_t)(dot2 - token),
	    dot2 + 1, len - (size_t)(dot2 + 1 - token)) == -1)
		goto done;
	if ((claims = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1))) == NULL)
		goto done;
	rc = load_claims(k, claims, now, out);
done:
	cJSON_Delete(header);
	cJSON_Delete(claims);
	if (rc == -1)
		memset(out, 0, sizeof(*out));
	return (rc);
}

int
is_claims_has_role(const struct is_claims *c, const char *role)
{
	int	i;

	for (i = 0; i < c->nroles; i++) {
		if (strcmp(c->roles[i], role) == 0)
			return (1);
	}
	return (0);
}
