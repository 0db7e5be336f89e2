/* Unit tests of libcommon's pure parts: config, validation, problems,
 * UTF-8, crypto, JWT, CSV import and metrics. */
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

#include "iscommon/config.h"
#include "iscommon/crypto.h"
#include "iscommon/csvexport.h"
#include "iscommon/csvimport.h"
#include "iscommon/generation.h"
#include "iscommon/jwt.h"
#include "iscommon/metrics.h"
#include "iscommon/problem.h"
#include "iscommon/revoked.h"
#include "iscommon/sqlcheck.h"
#include "iscommon/strutil.h"
#include "iscommon/validate.h"

static void
test_config_file_and_env(void **state)
{
	char	path[] = "/tmp/is-config-XXXXXX";
	FILE	*fp;
	int	 fd;

	(void)state;
	fd = mkstemp(path);
	fp = fdopen(fd, "w");
	fputs("# comment\nauth.code_ttl = 600\n  db.conninfo=host=x port=1 \n"
	    "broken line\n", fp);
	fclose(fp);
	assert_int_equal(is_config_load(path), 0);
	assert_int_equal(is_config_int("auth.code_ttl", 1), 600);
	assert_string_equal(is_config_get("db.conninfo", NULL), "host=x port=1");
	assert_null(is_config_get("missing", NULL));
	setenv("IS_AUTH_CODE_TTL", "30", 1);
	assert_int_equal(is_config_int("auth.code_ttl", 1), 30);
	setenv("IS_AUTH_CODE_TTL", "3x", 1);
	assert_int_equal(is_config_int("auth.code_ttl", 7), 7);
	unsetenv("IS_AUTH_CODE_TTL");
	/* A service's own role, and no fallback to a shared one. */
	assert_null(is_config_conninfo("auth"));
	is_config_set("auth.db_conninfo", "host=x user=is_auth");
	assert_string_equal(is_config_conninfo("auth"), "host=x user=is_auth");
	assert_null(is_config_conninfo("attendance"));
	setenv("IS_ATTENDANCE_DB_CONNINFO", "user=is_attendance", 1);
	assert_string_equal(is_config_conninfo("attendance"),
	    "user=is_attendance");
	unsetenv("IS_ATTENDANCE_DB_CONNINFO");
	assert_int_equal(is_config_load("/nonexistent/file"), -1);
	unlink(path);
	is_config_clear();
}

static const char *const colours[] = { "red", "green", NULL };
static const struct is_field spec[] = {
	{ "name", IS_F_STRING, 1, 2, 5, NULL, NULL },
	{ "code", IS_F_STRING, 0, 6, 6, "^[0-9]{6}$", NULL },
	{ "colour", IS_F_STRING, 0, 0, 0, NULL, colours },
	{ "count", IS_F_INT, 0, 1, 10, NULL, NULL },
	{ "flag", IS_F_BOOL, 0, 0, 0, NULL, NULL },
	IS_FIELDS_END
};

static int
validate(const char *body, cJSON **errors, const char **problem)
{
	cJSON	*out = NULL;
	int	 rc;

	rc = is_validate_body(body, strlen(body), spec, &out, problem, errors);
	cJSON_Delete(out);
	return (rc);
}

static void
test_validate_accepts_good_input(void **state)
{
	const char	*problem;
	cJSON		*errors = NULL;

	(void)state;
	assert_int_equal(validate("{\"name\":\"Zoë\",\"code\":\"123456\","
	    "\"colour\":\"red\",\"count\":3,\"flag\":true}", &errors,
	    &problem), 0);
	assert_null(errors);
}

static void
test_validate_reports_each_field(void **state)
{
	const char	*problem;
	cJSON		*errors = NULL;

	(void)state;
	assert_int_equal(validate("{\"code\":\"12a456\",\"colour\":\"blue\","
	    "\"count\":11,\"flag\":\"yes\",\"extra\":1}", &errors, &problem),
	    -1);
	assert_string_equal(problem, "validation");
	/* extra unknown, name missing, code pattern, colour enum, count
	 * range, flag type. */
	assert_int_equal(cJSON_GetArraySize(errors), 6);
	cJSON_Delete(errors);
	errors = NULL;
	assert_int_equal(validate("{\"name\":\"abcdef\",\"count\":2.5}",
	    &errors, &problem), -1);
	assert_int_equal(cJSON_GetArraySize(errors), 2);
	cJSON_Delete(errors);
}

