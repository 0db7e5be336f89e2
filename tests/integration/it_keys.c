/*
 * Rotating the signing key (issue 10, item 16), through nginx. The JWKS
 * names the key of a fresh token, and that token's signature verifies
 * with the key rebuilt from the published x and y. "deploy/local.sh
 * rotate-keys" runs while requests with an older token flow, and none of
 * them fails; within seconds the JWKS lists the new key and the old one,
 * new logins carry the new kid, and the old token still works on every
 * service. A token naming an unknown key is refused, and one naming none
 * (issued before kids) is checked against the current key only.
 *
 * The stack is shared: rotating its keys is fine as long as it works
 * afterwards (new logins sign with the new key, the old tokens stay valid
 * until they expire). --force because the stack may have been rotated
 * within the last jwt.access_ttl (this test run again on it).
 */
#include <sys/wait.h>

#include <signal.h>

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "itest.h"
#include "iscommon/config.h"
#include "iscommon/crypto.h"
#include "iscommon/jwt.h"

#define JWKS		"/api/v1/auth/.well-known/jwks.json"
#define STUDENT		"2023S0001"
#define ROTATION_S	30	/* the command's own bound */
#define SETTLE_S	15	/* then the new key everywhere */

static const char *const	services[] = { "auth", "attendance", "profile",
				    "messaging", "scholarship", NULL };

/* Requests with one token while the keys change: every one must pass. */
struct flow {
	const char	*token;
	long		 requests;
	long		 failures;
	char		 first_failure[256];
};

static void
flow_once(struct flow *f)
{
	static const char *const	paths[] = {
		"/api/v1/auth/me", "/api/v1/attendance/courses", NULL
	};
	struct it_resp			r;
	int				i;

	for (i = 0; paths[i] != NULL; i++) {
		it_get(paths[i], f->token, &r);
		f->requests++;
		if (r.status != 200 && f->failures++ == 0)
			snprintf(f->first_failure, sizeof(f->first_failure),
			    "%s: %ld %.160s", paths[i], r.status, r.body);
		it_free(&r);
	}
}

/* The part of a compact token before its first dot (which 0) or between
 * its dots (which 1), decoded; malloc'd. */
static char *
token_part(const char *token, int which)
{
	const char	*start, *end;
	unsigned char	*raw;
	size_t		 len;

	start = which == 0 ? token : strchr(token, '.') + 1;
	end = strchr(start, '.');
	assert_non_null(end);
	raw = malloc((size_t)(end - start) + 1);
	assert_int_equal(is_b64url_decode(start, (size_t)(end - start), raw,
	    (size_t)(end - start), &len), 0);
	raw[len] = '\0';
	return ((char *)raw);
}

/* The kid of a token's header, or "" when it has none. */
static void
token_kid(const char *token, char kid[IS_JWT_KID_LEN])
{
	char		*header;
	cJSON		*doc;
	const cJSON	*v;

	header = token_part(token, 0);
	assert_non_null(doc = cJSON_Parse(header));
	v = cJSON_GetObjectItemCaseSensitive(doc, "kid");
	snprintf(kid, IS_JWT_KID_LEN, "%s",
	    cJSON_IsString(v) ? v->valuestring : "");
	cJSON_Delete(doc);
	free(header);
}

/* The JWKS through nginx, checked for shape; the caller frees it. */
static cJSON *
jwks_fetch(void)
{
	struct it_resp	 r;
	const cJSON	*keys, *jwk;
	cJSON		*doc;

	it_get(JWKS, NULL, &r);
	if (r.status != 200)
		fail_msg("jwks: %ld %s", r.status, r.body);
	assert_non_null(strstr(r.ctype, "application/json"));
	assert_int_equal(r.cache_controls, 1);
	assert_string_equal(r.cache_control, "public, max-age=300");
	doc = r.json;
	r.json = NULL;
	it_free(&r);
	keys = cJSON_GetObjectItemCaseSensitive(doc, "keys");
	assert_true(cJSON_IsArray(keys));
	assert_true(cJSON_GetArraySize(keys) >= 1);
	cJSON_ArrayForEach(jwk, keys) {
		assert_string_equal(cJSON_GetStringValue(
		    cJSON_GetObjectItem(jwk, "kty")), "EC");
		assert_string_equal(cJSON_GetStringValue(
		    cJSON_GetObjectItem(jwk, "crv")), "P-256");
		assert_string_equal(cJSON_GetStringValue(
		    cJSON_GetObjectItem(jwk, "use")), "sig");
		assert_string_equal(cJSON_GetStringValue(
		    cJSON_GetObjectItem(jwk, "alg")), "ES256");
		assert_int_equal(strlen(cJSON_GetStringValue(
		    cJSON_GetObjectItem(jwk, "kid"))), 43);
	}
	return (doc);
}

