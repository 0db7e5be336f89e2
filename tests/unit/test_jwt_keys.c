/*
 * Unit tests of key naming and rotation (libcommon/src/jwt.c): RFC 7638
 * thumbprints against the RFCs' own keys, the JWKS document, a token's
 * kid choosing the current or the previous key, tokens without a kid,
 * and reloading the key files as deploy/rotate-jwt-keys.sh changes them.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <jwt.h>

#include "iscommon/crypto.h"
#include "iscommon/jwt.h"

/* RFC 7638, section 3.1: the RSA key of RFC 7517 appendix A.1 and its
 * thumbprint, as the RFC prints them. */
#define RFC7638_N	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4" \
	"cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ" \
	"_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQM" \
	"icAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFT" \
	"WhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU" \
	"8awapJzKnqDKgw"
#define RFC7638_KID	"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
/* The same public key as PEM (SubjectPublicKeyInfo built from n and e). */
static const char	rfc7638_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0vx7agoebGcQSuuPiLJX\n"
    "ZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tS\n"
    "oc/BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ/2W+5JsGY4Hc5n9yBXArwl93lqt\n"
    "7/RN5w6Cf0h4QyQ5v+65YGjQR0/FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0\n"
    "zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt+bFTWhAI4vMQFh6WeZu0f\n"
    "M4lFd2NcRwr3XPksINHaQ+G/xBniIqbw0Ls1jF44+csFCur+kEgU8awapJzKnqDK\n"
    "gwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

/* The P-256 key of RFC 7517 appendix A.1, as PEM; its thumbprint is the
 * SHA-256 of {"crv":"P-256","kty":"EC","x":"...","y":"..."}, computed
 * apart (Python's hashlib) from the RFC's x and y. */
#define RFC7517_X	"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4"
#define RFC7517_Y	"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"
#define RFC7517_KID	"cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s"
static const char	rfc7517_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEMKBCTNIcKUSDii11ySs3526iDZ8A\n"
    "iTo7Tu6KPAqv7D7gS2XpJFbZiItSs3m9+9Ue6GnvHw/GW2ZZaVtszggXIw==\n"
    "-----END PUBLIC KEY-----\n";

/* A scratch folder per test; its files are the key files. */
struct keydir {
	char	dir[64];
	char	path[8][128];
};

static const char *
kd_path(struct keydir *kd, int i, const char *name)
{
	char	path[sizeof(kd->path[0])];

	snprintf(path, sizeof(path), "%s/%s", kd->dir, name);
	memcpy(kd->path[i], path, sizeof(path));
	return (kd->path[i]);
}

static void
kd_init(struct keydir *kd)
{
	memset(kd, 0, sizeof(*kd));
	strcpy(kd->dir, "/tmp/is-keys-XXXXXX");
	assert_non_null(mkdtemp(kd->dir));
}

static void
kd_done(struct keydir *kd)
{
	char	cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", kd->dir);
	assert_int_equal(system(cmd), 0);
}