/* A repeated key: only the first would be checked, the last stored. */
static void
test_validate_refuses_repeated_keys(void **state)
{
	const char	*problem;
	cJSON		*errors = NULL;

	(void)state;
	assert_int_equal(validate("{\"name\":\"Ann\",\"name\":\"a-much-too-"
	    "long-name\"}", &errors, &problem), -1);
	assert_string_equal(problem, "validation");
	assert_int_equal(cJSON_GetArraySize(errors), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(errors, 0),
	    "message")->valuestring, "is given twice");
	assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(errors, 0),
	    "message_zh"));
	cJSON_Delete(errors);
}

static void
test_validate_malformed(void **state)
{
	const char	*problem;
	cJSON		*errors = NULL;

	(void)state;
	assert_int_equal(validate("{\"name\":", &errors, &problem), -1);
	assert_string_equal(problem, "malformed-json");
	assert_int_equal(validate("{\"name\":\"\xff\xfe\"}", &errors,
	    &problem), -1);
	assert_string_equal(problem, "malformed-json");
	assert_int_equal(validate("[1,2]", &errors, &problem), -1);
	assert_string_equal(problem, "validation");
	cJSON_Delete(errors);
}

static void
test_utf8(void **state)
{
	(void)state;
	assert_true(is_utf8_valid("abc", 3));
	assert_true(is_utf8_valid("\xe4\xb8\xad\xe6\x96\x87", 6));
	assert_false(is_utf8_valid("\xc0\xaf", 2));		/* overlong */
	assert_false(is_utf8_valid("\xed\xa0\x80", 3));		/* surrogate */
	assert_false(is_utf8_valid("\xe4\xb8", 2));		/* truncated */
	assert_false(is_utf8_valid("a\0b", 3));			/* NUL */
	assert_int_equal(is_utf8_length("\xe4\xb8\xad" "a"), 2);
}

static void
test_problem_render(void **state)
{
	cJSON	*doc, *errors;
	char	*out;
	int	 status;

	(void)state;
	errors = cJSON_CreateArray();
	out = is_problem_render("validation", "bad", "rid-1", errors, &status);
	assert_int_equal(status, 422);
	doc = cJSON_Parse(out);
	assert_string_equal(cJSON_GetObjectItem(doc, "type")->valuestring,
	    IS_PROBLEM_BASE "validation");
	assert_string_equal(cJSON_GetObjectItem(doc, "request_id")->valuestring,
	    "rid-1");
	assert_non_null(cJSON_GetObjectItem(doc, "title_zh"));
	cJSON_Delete(doc);
	cJSON_free(out);
	out = is_problem_render("no-such-code", NULL, NULL, NULL, &status);
	assert_int_equal(status, 500);
	cJSON_free(out);
}

/* Every catalogue code is documented in proto-docs/errors.md. */
static void
test_problem_catalogue_documented(void **state)
{
	const struct is_problem_def	*t;
	size_t				 n, i, len;
	FILE				*fp;
	char				*doc, needle[80];

	(void)state;
	fp = fopen(IS_SOURCE_DIR "/proto-docs/errors.md", "r");
	assert_non_null(fp);
	doc = calloc(1, 65536);
	len = fread(doc, 1, 65535, fp);
	fclose(fp);
	assert_true(len > 0);
	t = is_problem_table(&n);
	for (i = 0; i < n; i++) {
		snprintf(needle, sizeof(needle), "`%s`", t[i].code);
		if (strstr(doc, needle) == NULL)
			fail_msg("%s is not in proto-docs/errors.md", t[i].code);
	}
	free(doc);
}