static int
jwks_count(const cJSON *jwks)
{
	return (cJSON_GetArraySize(cJSON_GetObjectItem(jwks, "keys")));
}

static const char *
jwks_kid(const cJSON *jwks, int i)
{
	return (cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(jwks, "keys"), i), "kid")));
}

static const cJSON *
jwks_find(const cJSON *jwks, const char *kid)
{
	const cJSON	*jwk;

	cJSON_ArrayForEach(jwk, cJSON_GetObjectItem(jwks, "keys")) {
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(jwk,
		    "kid")), kid) == 0)
			return (jwk);
	}
	return (NULL);
}

/* The P-256 public key a JWK publishes, rebuilt from x and y alone. */
static EVP_PKEY *
jwk_key(const cJSON *jwk)
{
	unsigned char	 point[65];
	const char	*x, *y;
	size_t		 xl, yl;
	OSSL_PARAM_BLD	*bld;
	OSSL_PARAM	*params;
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*key = NULL;

	x = cJSON_GetStringValue(cJSON_GetObjectItem(jwk, "x"));
	y = cJSON_GetStringValue(cJSON_GetObjectItem(jwk, "y"));
	assert_non_null(x);
	assert_non_null(y);
	point[0] = 0x04;		/* uncompressed: x || y */
	assert_int_equal(is_b64url_decode(x, strlen(x), point + 1, 32, &xl), 0);
	assert_int_equal(is_b64url_decode(y, strlen(y), point + 33, 32, &yl),
	    0);
	assert_int_equal(xl, 32);
	assert_int_equal(yl, 32);
	bld = OSSL_PARAM_BLD_new();
	assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(bld,
	    OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld,
	    OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)), 1);
	assert_non_null(params = OSSL_PARAM_BLD_to_param(bld));
	assert_non_null(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL));
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY,
	    params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return (key);
}

/* 1 when the token's ES256 signature (R || S) verifies with key. */
static int
jws_verifies(EVP_PKEY *key, const char *token)
{
	const char	*dot2 = strrchr(token, '.');
	unsigned char	 sig[64], *der = NULL;
	size_t		 siglen;
	ECDSA_SIG	*es;
	EVP_MD_CTX	*md;
	int		 derlen, ok;

	if (is_b64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof(sig),
	    &siglen) == -1 || siglen != 64)
		return (0);
	es = ECDSA_SIG_new();
	assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL),
	    BN_bin2bn(sig + 32, 32, NULL)), 1);
	derlen = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	assert_true(derlen > 0);
	md = EVP_MD_CTX_new();
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(md, der, (size_t)derlen,
	    (const unsigned char *)token, (size_t)(dot2 - token)) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return (ok);
}

/* The published key of kid verifies token, and not a tampered copy. */
static void
assert_published_signature(const cJSON *jwks, const char *token)
{
	char		 kid[IS_JWT_KID_LEN], *bad, *p;
	const cJSON	*jwk;
	EVP_PKEY	*key;

	token_kid(token, kid);
	if ((jwk = jwks_find(jwks, kid)) == NULL)
		fail_msg("the token's kid %s is not in the JWKS", kid);
	key = jwk_key(jwk);
	assert_true(jws_verifies(key, token));
	bad = strdup(token);
	p = strchr(bad, '.') + 5;
	*p = *p == 'A' ? 'B' : 'A';
	assert_false(jws_verifies(key, bad));
	free(bad);
	EVP_PKEY_free(key);
}

