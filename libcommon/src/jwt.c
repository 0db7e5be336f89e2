/*
 * JWT signing over libjwt 1.10; verification of the compact JWS form with
 * OpenSSL's EVP interface against a key parsed once (libjwt would parse
 * the PEM key again for every token). The header's "alg" must be the
 * configured algorithm before the signature is even checked, and no claim
 * is believed before the signature is; iss, aud and exp are checked here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "iscommon/crypto.h"
#include "iscommon/jwt.h"
#include "iscommon/strutil.h"

static char	*read_file(const char *, size_t *);
static EVP_PKEY	*parse_public_key(const char *, size_t, const char *);
static cJSON	*decode_part(const char *, size_t);
static int	 check_signature(const struct is_jwt_keys *, const char *,
		    size_t, const char *, size_t);
static int	 copy_claim(const cJSON *, const char *, char *, size_t);
static int	 load_claims(const struct is_jwt_keys *, const cJSON *, time_t,
		    struct is_claims *);

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

int
is_jwt_keys_load(struct is_jwt_keys *k, const char *alg, const char *issuer,
    const char *audience, const char *private_path, const char *public_path,
    long ttl)
{
	memset(k, 0, sizeof(*k));
	if (strcmp(alg, "ES256") != 0 && strcmp(alg, "RS256") != 0)
		return (-1);
	k->alg = is_strdup(alg);
	k->issuer = is_strdup(issuer);
	k->audience = is_strdup(audience);
	k->ttl = ttl;
	k->leeway = 30;
	if (private_path != NULL && *private_path != '\0' &&
	    (k->private_pem = read_file(private_path, &k->private_len)) == NULL)
		goto fail;
	if ((k->public_pem = read_file(public_path, &k->public_len)) == NULL)
		goto fail;
	if ((k->public_key = parse_public_key(k->public_pem, k->public_len,
	    alg)) == NULL)
		goto fail;
	return (0);
fail:
	is_jwt_keys_free(k);
	return (-1);
}

void
is_jwt_keys_free(struct is_jwt_keys *k)
{
	free(k->alg);
	free(k->issuer);
	free(k->audience);
	free(k->private_pem);
	free(k->public_pem);
	EVP_PKEY_free(k->public_key);
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
	if (jwt_set_alg(jwt, jwt_str_alg(k->alg),
	    (const unsigned char *)k->private_pem, (int)k->private_len) != 0)
		goto done;
	token = jwt_encode_str(jwt);
done:
	cJSON_free(json);
	jwt_free(jwt);
	return (token);
}

static EVP_PKEY *
parse_public_key(const char *pem, size_t len, const char *alg)
{
	BIO		*bio;
	EVP_PKEY	*key;
	int		 want;

	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return (NULL);
	key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	want = strcmp(alg, "ES256") == 0 ? EVP_PKEY_EC : EVP_PKEY_RSA;
	if (key != NULL && EVP_PKEY_get_base_id(key) != want) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	return (key);
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
check_signature(const struct is_jwt_keys *k, const char *input,
    size_t inputlen, const char *sig64, size_t siglen64)
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
	if (EVP_PKEY_get_base_id(k->public_key) == EVP_PKEY_EC) {
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
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
	    k->public_key) == 1 && EVP_DigestVerify(md, check, checklen,
	    (const unsigned char *)input, inputlen) == 1)
		ok = 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return (ok ? 0 : -1);
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
	const char	*dot1, *dot2;
	const cJSON	*alg, *crit;
	cJSON		*header = NULL, *claims = NULL;
	size_t		 len;
	int		 rc = -1;

	memset(out, 0, sizeof(*out));
	if (token == NULL || k->public_key == NULL ||
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
	    crit != NULL)
		goto done;
	if (check_signature(k, token, (size_t)(dot2 - token), dot2 + 1,
	    len - (size_t)(dot2 + 1 - token)) == -1)
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