static void
test_password_hash(void **state)
{
	struct is_scrypt_params	 p = { 1024, 8, 1 };
	char			*h, *h2;

	(void)state;
	h = is_password_hash("s3cret-Pass", &p);
	assert_non_null(h);
	assert_true(strncmp(h, "scrypt$1024$8$1$", 16) == 0);
	assert_true(is_password_verify("s3cret-Pass", h));
	assert_false(is_password_verify("s3cret-pass", h));
	assert_false(is_password_verify("", h));
	assert_false(is_password_verify("x", "scrypt$garbage"));
	assert_false(is_password_verify("x", NULL));
	h2 = is_password_hash("s3cret-Pass", &p);
	assert_string_not_equal(h, h2);		/* salted */
	free(h);
	free(h2);
}

static void
test_random_and_hashes(void **state)
{
	char	 code[7], a[65], b[65], s1[41];
	char	*t1, *t2;
	int	 i;

	(void)state;
	assert_int_equal(is_random_digits(code, 6), 0);
	assert_int_equal(strlen(code), 6);
	for (i = 0; i < 6; i++)
		assert_true(code[i] >= '0' && code[i] <= '9');
	t1 = is_random_token(32);
	t2 = is_random_token(32);
	assert_int_equal(strlen(t1), 43);
	assert_null(strpbrk(t1, "+/="));
	assert_string_not_equal(t1, t2);
	free(t1);
	free(t2);
	assert_int_equal(is_hmac_hex("key", "msg", a), 0);
	assert_int_equal(is_hmac_hex("key2", "msg", b), 0);
	assert_string_not_equal(a, b);
	/* RFC 4231-style known answer for HMAC-SHA256("key", "The quick..."). */
	is_hmac_hex("key", "The quick brown fox jumps over the lazy dog", a);
	assert_string_equal(a, "f7bc83f430538424b13298e6aa6fb143ef4d59a149461"
	    "75997479dbc2d1a3cd8");
	is_sha1_hex("abc", 3, s1);
	assert_string_equal(s1, "a9993e364706816aba3e25717850c26c9cd0d89d");
	assert_true(is_secure_streq("abc", "abc"));
	assert_false(is_secure_streq("abc", "abd"));
	assert_false(is_secure_streq("abc", "abcd"));
	assert_false(is_secure_streq(NULL, "a"));
}

static void
write_keys(char *priv, char *pub)
{
	char	cmd[512];
	int	 fd;

	fd = mkstemp(priv);
	close(fd);
	fd = mkstemp(pub);
	close(fd);
	snprintf(cmd, sizeof(cmd), "openssl ecparam -name prime256v1 -genkey "
	    "-noout -out %s && openssl ec -in %s -pubout -out %s 2>/dev/null",
	    priv, priv, pub);
	assert_int_equal(system(cmd), 0);
}