static char *
read_text(const char *path, size_t *len)
{
	FILE	*fp;
	char	*text;

	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot read %s (the test runs as root, like the "
		    "stack)", path);
	text = calloc(1, 16384);
	*len = fread(text, 1, 16383, fp);
	fclose(fp);
	return (text);
}

/* A token over payload (JSON), signed with the PEM private key, naming
 * kid in its header (none when kid is NULL). */
static char *
sign_payload(const char *payload, const char *pem, size_t pemlen,
    const char *kid)
{
	jwt_t	*jwt;
	char	*token;

	assert_int_equal(jwt_new(&jwt), 0);
	assert_int_equal(jwt_add_grants_json(jwt, payload), 0);
	if (kid != NULL)
		assert_int_equal(jwt_add_header(jwt, "kid", kid), 0);
	assert_int_equal(jwt_set_alg(jwt, JWT_ALG_ES256,
	    (const unsigned char *)pem, (int)pemlen), 0);
	assert_non_null(token = jwt_encode_str(jwt));
	jwt_free(jwt);
	return (token);
}

/* tok is taken (or refused, want 401) by every service, each worker. */
static void
assert_everywhere(const char *tok, long want)
{
	char	path[128];
	int	i;

	assert_int_equal(it_status_of("/api/v1/auth/me", tok, 4), want);
	assert_int_equal(it_status_of("/api/v1/attendance/courses", tok, 4), want);
	/* Routes they do not have: 404 once the token is taken. */
	for (i = 2; services[i] != NULL; i++) {
		snprintf(path, sizeof(path), "/api/v1/%s/anything",
		    services[i]);
		assert_int_equal(it_status_of(path, tok, 4),
		    want == 200 ? 404 : want);
	}
}