static void
run(const char *fmt, ...)
{
	char	cmd[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

/* An ES256 pair name.pem / name.pub in the folder. */
static void
kd_pair(struct keydir *kd, const char *name)
{
	run("cd %s && openssl ecparam -name prime256v1 -genkey -noout "
	    "-out %s.pem 2>/dev/null && openssl ec -in %s.pem -pubout "
	    "-out %s.pub 2>/dev/null", kd->dir, name, name, name);
}

static void
kd_write(struct keydir *kd, const char *name, const char *text)
{
	FILE	*fp;
	char	 path[160];

	snprintf(path, sizeof(path), "%s/%s", kd->dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

/* Puts a copy of src at dst the way the rotation script does: a new
 * file, renamed over the old one. */
static void
kd_install(struct keydir *kd, const char *src, const char *dst)
{
	run("cd %s && cp %s .tmp && mv -f .tmp %s", kd->dir, src, dst);
}

static void
claims_fill(struct is_claims *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->sub, "u1");
	strcpy(c->account, "2023S0001");
	strcpy(c->sid, "s1");
	strcpy(c->client, "web");
	strcpy(c->roles[0], "student");
	c->nroles = 1;
}

/* A token like is_jwt_sign's, signed with the PEM key at path, its
 * header's kid set by kid_kind: 0 none, 1 the string kid, 2 a number. */
static char *
sign_raw(const char *path, int kid_kind, const char *kid, time_t now)
{
	FILE		*fp;
	unsigned char	 pem[4096];
	size_t		 len;
	jwt_t		*jwt;
	char		 grants[512], *token;

	assert_non_null(fp = fopen(path, "r"));
	len = fread(pem, 1, sizeof(pem), fp);
	fclose(fp);
	snprintf(grants, sizeof(grants), "{\"iss\":\"i\",\"aud\":\"a\","
	    "\"sub\":\"u1\",\"acc\":\"2023S0001\",\"sid\":\"s1\","
	    "\"cli\":\"web\",\"mcp\":false,\"iat\":%ld,\"exp\":%ld,"
	    "\"roles\":[\"student\"]}", (long)now, (long)now + 60);
	assert_int_equal(jwt_new(&jwt), 0);
	assert_int_equal(jwt_add_grants_json(jwt, grants), 0);
	if (kid_kind == 1)
		assert_int_equal(jwt_add_header(jwt, "kid", kid), 0);
	else if (kid_kind == 2)
		assert_int_equal(jwt_add_header_int(jwt, "kid", 7), 0);
	assert_int_equal(jwt_set_alg(jwt, JWT_ALG_ES256, pem, (int)len), 0);
	token = jwt_encode_str(jwt);
	jwt_free(jwt);
	assert_non_null(token);
	return (token);
}

/* The header of a compact token, parsed. */
static cJSON *
token_header(const char *token)
{
	unsigned char	raw[512];
	size_t		len;

	assert_int_equal(is_b64url_decode(token, (size_t)(strchr(token, '.') -
	    token), raw, sizeof(raw) - 1, &len), 0);
	raw[len] = '\0';
	return (cJSON_Parse((const char *)raw));
}

static const char *
jstr(const cJSON *obj, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return (cJSON_IsString(v) ? v->valuestring : "(absent)");
}

/* Thumbprints and JWKS of the RFCs' keys. */
static void
test_thumbprint_and_jwks(void **state)
{
	struct is_jwt_keys	 k;
	struct keydir		 kd;
	cJSON			*doc, *keys, *jwk;

	(void)state;
	kd_init(&kd);
	kd_write(&kd, "rsa.pub", rfc7638_pem);
	kd_write(&kd, "ec.pub", rfc7517_pem);

	assert_int_equal(is_jwt_keys_load(&k, "RS256", "i", "a", NULL,
	    kd_path(&kd, 0, "rsa.pub"), NULL, 60), 0);
	assert_string_equal(k.current.kid, RFC7638_KID);
	assert_null(k.previous.pkey);
	assert_non_null(doc = cJSON_Parse(k.jwks));
	keys = cJSON_GetObjectItemCaseSensitive(doc, "keys");
	assert_int_equal(cJSON_GetArraySize(keys), 1);
	jwk = cJSON_GetArrayItem(keys, 0);
	assert_string_equal(jstr(jwk, "kty"), "RSA");
	assert_string_equal(jstr(jwk, "n"), RFC7638_N);
	assert_string_equal(jstr(jwk, "e"), "AQAB");
	assert_string_equal(jstr(jwk, "kid"), RFC7638_KID);
	assert_string_equal(jstr(jwk, "use"), "sig");
	assert_string_equal(jstr(jwk, "alg"), "RS256");
	cJSON_Delete(doc);
	is_jwt_keys_free(&k);

	assert_int_equal(is_jwt_keys_load(&k, "ES256", "i", "a", NULL,
	    kd_path(&kd, 0, "ec.pub"), NULL, 60), 0);
	assert_string_equal(k.current.kid, RFC7517_KID);
	assert_non_null(doc = cJSON_Parse(k.jwks));
	keys = cJSON_GetObjectItemCaseSensitive(doc, "keys");
	assert_int_equal(cJSON_GetArraySize(keys), 1);
	jwk = cJSON_GetArrayItem(keys, 0);
	assert_string_equal(jstr(jwk, "kty"), "EC");
	assert_string_equal(jstr(jwk, "crv"), "P-256");
	assert_string_equal(jstr(jwk, "x"), RFC7517_X);
	assert_string_equal(jstr(jwk, "y"), RFC7517_Y);
	assert_string_equal(jstr(jwk, "kid"), RFC7517_KID);
	assert_string_equal(jstr(jwk, "use"), "sig");
	assert_string_equal(jstr(jwk, "alg"), "ES256");
	assert_null(cJSON_GetObjectItemCaseSensitive(jwk, "d"));
	cJSON_Delete(doc);
	is_jwt_keys_free(&k);

	/* A key of the other algorithm, or another curve, is refused. */
	assert_int_equal(is_jwt_keys_load(&k, "ES256", "i", "a", NULL,
	    kd_path(&kd, 0, "rsa.pub"), NULL, 60), -1);
	assert_non_null(strstr(is_jwt_error(), "not a ES256 public key"));
	assert_int_equal(is_jwt_keys_load(&k, "RS256", "i", "a", NULL,
	    kd_path(&kd, 0, "ec.pub"), NULL, 60), -1);
	run("cd %s && openssl ecparam -name secp384r1 -genkey -noout -out "
	    "p384.pem 2>/dev/null && openssl ec -in p384.pem -pubout -out "
	    "p384.pub 2>/dev/null", kd.dir);
	assert_int_equal(is_jwt_keys_load(&k, "ES256", "i", "a", NULL,
	    kd_path(&kd, 0, "p384.pub"), NULL, 60), -1);
	kd_done(&kd);
}

/* A token names its key; a verifier takes the current or previous key. */
static void
test_kid_current_and_previous(void **state)
{
	struct is_jwt_keys	 a, ba, b, ab;
	struct is_claims	 c, out;
	struct keydir		 kd;
	cJSON			*hdr, *keys;
	char			*tok, *raw;
	time_t			 now = time(NULL);

	(void)state;
	kd_init(&kd);
	kd_pair(&kd, "a");
	kd_pair(&kd, "b");
	claims_fill(&c);

	/* Signed with A: its header names A. */
	assert_int_equal(is_jwt_keys_load(&a, "ES256", "i", "a",
	    kd_path(&kd, 0, "a.pem"), kd_path(&kd, 1, "a.pub"), NULL, 60), 0);
	assert_string_equal(a.signing_kid, a.current.kid);
	assert_int_equal(strlen(a.current.kid), 43);
	assert_non_null(tok = is_jwt_sign(&a, &c, now));
	assert_non_null(hdr = token_header(tok));
	assert_string_equal(jstr(hdr, "kid"), a.current.kid);
	assert_string_equal(jstr(hdr, "alg"), "ES256");
	cJSON_Delete(hdr);

	/* Current B, previous A: A's token verifies; B alone refuses it. */
	assert_int_equal(is_jwt_keys_load(&ba, "ES256", "i", "a", NULL,
	    kd_path(&kd, 0, "b.pub"), kd_path(&kd, 1, "a.pub"), 60), 0);
	assert_string_equal(ba.previous.kid, a.current.kid);
	assert_string_not_equal(ba.current.kid, ba.previous.kid);
	assert_int_equal(is_jwt_verify(&ba, tok, now, &out), 0);
	assert_string_equal(out.account, "2023S0001");
	assert_int_equal(is_jwt_keys_load(&b, "ES256", "i", "a", NULL,
	    kd_path(&kd, 0, "b.pub"), NULL, 60), 0);
	assert_int_equal(is_jwt_verify(&b, tok, now, &out), -1);
	free(tok);

	/* The JWKS lists both, the current one first. */
	keys = cJSON_GetObjectItemCaseSensitive(hdr = cJSON_Parse(ba.jwks),
	    "keys");
	assert_int_equal(cJSON_GetArraySize(keys), 2);
	assert_string_equal(jstr(cJSON_GetArrayItem(keys, 0), "kid"),
	    ba.current.kid);
	assert_string_equal(jstr(cJSON_GetArrayItem(keys, 1), "kid"),
	    ba.previous.kid);
	cJSON_Delete(hdr);

	/* A kid naming neither key, or not a string: refused, even when
	 * the signature is the current key's. */
	raw = sign_raw(kd_path(&kd, 0, "a.pem"), 1, b.current.kid, now);
	assert_int_equal(is_jwt_verify(&a, raw, now, &out), -1);
	free(raw);
	raw = sign_raw(kd_path(&kd, 0, "a.pem"), 1, "unknown-key", now);
	assert_int_equal(is_jwt_verify(&a, raw, now, &out), -1);
	assert_int_equal(is_jwt_verify(&ba, raw, now, &out), -1);
	free(raw);
	raw = sign_raw(kd_path(&kd, 0, "a.pem"), 2, NULL, now);
	assert_int_equal(is_jwt_verify(&a, raw, now, &out), -1);
	free(raw);
	/* The same signing with the right kid passes (the helper is sound). */
	raw = sign_raw(kd_path(&kd, 0, "a.pem"), 1, a.current.kid, now);
	assert_int_equal(is_jwt_verify(&a, raw, now, &out), 0);
	assert_int_equal(is_jwt_verify(&ba, raw, now, &out), 0);
	free(raw);

	/* No kid (issued before kids): the current key only. */
	raw = sign_raw(kd_path(&kd, 0, "a.pem"), 0, NULL, now);
	assert_non_null(hdr = token_header(raw));
	assert_null(cJSON_GetObjectItemCaseSensitive(hdr, "kid"));
	cJSON_Delete(hdr);
	assert_int_equal(is_jwt_verify(&a, raw, now, &out), 0);
	assert_int_equal(is_jwt_verify(&ba, raw, now, &out), -1);
	assert_int_equal(is_jwt_keys_load(&ab, "ES256", "i", "a", NULL,
	    kd_path(&kd, 0, "a.pub"), kd_path(&kd, 1, "b.pub"), 60), 0);
	assert_int_equal(is_jwt_verify(&ab, raw, now, &out), 0);
	free(raw);
	is_jwt_keys_free(&ab);

	/* A private key must belong to the current or the previous key:
	 * mid-rotation (new public key, old private key) signs with A. */
	assert_int_equal(is_jwt_keys_load(&ab, "ES256", "i", "a",
	    kd_path(&kd, 0, "a.pem"), kd_path(&kd, 1, "b.pub"), NULL, 60), -1);
	assert_non_null(strstr(is_jwt_error(), "belongs to neither"));
	assert_int_equal(is_jwt_keys_load(&ab, "ES256", "i", "a",
	    kd_path(&kd, 0, "a.pem"), kd_path(&kd, 1, "b.pub"),
	    kd_path(&kd, 2, "a.pub"), 60), 0);
	assert_string_equal(ab.signing_kid, ab.previous.kid);
	assert_non_null(tok = is_jwt_sign(&ab, &c, now));
	assert_int_equal(is_jwt_verify(&ba, tok, now, &out), 0);
	free(tok);
	is_jwt_keys_free(&ab);

	/* A previous key file that is not there is no previous key; one
	 * that does not parse fails the load. */
	assert_int_equal(is_jwt_keys_load(&ab, "ES256", "i", "a", NULL,
	    kd_path(&kd, 0, "a.pub"), kd_path(&kd, 1, "missing.pub"), 60), 0);
	assert_null(ab.previous.pkey);
	is_jwt_keys_free(&ab);
	kd_write(&kd, "junk.pub", "not a key\n");
	assert_int_equal(is_jwt_keys_load(&ab, "ES256", "i", "a", NULL,
	    kd_path(&kd, 0, "a.pub"), kd_path(&kd, 1, "junk.pub"), 60), -1);

	is_jwt_keys_free(&a);
	is_jwt_keys_free(&ba);
	is_jwt_keys_free(&b);
	kd_done(&kd);
}

/* The key files change under a running service, as the script does it. */
static void
test_reload(void **state)
{
	struct is_jwt_keys	 k;
	struct is_claims	 c, out;
	struct keydir		 kd;
	char			 kid_a[IS_JWT_KID_LEN], kid_b[IS_JWT_KID_LEN];
	char			*tok_a, *tok_b;
	time_t			 now = time(NULL);

	(void)state;
	kd_init(&kd);
	kd_pair(&kd, "a");
	kd_pair(&kd, "b");
	kd_install(&kd, "a.pem", "private.pem");
	kd_install(&kd, "a.pub", "public.pem");
	claims_fill(&c);
	assert_int_equal(is_jwt_keys_load(&k, "ES256", "i", "a",
	    kd_path(&kd, 0, "private.pem"), kd_path(&kd, 1, "public.pem"),
	    kd_path(&kd, 2, "previous.pem"), 60), 0);
	assert_null(k.previous.pkey);
	memcpy(kid_a, k.current.kid, sizeof(kid_a));
	assert_int_equal(is_jwt_keys_reload(&k), 0);
	assert_non_null(tok_a = is_jwt_sign(&k, &c, now));

	/* The rotation, step by step: each state loads. */
	kd_install(&kd, "a.pub", "previous.pem");
	assert_int_equal(is_jwt_keys_reload(&k), 1);
	assert_string_equal(k.current.kid, kid_a);
	assert_string_equal(k.previous.kid, kid_a);
	kd_install(&kd, "b.pub", "public.pem");
	assert_int_equal(is_jwt_keys_reload(&k), 1);
	memcpy(kid_b, k.current.kid, sizeof(kid_b));
	assert_string_not_equal(kid_a, kid_b);
	assert_string_equal(k.previous.kid, kid_a);
	assert_string_equal(k.signing_kid, kid_a);
	kd_install(&kd, "b.pem", "private.pem");
	assert_int_equal(is_jwt_keys_reload(&k), 1);
	assert_string_equal(k.signing_kid, kid_b);
	assert_int_equal(is_jwt_keys_reload(&k), 0);
	assert_non_null(tok_b = is_jwt_sign(&k, &c, now));
	assert_int_equal(is_jwt_verify(&k, tok_a, now, &out), 0);
	assert_int_equal(is_jwt_verify(&k, tok_b, now, &out), 0);

	/* Files that do not load: the keys in use stay, said once. */
	kd_write(&kd, "junk", "-----BEGIN PUBLIC KEY-----\nAAAA\n");
	kd_install(&kd, "junk", "public.pem");
	assert_int_equal(is_jwt_keys_reload(&k), -1);
	assert_non_null(strstr(is_jwt_error(), "public.pem"));
	assert_int_equal(is_jwt_keys_reload(&k), 0);
	assert_string_equal(k.current.kid, kid_b);
	assert_int_equal(is_jwt_verify(&k, tok_b, now, &out), 0);
	/* A private key that matches no public key is refused the same. */
	kd_install(&kd, "a.pub", "public.pem");
	kd_install(&kd, "a.pub", "previous.pem");
	assert_int_equal(is_jwt_keys_reload(&k), -1);
	assert_string_equal(k.signing_kid, kid_b);
	kd_install(&kd, "b.pub", "public.pem");
	assert_int_equal(is_jwt_keys_reload(&k), 1);

	/* The previous key removed: its tokens are refused from then on. */
	assert_int_equal(unlink(kd_path(&kd, 3, "previous.pem")), 0);
	assert_int_equal(is_jwt_keys_reload(&k), 1);
	assert_null(k.previous.pkey);
	assert_int_equal(is_jwt_verify(&k, tok_a, now, &out), -1);
	assert_int_equal(is_jwt_verify(&k, tok_b, now, &out), 0);
	assert_non_null(strstr(k.jwks, kid_b));
	assert_null(strstr(k.jwks, kid_a));

	free(tok_a);
	free(tok_b);
	is_jwt_keys_free(&k);
	kd_done(&kd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thumbprint_and_jwks),
		cmocka_unit_test(test_kid_current_and_previous),
		cmocka_unit_test(test_reload),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