static void
test_jwt_roundtrip_and_checks(void **state)
{
	struct is_jwt_keys	 k, other;
	struct is_claims	 c, out;
	char			 priv[] = "/tmp/is-jwt-XXXXXX";
	char			 pub[] = "/tmp/is-jwtp-XXXXXX";
	char			 priv2[] = "/tmp/is-jwt2-XXXXXX";
	char			 pub2[] = "/tmp/is-jwtp2-XXXXXX";
	char			*tok, *bad, *p;
	time_t			 now = time(NULL);

	(void)state;
	write_keys(priv, pub);
	assert_int_equal(is_jwt_keys_load(&k, "ES256", "iss1", "aud1", priv,
	    pub, NULL, 900), 0);
	memset(&c, 0, sizeof(c));
	strcpy(c.sub, "u1");
	strcpy(c.account, "2023S0001");
	strcpy(c.sid, "s1");
	strcpy(c.client, "web");
	strcpy(c.roles[0], "student");
	c.nroles = 1;
	c.must_change_password = 1;
	tok = is_jwt_sign(&k, &c, now);
	assert_non_null(tok);
	assert_int_equal(is_jwt_verify(&k, tok, now, &out), 0);
	assert_string_equal(out.account, "2023S0001");
	assert_int_equal(out.nroles, 1);
	assert_true(out.must_change_password);
	assert_true(is_claims_has_role(&out, "student"));
	assert_false(is_claims_has_role(&out, "admin"));
	/* expired (past the leeway) */
	assert_int_equal(is_jwt_verify(&k, tok, now + 900 + 31, &out), -1);
	/* wrong audience / issuer */
	assert_int_equal(is_jwt_keys_load(&other, "ES256", "iss1", "aud2",
	    NULL, pub, NULL, 900), 0);
	assert_int_equal(is_jwt_verify(&other, tok, now, &out), -1);
	is_jwt_keys_free(&other);
	assert_int_equal(is_jwt_keys_load(&other, "ES256", "iss2", "aud1",
	    NULL, pub, NULL, 900), 0);
	assert_int_equal(is_jwt_verify(&other, tok, now, &out), -1);
	is_jwt_keys_free(&other);
	/* tampered payload */
	bad = strdup(tok);
	p = strchr(bad, '.') + 5;
	*p = *p == 'A' ? 'B' : 'A';
	assert_int_equal(is_jwt_verify(&k, bad, now, &out), -1);
	free(bad);
	/* alg=none with the same claims */
	bad = malloc(strlen(tok) + 64);
	sprintf(bad, "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.%.*s.",
	    (int)(strrchr(tok, '.') - strchr(tok, '.') - 1),
	    strchr(tok, '.') + 1);
	assert_int_equal(is_jwt_verify(&k, bad, now, &out), -1);
	free(bad);
	/* HS256 header over the same payload (the algorithm-confusion attack) */
	bad = malloc(strlen(tok) + 64);
	sprintf(bad, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9%s", strchr(tok, '.'));
	assert_int_equal(is_jwt_verify(&k, bad, now, &out), -1);
	free(bad);
	/* truncated signature, extra segment */
	bad = strdup(tok);
	bad[strlen(bad) - 4] = '\0';
	assert_int_equal(is_jwt_verify(&k, bad, now, &out), -1);
	free(bad);
	bad = malloc(strlen(tok) + 8);
	sprintf(bad, "%s.e30", tok);
	assert_int_equal(is_jwt_verify(&k, bad, now, &out), -1);
	free(bad);
	/* signed by another key */
	write_keys(priv2, pub2);
	assert_int_equal(is_jwt_keys_load(&other, "ES256", "iss1", "aud1",
	    priv2, pub2, NULL, 900), 0);
	strcpy(c.wx, "ox-1");
	bad = is_jwt_sign(&other, &c, now);
	assert_int_equal(is_jwt_verify(&other, bad, now, &out), 0);
	assert_string_equal(out.wx, "ox-1");
	assert_int_equal(is_jwt_verify(&k, bad, now, &out), -1);
	free(bad);
	is_jwt_keys_free(&other);
	unlink(priv2);
	unlink(pub2);
	assert_int_equal(is_jwt_verify(&k, "garbage", now, &out), -1);
	assert_int_equal(is_jwt_verify(&k, "a.b.c", now, &out), -1);
	/* a verifier without the private key cannot sign */
	assert_int_equal(is_jwt_keys_load(&other, "ES256", "iss1", "aud1",
	    NULL, pub, NULL, 900), 0);
	assert_null(is_jwt_sign(&other, &c, now));
	is_jwt_keys_free(&other);
	assert_int_equal(is_jwt_keys_load(&other, "HS256", "i", "a", NULL,
	    pub, NULL, 900), -1);
	free(tok);
	is_jwt_keys_free(&k);
	unlink(priv);
	unlink(pub);
}

/* RS256 works too, and an ES256 token is refused by an RS256 verifier. */
static void
test_jwt_rs256(void **state)
{
	struct is_jwt_keys	 rs, es;
	struct is_claims	 c, out;
	char			 priv[] = "/tmp/is-rsa-XXXXXX";
	char			 pub[] = "/tmp/is-rsap-XXXXXX";
	char			 epriv[] = "/tmp/is-ec-XXXXXX";
	char			 epub[] = "/tmp/is-ecp-XXXXXX";
	char			 cmd[512], *tok;
	time_t			 now = time(NULL);
	int			 fd;

	(void)state;
	fd = mkstemp(priv);
	close(fd);
	fd = mkstemp(pub);
	close(fd);
	snprintf(cmd, sizeof(cmd), "openssl genpkey -algorithm RSA -pkeyopt "
	    "rsa_keygen_bits:2048 -out %s 2>/dev/null && openssl pkey -in %s "
	    "-pubout -out %s", priv, priv, pub);
	assert_int_equal(system(cmd), 0);
	write_keys(epriv, epub);
	assert_int_equal(is_jwt_keys_load(&rs, "RS256", "i", "a", priv, pub,
	    NULL, 60), 0);
	assert_int_equal(is_jwt_keys_load(&es, "ES256", "i", "a", epriv, epub,
	    NULL, 60), 0);
	memset(&c, 0, sizeof(c));
	strcpy(c.sub, "u");
	strcpy(c.account, "A0001");
	strcpy(c.sid, "s");
	strcpy(c.client, "web");
	tok = is_jwt_sign(&rs, &c, now);
	assert_non_null(tok);
	assert_int_equal(is_jwt_verify(&rs, tok, now, &out), 0);
	assert_int_equal(is_jwt_verify(&es, tok, now, &out), -1);
	free(tok);
	tok = is_jwt_sign(&es, &c, now);
	assert_int_equal(is_jwt_verify(&rs, tok, now, &out), -1);
	free(tok);
	is_jwt_keys_free(&rs);
	is_jwt_keys_free(&es);
	unlink(priv);
	unlink(pub);
	unlink(epriv);
	unlink(epub);
}

static void
test_csv_students(void **state)
{
	const char	*why;
	cJSON		*rows, *rejected, *r;
	const char	 csv[] =
	    "student_id,family_name,given_name,school,degree,cohort,email\n"
	    "2023X001,SMITH,John,Computing,master,2023,a@b.cn\n"
	    "bad id!,SMITH,John,Computing,master,2023,\n"
	    "2023X002,\"O'NEIL, Jr\",Ann,Computing,phd,2023,\n"
	    "2023X003,LEE,Bo,Computing,wizard,1800,not-an-email\n"
	    "2023X004,LEE,Bo,Computing,phd,2023,,extra\n";

	(void)state;
	assert_int_equal(is_csv_students(csv, sizeof(csv) - 1, &rows,
	    &rejected, &why), 0);
	assert_int_equal(cJSON_GetArraySize(rows), 2);
	r = cJSON_GetArrayItem(rows, 1);
	assert_string_equal(is_json_str(r, "family_name"), "O'NEIL, Jr");
	assert_int_equal(is_json_int(r, "row", 0), 3);
	/* An empty cell is null (clear); a column not in the file, no key. */
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "email")));
	assert_null(cJSON_GetObjectItem(r, "nationality"));
	assert_int_equal(cJSON_GetArraySize(rejected), 3);
	r = cJSON_GetArrayItem(rejected, 1);
	assert_int_equal(is_json_int(r, "row", 0), 4);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "errors")),
	    3);
	cJSON_Delete(rows);
	cJSON_Delete(rejected);

	assert_int_equal(is_csv_students("a,b\n1,2\n", 8, &rows, &rejected,
	    &why), -1);
	assert_int_equal(is_csv_students("student_id,family_name\nx,y\n", 26,
	    &rows, &rejected, &why), -1);
	assert_int_equal(is_csv_students("student_id,\"unterminated\n", 25,
	    &rows, &rejected, &why), -1);
}