static pid_t
spawn_rotation(void)
{
	pid_t	pid;

	if ((pid = fork()) == 0) {
		execl(IS_SOURCE_DIR "/deploy/local.sh", "local.sh",
		    "rotate-keys", "--force", (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	return (pid);
}

/* Before any rotation of this run: the token's key is published. */
static void
test_jwks_names_the_token_key(void **state)
{
	char	*tok, kid[IS_JWT_KID_LEN];
	cJSON	*jwks;

	(void)state;
	assert_non_null(tok = it_login(STUDENT, it_demo_password(), NULL));
	token_kid(tok, kid);
	assert_int_equal(strlen(kid), 43);
	jwks = jwks_fetch();
	assert_string_equal(jwks_kid(jwks, 0), kid);
	assert_published_signature(jwks, tok);
	cJSON_Delete(jwks);
	free(tok);
}

/* A well-signed token naming a key the services do not have: refused. */
static void
test_unknown_kid_is_refused(void **state)
{
	char		*tok, *payload, *forged, kid[IS_JWT_KID_LEN];
	EVP_PKEY	*other;
	BIO		*bio;
	char		*pem;
	long		 pemlen;

	(void)state;
	assert_non_null(tok = it_login(STUDENT, it_demo_password(), NULL));
	payload = token_part(tok, 1);
	assert_non_null(other = EVP_EC_gen("P-256"));
	assert_int_equal(is_jwk_thumbprint(other, kid), 0);
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PrivateKey(bio, other, NULL, NULL, 0,
	    NULL, NULL), 1);
	pemlen = BIO_get_mem_data(bio, &pem);
	forged = sign_payload(payload, pem, (size_t)pemlen, kid);
	assert_everywhere(forged, 401);
	free(forged);
	/* The same key under the kid of the real one: its signature fails. */
	token_kid(tok, kid);
	forged = sign_payload(payload, pem, (size_t)pemlen, kid);
	assert_everywhere(forged, 401);
	free(forged);
	BIO_free(bio);
	EVP_PKEY_free(other);
	/* The real token, for contrast. */
	assert_everywhere(tok, 200);
	free(payload);
	free(tok);
}

/*
 * The rotation itself, with requests flowing: none fails, the JWKS and
 * new logins move to the new key, the old token keeps working everywhere.
 */
static void
test_rotation_is_live(void **state)
{
	struct flow	 flow;
	char		*old, *fresh = NULL, *payload, *tok;
	char		*old_pem, *new_pem;
	char		 old_kid[IS_JWT_KID_LEN], new_kid[IS_JWT_KID_LEN];
	const char	*priv_path;
	cJSON		*jwks = NULL;
	size_t		 old_len, new_len;
	long		 start, deaths[8];
	pid_t		 pid;
	int		 status, i, settled = 0;

	(void)state;
	for (i = 0; services[i] != NULL; i++)
		deaths[i] = it_worker_deaths(services[i]);
	assert_non_null(old = it_login(STUDENT, it_demo_password(), NULL));
	token_kid(old, old_kid);
	assert_non_null(priv_path = is_config_get("jwt.private_key", NULL));
	old_pem = read_text(priv_path, &old_len);
	memset(&flow, 0, sizeof(flow));
	flow.token = old;

	start = it_now_ms();
	pid = spawn_rotation();
	for (;;) {
		flow_once(&flow);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (it_now_ms() - start > ROTATION_S * 1000) {
			kill(pid, SIGKILL);
			fail_msg("deploy/local.sh rotate-keys took over %d s",
			    ROTATION_S);
		}
		usleep(10 * 1000);
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	print_message("rotation took %ld ms, %ld requests meanwhile\n",
	    it_now_ms() - start, flow.requests);

	/* The new key published with the old one, and signing new logins. */
	start = it_now_ms();
	while (!settled && it_now_ms() - start < SETTLE_S * 1000) {
		flow_once(&flow);
		cJSON_Delete(jwks);
		jwks = jwks_fetch();
		free(fresh);
		assert_non_null(fresh = it_login(STUDENT, it_demo_password(),
		    NULL));
		token_kid(fresh, new_kid);
		settled = jwks_count(jwks) == 2 &&
		    strcmp(jwks_kid(jwks, 1), old_kid) == 0 &&
		    strcmp(jwks_kid(jwks, 0), old_kid) != 0 &&
		    strcmp(new_kid, jwks_kid(jwks, 0)) == 0;
		if (!settled)
			usleep(200 * 1000);
	}
	if (!settled)
		fail_msg("after %d s: %d keys, first %s (old %s), new login's "
		    "kid %s", SETTLE_S, jwks_count(jwks), jwks_kid(jwks, 0),
		    old_kid, new_kid);
	if (flow.failures > 0)
		fail_msg("%ld of %ld requests with the old token failed; "
		    "first: %s", flow.failures, flow.requests,
		    flow.first_failure);
	assert_true(flow.requests >= 20);
	assert_published_signature(jwks, fresh);
	assert_published_signature(jwks, old);

	/* Both tokens, on every service and every worker. */
	assert_everywhere(old, 200);
	assert_everywhere(fresh, 200);

	/* No kid (issued before kids): the current key only. */
	payload = token_part(old, 1);
	tok = sign_payload(payload, old_pem, old_len, NULL);
	assert_everywhere(tok, 401);
	free(tok);
	new_pem = read_text(priv_path, &new_len);
	tok = sign_payload(payload, new_pem, new_len, NULL);
	assert_everywhere(tok, 200);
	free(tok);

	/* Every service took the files (its log is flushed each second);
	 * no worker died doing it. */
	for (i = 0; services[i] != NULL; i++) {
		start = it_now_ms();
		while (it_log_count(services[i], "JWT keys reloaded") == 0 &&
		    it_now_ms() - start < 3000)
			usleep(100 * 1000);
		if (it_log_count(services[i], "JWT keys reloaded") == 0)
			fail_msg("%s logged no key reload", services[i]);
		assert_int_equal(it_worker_deaths(services[i]), deaths[i]);
	}

	OPENSSL_cleanse(old_pem, old_len);
	OPENSSL_cleanse(new_pem, new_len);
	free(old_pem);
	free(new_pem);
	free(payload);
	cJSON_Delete(jwks);
	free(fresh);
	free(old);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwks_names_the_token_key),
		cmocka_unit_test(test_unknown_kid_is_refused),
		cmocka_unit_test(test_rotation_is_live),
	};

	it_init();
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