static void
test_metrics(void **state)
{
	char	*text;

	(void)state;
	assert_int_equal(is_metrics_init("unit"), 0);
	is_metrics_observe("route_a", 200, 3.0);
	is_metrics_observe("route_a", 404, 30.0);
	is_metrics_observe("route_b", 503, 0.2);
	text = is_metrics_render();
	assert_non_null(strstr(text, "is_http_requests_total{service=\"unit\","
	    "route=\"route_a\",code=\"2xx\"} 1"));
	assert_non_null(strstr(text, "route=\"route_a\",code=\"4xx\"} 1"));
	/* Seconds, the base unit: 3 ms falls in the 5 ms bucket. */
	assert_non_null(strstr(text, "is_http_request_duration_seconds_bucket{"
	    "service=\"unit\",route=\"route_a\",le=\"0.005\"} 1"));
	free(text);
	/* Gauges add up over workers; the outbox's are alike in all. */
	is_metrics_gauge(IS_GAUGE_DB_IN_USE, 1, 2);
	is_metrics_gauge(IS_GAUGE_DB_IN_USE, 2, 3);
	is_metrics_gauge(IS_GAUGE_OUTBOX_PENDING, 1, 7);
	is_metrics_gauge(IS_GAUGE_OUTBOX_PENDING, 2, 7);
	is_metrics_batch(3);
	is_metrics_batch(64);
	text = is_metrics_render();
	assert_non_null(strstr(text, "is_db_connections_in_use{service=\"unit\"} 5"));
	assert_non_null(strstr(text, "is_outbox_pending_messages{service=\"unit\"} 7"));
	assert_non_null(strstr(text, "is_db_batch_items_bucket{service=\"unit\","
	    "le=\"4\"} 1"));
	assert_non_null(strstr(text, "is_db_batch_items_sum{service=\"unit\"} 67"));
	assert_null(strstr(text, "_ms"));
	assert_non_null(strstr(text, "route=\"route_a\",le=\"+Inf\"} 2"));
	assert_non_null(strstr(text, "route=\"route_b\",code=\"5xx\"} 1"));
	free(text);
}

static void
test_generations(void **state)
{
	struct is_gen_stamp	a, b;

	(void)state;
	assert_int_equal(is_gen_init(), 0);
	is_gen_stamp("account-1", &a);
	is_gen_stamp("account-2", &b);
	assert_true(is_gen_current("account-1", &a));
	is_gen_bump("account-1");
	assert_false(is_gen_current("account-1", &a));
	assert_true(is_gen_current("account-2", &b));
	is_gen_stamp("account-1", &a);
	is_gen_bump_all();
	assert_false(is_gen_current("account-1", &a));
	assert_false(is_gen_current("account-2", &b));
}

/* The start-up check of endpoint declarations counts placeholders. */
static void
test_sql_placeholders(void **state)
{
	(void)state;
	assert_int_equal(is_sql_placeholders("SELECT 1"), 0);
	assert_int_equal(is_sql_placeholders("SELECT f($1, $2::int, $3)"), 3);
	assert_int_equal(is_sql_placeholders("SELECT f($2, $1, $2)"), 2);
	/* $10 is one placeholder, not $1 and a 0. */
	assert_int_equal(is_sql_placeholders("SELECT f($1,$2,$3,$4,$5,$6,$7,"
	    "$8,$9,$10)"), 10);
	/* A gap is refused. */
	assert_int_equal(is_sql_placeholders("SELECT f($1, $3)"), -1);
	assert_int_equal(is_sql_placeholders("SELECT f($2)"), -1);
	/* Not placeholders: literals, identifiers, dollar quotes, comments. */
	assert_int_equal(is_sql_placeholders("SELECT '$1', \"$2\", $1"), 1);
	assert_int_equal(is_sql_placeholders("SELECT $$ $5 $$, $1"), 1);
	assert_int_equal(is_sql_placeholders("SELECT $q$ $5 $q$ || $1"), 1);
	assert_int_equal(is_sql_placeholders("SELECT $1 -- $2\n"), 1);
	assert_int_equal(is_sql_placeholders("SELECT /* $2 */ $1"), 1);
	assert_int_equal(is_sql_placeholders("SELECT ($3 || '-01')::date, $1, "
	    "$2"), 3);
	/* Out of range. */
	assert_int_equal(is_sql_placeholders("SELECT $0"), -1);
	assert_int_equal(is_sql_placeholders("SELECT $99"), -1);
}

/* Cells a spreadsheet would evaluate are written as text. */
static void
test_csv_export(void **state)
{
	struct is_buf	 b;
	cJSON		*num, *neg, *str;

	(void)state;
	is_buf_init(&b);
	assert_int_equal(is_csv_text(&b, "@SUM(1+1) =2+3", 0), 0);
	assert_int_equal(is_csv_text(&b, "=2+3", 0), 0);
	assert_int_equal(is_csv_text(&b, "+1", 0), 0);
	assert_int_equal(is_csv_text(&b, "-1+2", 0), 0);
	assert_int_equal(is_csv_text(&b, "\t=1", 0), 0);
	assert_int_equal(is_csv_text(&b, "\r=1", 0), 0);
	assert_int_equal(is_csv_text(&b, "Ann \"A=1\"", 0), 0);
	assert_int_equal(is_csv_text(&b, "", 0), 0);
	assert_int_equal(is_csv_text(&b, NULL, 0), 0);
	num = cJSON_CreateNumber(85.94);
	neg = cJSON_CreateNumber(-2);
	str = cJSON_CreateString("-2");
	assert_int_equal(is_csv_value(&b, num, 0), 0);
	assert_int_equal(is_csv_value(&b, neg, 0), 0);	/* a number: as is */
	assert_int_equal(is_csv_value(&b, str, 0), 0);	/* text: neutral */
	assert_int_equal(is_csv_value(&b, NULL, 1), 0);
	is_buf_append(&b, "", 1);
	assert_string_equal(b.data, "\"'@SUM(1+1) =2+3\",\"'=2+3\",\"'+1\","
	    "\"'-1+2\",\"'\t=1\",\"'\r=1\",\"Ann \"\"A=1\"\"\",\"\",\"\","
	    "\"85.94\",\"-2\",\"'-2\",\"\"\r\n");
	cJSON_Delete(num);
	cJSON_Delete(neg);
	cJSON_Delete(str);
	is_buf_free(&b);
}

/* The revoked-session set: kept until its time, grows, prunes, shrinks. */
static void
test_revoked_set(void **state)
{
	struct is_revoked	set = { NULL, 0, 0 };
	char			sid[40];
	int			i;

	(void)state;
	assert_false(is_revoked_has(&set, "a", 100));
	assert_int_equal(is_revoked_add(&set, "a", 200), 0);
	assert_true(is_revoked_has(&set, "a", 100));
	assert_false(is_revoked_has(&set, "a", 200));	/* past its time */
	assert_false(is_revoked_has(&set, "b", 100));
	/* Added again: kept until the later time. */
	assert_int_equal(is_revoked_add(&set, "a", 150), 0);
	assert_true(is_revoked_has(&set, "a", 199));
	assert_int_equal(set.used, 1);

	/* Many: the table grows and every one is found. */
	for (i = 0; i < 5000; i++) {
		snprintf(sid, sizeof(sid), "sid-%d", i);
		assert_int_equal(is_revoked_add(&set, sid, i < 2500 ?
		    300 : 900), 0);
	}
	assert_true(set.cap >= 2 * set.used);
	for (i = 0; i < 5000; i++) {
		snprintf(sid, sizeof(sid), "sid-%d", i);
		assert_true(is_revoked_has(&set, sid, 250));
	}
	/* A prune forgets what is past its time, keeps the rest. */
	is_revoked_prune(&set, 500);
	assert_int_equal(set.used, 2500);
	for (i = 0; i < 5000; i++) {
		snprintf(sid, sizeof(sid), "sid-%d", i);
		assert_int_equal(is_revoked_has(&set, sid, 600), i >= 2500);
	}
	/* Everything past: the table shrinks back to its minimum. */
	is_revoked_prune(&set, 1000);
	assert_int_equal(set.used, 0);
	assert_int_equal(set.cap, 256);
	/* A token without a session id names none. */
	assert_int_equal(is_revoked_add(&set, "", 900), 0);
	assert_int_equal(set.used, 0);
	is_revoked_free(&set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_file_and_env),
		cmocka_unit_test(test_validate_accepts_good_input),
		cmocka_unit_test(test_validate_refuses_repeated_keys),
		cmocka_unit_test(test_validate_reports_each_field),
		cmocka_unit_test(test_validate_malformed),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_problem_render),
		cmocka_unit_test(test_problem_catalogue_documented),
		cmocka_unit_test(test_password_hash),
		cmocka_unit_test(test_random_and_hashes),
		cmocka_unit_test(test_jwt_roundtrip_and_checks),
		cmocka_unit_test(test_jwt_rs256),
		cmocka_unit_test(test_csv_students),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_generations),
		cmocka_unit_test(test_sql_placeholders),
		cmocka_unit_test(test_revoked_set),
		cmocka_unit_test(test_csv_export),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
