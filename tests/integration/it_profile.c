/*
 * The profile service through nginx on the real stack: every section with
 * good and bad input, If-Match (428 without, 412 when stale), the bank
 * card's holder-name rule and finance's review both ways, a renewed
 * passport, documents (typed by content, bounded, another student's
 * refused), encryption at rest (the raw columns hold no plaintext),
 * masking and audited whole reads, staff scope, the staff lists, the
 * export and the insurance import.
 */
#include <sys/wait.h>

#include "itest.h"
#include "iscommon/crypto.h"

#define PF		"/api/v1/profile"
#define PASSWORD	"Str0ng-Pass-2026"
#define PHYSICS		"School of Physics"

static char	*admin;

/* A minimal PNG (1x1), JPEG header and PDF: what libmagic recognises. */
static const unsigned char	png[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H',
	'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4,
	0x89, 0, 0, 0, 13, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0xf8, 0x0f,
	0, 0, 1, 1, 0, 5, 0x18, 0xd8, 0x4e, 0, 0, 0, 0, 'I', 'E', 'N', 'D',
	0xae, 0x42, 0x60, 0x82
};
/* The start of an x86-64 ELF executable. */
static const unsigned char	elf[64] = {
	0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e,
	0, 1, 0, 0, 0, 0x40, 0x10, 0x40, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0x38, 0, 1, 0,
	0x40, 0, 0, 0, 0, 0
};

struct student {
	char	 login[16];
	char	*id;		/* account uuid */
	char	*tok;
};

static void
new_student(struct student *s)
{
	s->tok = it_new_student(s->login, sizeof(s->login), PASSWORD);
	assert_non_null(s->tok);
	s->id = it_sql_text("SELECT id::text FROM auth.accounts WHERE "
	    "login = $1", s->login);
	assert_non_null(s->id);
}

static void
free_student(struct student *s)
{
	free(s->tok);
	free(s->id);
}

/* A member of staff with roles (a JSON array's inside) and a scope: its
 * students ("students":[...]) or, for a secretary, "school":"...". */
static char *
new_staff(const char *roles, const char *scope)
{
	char	id[16], json[512], *tok;

	it_unique(id, sizeof(id), "K");
	snprintf(json, sizeof(json), "{\"staff_id\":\"%s\",\"family_name\":"
	    "\"STAFF\",\"given_name\":\"Test\",\"roles\":[%s]%s%s}", id, roles,
	    scope != NULL ? "," : "", scope != NULL ? scope : "");
	tok = it_new_staff(admin, json, id, PASSWORD);
	assert_non_null(tok);
	return (tok);
}

/* PUT /me/<section> with If-Match etag (NULL: none). */
static void
put_section(const char *tok, const char *section, const char *etag,
    const char *json, struct it_resp *r)
{
	char	path[96], h[96];

	snprintf(path, sizeof(path), PF "/me/%s", section);
	if (etag != NULL) {
		snprintf(h, sizeof(h), "If-Match: %s", etag);
		it_set_header(h);
	}
	it_request("PUT", path, tok, "application/json", json, strlen(json),
	    r);
	it_set_header(NULL);
}

/* Saves a section from scratch ("0") and expects it stored as "1". */
static void
save_new(const char *tok, const char *section, const char *json)
{
	struct it_resp	r;

	put_section(tok, section, "\"0\"", json, &r);
	if (r.status != 200)
		print_error("%s: %ld %s\n", section, r.status, r.body);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.etag, "\"1\"");
	assert_string_equal(it_str(&r, "etag"), "\"1\"");
	it_free(&r);
}

/* A refusal naming this field (row-qualified for multi-row sections). */
static int
refuses_field(struct it_resp *r, const char *field)
{
	const cJSON	*e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(r->json, "errors")) {
		if (strcmp(cJSON_GetObjectItem(e, "field")->valuestring,
		    field) == 0) {
			/* Every message in both languages. */
			assert_non_null(cJSON_GetObjectItem(e, "message_zh"));
			return (1);
		}
	}
	print_error("no refusal of %s in %s\n", field, r->body);
	return (0);
}

static void
assert_refused(const char *tok, const char *section, const char *json,
    const char *field)
{
	struct it_resp	r;

	put_section(tok, section, "\"0\"", json, &r);
	it_assert_problem(&r, 422, "validation");
	assert_true(refuses_field(&r, field));
	it_free(&r);
}

static cJSON *
get_json(const char *path, const char *tok, long status)
{
	struct it_resp	r;
	cJSON		*doc;

	it_get(path, tok, &r);
	if (r.status != status)
		print_error("GET %s: %ld %s\n", path, r.status, r.body);
	assert_int_equal(r.status, status);
	doc = r.json;
	r.json = NULL;
	it_free(&r);
	return (doc);
}

/* sections.<name>.<what> of a profile document. */
static const cJSON *
section_of(const cJSON *profile, const char *name, const char *what)
{
	return (cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    profile, "sections"), name), what));
}

static char *
upload(const char *tok, const char *kind, const void *data, size_t len,
    long status)
{
	struct it_resp	r;
	char		path[96], *id = NULL;

	snprintf(path, sizeof(path), PF "/documents?kind=%s", kind);
	it_request("POST", path, tok, "image/png", data, len, &r);
	if (r.status != status)
		print_error("upload %s: %ld %s\n", kind, r.status, r.body);
	assert_int_equal(r.status, status);
	if (status == 201)
		id = strdup(it_str(&r, "id"));
	it_free(&r);
	return (id);
}

/* A date n days from today, as the forms take it. */
static void
date_in(int days, char *out, size_t len)
{
	time_t		t = time(NULL) + (time_t)days * 86400;
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d", &tm);
}

#define PASSPORT(number, name)	"{\"family_name\":\"ZHANG\",\"given_name\":" \
	"\"San\",\"full_name\":\"" name "\",\"number\":\"" number "\"," \
	"\"issue_date\":\"2020-03-01\",\"expiry_date\":\"2030-02-28\"}"
/* Luhn-valid UnionPay numbers. */
#define CARD_A		"6222021234567890128"
#define CSV_HEAD	"student_id,family_name,given_name,"
#define CARD_B		"6222000011112223"

static void
bank_json(char *out, size_t len, const char *holder, const char *card,
    const char *passport, const char *photo)
{
	snprintf(out, len, "{\"holder_name\":\"%s\",\"account_number\":\"%s\","
	    "\"bank_name\":\"Bank of China Harbin\",\"holder_passport_number\":"
	    "\"%s\",\"phone\":\"13800138000\",\"card_photo_id\":\"%s\"}",
	    holder, card, passport, photo);
}

/* ------------------------------------------------------------------ */

static void
test_sections_good_and_bad(void **state)
{
	struct student	 s;
	struct it_resp	 r;
	cJSON		*me;
	char		 json[1024], soon[16], later[16], *photo;

	(void)state;
	new_student(&s);
	me = get_json(PF "/me", s.tok, 200);
	assert_string_equal(section_of(me, "passport", "etag")->valuestring,
	    "\"0\"");
	assert_true(cJSON_IsNull(section_of(me, "passport", "data")));
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(me,
	    "completeness"), "complete")));
	cJSON_Delete(me);

	photo = upload(s.tok, "photo", png, sizeof(png), 201);
	snprintf(json, sizeof(json), "{\"chinese_name\":\"张三\","
	    "\"marital_status\":\"single\",\"nationality\":\"Germany\","
	    "\"birth_place\":\"Berlin\",\"birth_date\":\"2000-02-29\","
	    "\"passport_family_name\":\"ZHANG\",\"passport_given_name\":\"San\","
	    "\"full_name\":\"ZHANG San\",\"religion\":\"none\",\"sex\":\"male\","
	    "\"photo_id\":\"%s\"}", photo);
	save_new(s.tok, "basic", json);
	save_new(s.tok, "contact", "{\"email\":\"san@example.de\",\"zip_code\":"
	    "\"10115\",\"home_address\":\"Unter den Linden 1, Berlin\","
	    "\"mobile\":\"13800138000\",\"home_phone\":\"+49 30 1234567\"}");
	save_new(s.tok, "emergency-contacts", "{\"rows\":[{\"name\":\"Anna "
	    "Zhang\",\"relationship\":\"mother\",\"phone\":\"+49 30 7654321\","
	    "\"email\":\"anna@example.de\"}]}");
	save_new(s.tok, "family-members", "{\"rows\":[{\"name\":\"Li Zhang\","
	    "\"relationship\":\"father\",\"workplace\":\"Siemens\","
	    "\"occupation\":\"engineer\",\"phone\":\"+49 30 111111\"},"
	    "{\"name\":\"Mia Zhang\",\"relationship\":\"sister\",\"phone\":"
	    "\"+49 30 222222\"}]}");
	save_new(s.tok, "education", "{\"rows\":[{\"school\":\"TU Berlin\","
	    "\"degree\":\"bachelor\",\"year_from\":2018,\"year_to\":2022}]}");
	save_new(s.tok, "passport", PASSPORT("E12345678", "ZHANG San"));
	date_in(-300, soon, sizeof(soon));
	date_in(400, later, sizeof(later));
	snprintf(json, sizeof(json), "{\"type\":\"study\",\"number\":"
	    "\"X00012345\",\"issue_date\":\"%s\",\"expiry_date\":\"%s\","
	    "\"issue_place\":\"Harbin\"}", soon, later);
	save_new(s.tok, "residence-permit", json);
	save_new(s.tok, "accommodation", "{\"off_campus\":true,"
	    "\"landlord_name\":\"Wang Wu\",\"landlord_phone\":\"13900139000\","
	    "\"address\":\"Xidazhi St 92, Harbin\",\"landlord_id_number\":"
	    "\"230102198001011234\"}");
	save_new(s.tok, "hsk", "{\"level\":\"4\",\"score\":210,"
	    "\"certificate_number\":\"H41234567\",\"test_date\":\"2023-06-10\","
	    "\"hskk_score\":70,\"learning_from\":\"2022-09-01\","
	    "\"learning_to\":\"2023-06-30\",\"institution\":\"Confucius "
	    "Institute\",\"teacher_chinese\":true}");

	/* Bad input, section by section: each refusal names its field. */
	assert_refused(s.tok, "basic", "{\"marital_status\":\"single\","
	    "\"nationality\":\"Germany\",\"birth_place\":\"Berlin\","
	    "\"birth_date\":\"2999-01-01\",\"passport_family_name\":\"ZHANG\","
	    "\"full_name\":\"ZHANG San\",\"sex\":\"x\"}", "sex");
	assert_refused(s.tok, "basic", "{\"marital_status\":\"single\","
	    "\"nationality\":\"Germany\",\"birth_place\":\"Berlin\","
	    "\"birth_date\":\"2999-01-01\",\"passport_family_name\":\"ZHANG\","
	    "\"full_name\":\"ZHANG San\",\"sex\":\"male\"}", "birth_date");
	assert_refused(s.tok, "contact", "{\"email\":\"san@example.de\","
	    "\"home_address\":\"Unter den Linden 1\",\"mobile\":"
	    "\"+8613800138000\"}", "mobile");
	assert_refused(s.tok, "contact", "{\"email\":\"san@example.de\","
	    "\"home_address\":\"Unter den Linden 1\",\"mobile\":"
	    "\"1380013800\"}", "mobile");
	assert_refused(s.tok, "contact", "{\"email\":\"not-an-email\","
	    "\"home_address\":\"Unter den Linden 1\",\"mobile\":"
	    "\"13800138000\"}", "email");
	assert_refused(s.tok, "contact", "{\"email\":\"a@b.de\",\"zip_code\":"
	    "\"=1+1\",\"home_address\":\"Unter den Linden 1\",\"mobile\":"
	    "\"13800138000\"}", "zip_code");
	assert_refused(s.tok, "emergency-contacts", "{\"rows\":[{\"name\":"
	    "\"A\",\"relationship\":\"mother\",\"phone\":\"+49 30 1\"},"
	    "{\"name\":\"B\",\"relationship\":\"father\"}]}", "rows[1].phone");
	assert_refused(s.tok, "education", "{\"rows\":[{\"school\":\"TU\","
	    "\"degree\":\"bachelor\",\"year_from\":2022,\"year_to\":2018}]}",
	    "rows[0].year_to");
	assert_refused(s.tok, "passport", "{\"family_name\":\"ZHANG\","
	    "\"full_name\":\"ZHANG San\",\"number\":\"E12345678\","
	    "\"issue_date\":\"2020-03-01\",\"expiry_date\":\"2019-03-01\"}",
	    "expiry_date");
	assert_refused(s.tok, "passport", "{\"family_name\":\"ZHANG\","
	    "\"full_name\":\"ZHANG San\",\"number\":\"E12345678\","
	    "\"issue_date\":\"2021-02-29\",\"expiry_date\":\"2031-03-01\"}",
	    "issue_date");
	assert_refused(s.tok, "passport", "{\"family_name\":\"ZHANG\","
	    "\"full_name\":\"ZHANG San\",\"number\":\"E1234/678\","
	    "\"issue_date\":\"2020-03-01\",\"expiry_date\":\"2030-03-01\"}",
	    "number");
	assert_refused(s.tok, "residence-permit", "{\"type\":\"tourist\","
	    "\"number\":\"X00012345\",\"issue_date\":\"2024-01-01\","
	    "\"expiry_date\":\"2025-01-01\",\"issue_place\":\"Harbin\"}", "type");
	assert_refused(s.tok, "accommodation", "{\"off_campus\":true,"
	    "\"landlord_name\":\"Wang Wu\"}", "landlord_id_number");
	assert_refused(s.tok, "accommodation", "{\"off_campus\":false,"
	    "\"landlord_name\":\"Wang Wu\"}", "landlord_name");
	assert_refused(s.tok, "hsk", "{\"level\":\"10\",\"score\":301,"
	    "\"certificate_number\":\"H4\",\"test_date\":\"2023-06-10\"}",
	    "score");
	assert_refused(s.tok, "hsk", "{\"level\":\"4\",\"score\":200,"
	    "\"certificate_number\":\"H41234567\",\"test_date\":\"2023-06-10\","
	    "\"learning_from\":\"2023-06-30\",\"learning_to\":\"2022-09-01\"}",
	    "learning_to");
	/* A field no form has; a document that is not the student's. */
	assert_refused(s.tok, "hsk", "{\"level\":\"4\",\"score\":200,"
	    "\"certificate_number\":\"H41234567\",\"test_date\":\"2023-06-10\","
	    "\"grade\":\"A\"}", "grade");
	/* A key given twice: the second would be stored unchecked. */
	assert_refused(s.tok, "contact", "{\"email\":\"san@example.de\","
	    "\"home_address\":\"Unter den Linden 1\",\"mobile\":"
	    "\"13800138000\",\"mobile\":\"+86 138\"}", "mobile");
	assert_refused(s.tok, "emergency-contacts", "{\"rows\":[],"
	    "\"rows\":\"x\"}", "rows");
	assert_refused(s.tok, "passport", "{\"family_name\":\"ZHANG\","
	    "\"full_name\":\"ZHANG San\",\"number\":\"E12345678\","
	    "\"issue_date\":\"0000-01-01\",\"expiry_date\":\"2030-03-01\"}",
	    "issue_date");
	put_section(s.tok, "nonsense", "\"0\"", "{}", &r);
	it_assert_problem(&r, 404, "not-found");
	it_free(&r);
	put_section(s.tok, "hsk", "\"1\"", "{\"level\":", &r);
	it_assert_problem(&r, 400, "malformed-json");
	it_free(&r);

	/* One section alone, its ETag as a header too. */
	it_get(PF "/me/passport", s.tok, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.etag, "\"1\"");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json,
	    "data"), "number")->valuestring, "E12345678");
	it_free(&r);
	assert_int_equal(it_status_of(PF "/me/nonsense", s.tok, 1), 404);
	assert_int_equal(it_status_of(PF "/me/passport", admin, 1), 403);

	/* The whole profile shows every section saved; nothing is missing
	 * but the bank card. */
	me = get_json(PF "/me", s.tok, 200);
	assert_string_equal(section_of(me, "hsk", "etag")->valuestring,
	    "\"1\"");
	assert_string_equal(cJSON_GetObjectItem(section_of(me, "passport",
	    "data"), "number")->valuestring, "E12345678");
	assert_string_equal(cJSON_GetObjectItem(section_of(me,
	    "accommodation", "data"), "landlord_id_number")->valuestring,
	    "230102198001011234");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(me, "completeness"), "missing"),
	    0)->valuestring, "bank-card");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(me, "completeness"), "missing")), 1);
	cJSON_Delete(me);
	free(photo);
	free_student(&s);
}

static void
test_if_match(void **state)
{
	struct student	 s;
	struct it_resp	 r;
	cJSON		*me;
	const char	*a = "{\"email\":\"a@example.de\",\"home_address\":"
			    "\"Street 1, Berlin\",\"mobile\":\"13800138000\"}";
	const char	*b = "{\"email\":\"b@example.de\",\"home_address\":"
			    "\"Street 2, Berlin\",\"mobile\":\"13800138001\"}";

	(void)state;
	new_student(&s);
	put_section(s.tok, "contact", NULL, a, &r);
	it_assert_problem(&r, 428, "precondition-required");
	it_free(&r);
	put_section(s.tok, "contact", "*", a, &r);
	it_assert_problem(&r, 412, "precondition-failed");
	it_free(&r);
	put_section(s.tok, "contact", "W/\"0\"", a, &r);
	it_assert_problem(&r, 412, "precondition-failed");
	it_free(&r);
	/* Nothing was written by the refusals. */
	me = get_json(PF "/me", s.tok, 200);
	assert_true(cJSON_IsNull(section_of(me, "contact", "data")));
	cJSON_Delete(me);

	/* The mini-program and the web site both read "1"; the web saves
	 * first; the mini-program's save is refused, not silently lost. */
	save_new(s.tok, "contact", a);
	put_section(s.tok, "contact", "\"1\"", b, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.etag, "\"2\"");
	it_free(&r);
	put_section(s.tok, "contact", "\"1\"", a, &r);
	it_assert_problem(&r, 412, "precondition-failed");
	assert_non_null(strstr(it_str(&r, "detail"), "\"2\""));
	it_free(&r);
	put_section(s.tok, "contact", "\"0\"", a, &r);
	it_assert_problem(&r, 412, "precondition-failed");
	it_free(&r);
	me = get_json(PF "/me", s.tok, 200);
	assert_string_equal(cJSON_GetObjectItem(section_of(me, "contact",
	    "data"), "email")->valuestring, "b@example.de");
	assert_string_equal(section_of(me, "contact", "etag")->valuestring,
	    "\"2\"");
	cJSON_Delete(me);
	free_student(&s);
}

static void
test_bank_card_review(void **state)
{
	struct student	 s, other;
	struct it_resp	 r;
	cJSON		*me, *list, *one;
	const cJSON	*review, *item;
	char		 json[512], path[128], *photo, *finance, *counsellor;
	char		*id1, *id2, *text;
	long		 audits;
	int		 found = 0;

	(void)state;
	new_student(&s);
	new_student(&other);
	finance = new_staff("\"finance\"", NULL);
	photo = upload(s.tok, "debit-card", png, sizeof(png), 201);

	/* No passport yet: the holder name has nothing to match. */
	bank_json(json, sizeof(json), "ZHANG San", CARD_A, "E12345678", photo);
	put_section(s.tok, "bank-card", "\"0\"", json, &r);
	it_assert_problem(&r, 409, "passport-required");
	it_free(&r);
	save_new(s.tok, "passport", PASSPORT("E12345678", "ZHANG San"));

	/* Same letters, other capitals; other order; another name. */
	bank_json(json, sizeof(json), "Zhang San", CARD_A, "E12345678", photo);
	put_section(s.tok, "bank-card", "\"0\"", json, &r);
	it_assert_problem(&r, 422, "holder-name-mismatch");
	assert_non_null(strstr(it_str(&r, "detail"), "capitalisation"));
	assert_non_null(strstr(it_str(&r, "detail"), "\"ZHANG San\""));
	assert_true(refuses_field(&r, "holder_name"));
	it_free(&r);
	bank_json(json, sizeof(json), "San ZHANG", CARD_A, "E12345678", photo);
	put_section(s.tok, "bank-card", "\"0\"", json, &r);
	it_assert_problem(&r, 422, "holder-name-mismatch");
	assert_non_null(strstr(it_str(&r, "detail"), "order"));
	it_free(&r);
	bank_json(json, sizeof(json), "ZHANG Sam", CARD_A, "E12345678", photo);
	put_section(s.tok, "bank-card", "\"0\"", json, &r);
	it_assert_problem(&r, 422, "holder-name-mismatch");
	it_free(&r);
	/* A wrong check digit; another passport; another's card photo. */
	bank_json(json, sizeof(json), "ZHANG San", "6222021234567890127",
	    "E12345678", photo);
	assert_refused(s.tok, "bank-card", json, "account_number");
	bank_json(json, sizeof(json), "ZHANG San", CARD_A, "E99999999", photo);
	assert_refused(s.tok, "bank-card", json, "holder_passport_number");
	id1 = upload(other.tok, "debit-card", png, sizeof(png), 201);
	bank_json(json, sizeof(json), "ZHANG San", CARD_A, "E12345678", id1);
	assert_refused(s.tok, "bank-card", json, "card_photo_id");
	free(id1);

	/* The first card: a request for finance, not yet the stipend's. */
	bank_json(json, sizeof(json), "ZHANG San", CARD_A, "e12345678", photo);
	put_section(s.tok, "bank-card", "\"0\"", json, &r);
	assert_int_equal(r.status, 200);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r.json, "data")));
	review = cJSON_GetObjectItem(r.json, "review");
	assert_string_equal(cJSON_GetObjectItem(review, "state")->valuestring,
	    "pending");
	id1 = strdup(cJSON_GetObjectItem(review, "id")->valuestring);
	it_free(&r);

	/* Finance's queue shows it masked; only the request's own page has
	 * the whole number, and that read is audited. */
	list = get_json(PF "/bank-reviews", finance, 200);
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(list, "items")) {
		if (strcmp(cJSON_GetObjectItem(item, "id")->valuestring,
		    id1) != 0)
			continue;
		found = 1;
		assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(
		    item, "new_card"), "account_number_masked")->valuestring,
		    "6222 **** **** 0128");
		assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(item,
		    "new_card"), "account_number"));
	}
	assert_true(found);
	text = cJSON_PrintUnformatted(list);
	assert_null(strstr(text, CARD_A));
	free(text);
	cJSON_Delete(list);
	audits = it_sql_long("SELECT count(*) FROM profile.audit_log WHERE "
	    "action = 'read-whole' AND student_id = $1::uuid", s.id);
	snprintf(path, sizeof(path), PF "/bank-reviews/%s", id1);
	one = get_json(path, finance, 200);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(one,
	    "new_card"), "account_number")->valuestring, CARD_A);
	assert_string_equal(cJSON_GetObjectItem(one,
	    "passport_full_name")->valuestring, "ZHANG San");
	cJSON_Delete(one);
	assert_int_equal(it_sql_long("SELECT count(*) FROM profile.audit_log "
	    "WHERE action = 'read-whole' AND student_id = $1::uuid", s.id),
	    audits + 1);

	/* Only finance reviews. */
	counsellor = new_staff("\"counsellor\"", NULL);
	assert_int_equal(it_status_of(PF "/bank-reviews", s.tok, 1), 403);
	assert_int_equal(it_status_of(PF "/bank-reviews", counsellor, 1), 403);
	assert_int_equal(it_status_of(path, s.tok, 1), 403);

	/* Rejected: a reason is required, and the student reads it. */
	snprintf(path, sizeof(path), PF "/bank-reviews/%s/decision", id1);
	it_assert_post(path, finance, "{\"decision\":\"reject\"}", 422,
	    "validation");
	it_assert_post(path, s.tok, "{\"decision\":\"approve\"}", 403,
	    "forbidden");
	it_assert_post(path, finance, "{\"decision\":\"reject\",\"reason\":"
	    "\"The photo does not show the card number\"}", 200, NULL);
	it_assert_post(path, finance, "{\"decision\":\"approve\"}", 409,
	    "conflict");
	me = get_json(PF "/me", s.tok, 200);
	review = section_of(me, "bank-card", "review");
	assert_string_equal(cJSON_GetObjectItem(review, "state")->valuestring,
	    "rejected");
	assert_string_equal(cJSON_GetObjectItem(review, "reason")->valuestring,
	    "The photo does not show the card number");
	assert_true(cJSON_IsNull(section_of(me, "bank-card", "data")));
	cJSON_Delete(me);
	assert_int_equal(it_sql_long("SELECT count(*) FROM messaging.inbox "
	    "WHERE recipient_id = $1::uuid AND kind = "
	    "'profile.bank-card-rejected'", s.id), 1);

	/* Submitted again (ETag "2" after the submission and the
	 * decision), approved: the card is the stipend's. */
	bank_json(json, sizeof(json), "ZHANG San", CARD_B, "E12345678", photo);
	put_section(s.tok, "bank-card", "\"2\"", json, &r);
	assert_int_equal(r.status, 200);
	id2 = strdup(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json,
	    "review"), "id")->valuestring);
	it_free(&r);
	snprintf(path, sizeof(path), PF "/bank-reviews/%s/decision", id2);
	it_assert_post(path, finance, "{\"decision\":\"approve\"}", 200, NULL);
	me = get_json(PF "/me", s.tok, 200);
	assert_string_equal(cJSON_GetObjectItem(section_of(me, "bank-card",
	    "data"), "account_number")->valuestring, CARD_B);
	assert_string_equal(cJSON_GetObjectItem(section_of(me, "bank-card",
	    "review"), "state")->valuestring, "approved");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(me, "completeness"), "missing")), 4);
	cJSON_Delete(me);
	assert_int_equal(it_sql_long("SELECT count(*) FROM messaging.inbox "
	    "WHERE recipient_id = $1::uuid AND kind = "
	    "'profile.bank-card-approved'", s.id), 1);
	/* The passport's name changes: the approved card's holder no longer
	 * matches, and the student is told to submit it again. */
	put_section(s.tok, "passport", "\"1\"", PASSPORT("E12345678",
	    "ZHANG San Feng"), &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM messaging.inbox "
	    "WHERE recipient_id = $1::uuid AND kind = "
	    "'profile.bank-card-holder'", s.id), 1);
	/* What scholarship will pay to: published, still sealed. */
	assert_int_equal(it_sql_long("SELECT count(*) FROM "
	    "profile.stipend_card($1::uuid) c WHERE c::text LIKE "
	    "'%\"sealed\": \"v1.%'", s.id), 1);

	free(id1);
	free(id2);
	free(photo);
	free(finance);
	free(counsellor);
	free_student(&other);
	free_student(&s);
}

static void
test_passport_renewal(void **state)
{
	struct student	 s;
	struct it_resp	 r;
	cJSON		*me;
	const cJSON	*h;

	(void)state;
	new_student(&s);
	save_new(s.tok, "passport", PASSPORT("E12345678", "ZHANG San"));
	/* The same passport saved again is no renewal. */
	put_section(s.tok, "passport", "\"1\"", PASSPORT("e12345678",
	    "ZHANG San"), &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	assert_int_equal(it_sql_long("SELECT count(*) FROM "
	    "profile.passport_history WHERE student_id = $1::uuid", s.id), 0);
	put_section(s.tok, "passport", "\"2\"", PASSPORT("G87654321",
	    "ZHANG San"), &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json,
	    "data"), "old_number")->valuestring, "e12345678");
	it_free(&r);
	me = get_json(PF "/me", s.tok, 200);
	h = cJSON_GetArrayItem(cJSON_GetObjectItem(me, "passport_history"), 0);
	assert_non_null(h);
	assert_string_equal(cJSON_GetObjectItem(h, "number")->valuestring,
	    "e12345678");
	assert_string_equal(cJSON_GetObjectItem(h, "expiry_date")->valuestring,
	    "2030-02-28");
	cJSON_Delete(me);
	/* "Apply for a new residence permit", once. */
	assert_int_equal(it_sql_long("SELECT count(*) FROM messaging.inbox "
	    "WHERE recipient_id = $1::uuid AND kind = "
	    "'profile.passport-renewed' AND subject LIKE '%residence permit%'",
	    s.id), 1);
	free_student(&s);
}

static void
test_documents(void **state)
{
	struct student	 s, other;
	struct it_resp	 r;
	char		 path[128], json[512], sha[65], *id, *id2, *mine, *big;
	char		*counsellor, *stranger, *io, *photo;
	size_t		 max = 2 * 1024 * 1024;

	(void)state;
	new_student(&s);
	new_student(&other);

	it_request("POST", PF "/documents?kind=passport-page", s.tok,
	    "image/png", (const char *)png, sizeof(png), &r);
	assert_int_equal(r.status, 201);
	is_sha256_hex(png, sizeof(png), sha);
	assert_string_equal(it_str(&r, "sha256"), sha);
	assert_string_equal(it_str(&r, "kind"), "passport-page");
	assert_int_equal(cJSON_GetObjectItem(r.json, "size")->valueint,
	    (int)sizeof(png));
	assert_int_equal(cJSON_GetObjectItem(r.json, "version")->valueint, 1);
	id = strdup(it_str(&r, "id"));
	it_free(&r);
	/* Every version kept, each upload audited. */
	id2 = upload(s.tok, "passport-page", png, sizeof(png), 201);
	assert_int_equal(it_sql_long("SELECT max(version) FROM "
	    "profile.documents WHERE owner_id = $1::uuid", s.id), 2);
	assert_int_equal(it_sql_long("SELECT count(*) FROM profile.audit_log "
	    "WHERE student_id = $1::uuid AND section = 'documents' AND "
	    "field = 'passport-page' AND after LIKE 'version 2, image/png%'",
	    s.id), 1);

	/* The owner gets it back as uploaded, as an attachment. */
	snprintf(path, sizeof(path), PF "/documents/%s", id);
	it_get(path, s.tok, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, sizeof(png));
	assert_memory_equal(r.body, png, sizeof(png));
	assert_string_equal(r.ctype, "image/png");
	assert_int_equal(r.nosniff, 1);
	assert_non_null(strstr(r.disposition, "attachment"));
	it_free(&r);

	/* Another student: as if it did not exist; no id guessing either. */
	assert_int_equal(it_status_of(path, other.tok, 1), 404);
	assert_int_equal(it_status_of(PF "/documents/not-a-uuid", s.tok, 1),
	    404);
	assert_int_equal(it_status_of(path, NULL, 1), 401);
	/* Nor may it be named in another student's section. */
	snprintf(json, sizeof(json), "{\"family_name\":\"OTHER\",\"full_name\":"
	    "\"OTHER Pat\",\"number\":\"K1234567\",\"issue_date\":\"2020-01-01\","
	    "\"expiry_date\":\"2030-01-01\",\"page_id\":\"%s\"}", id);
	assert_refused(other.tok, "passport", json, "page_id");
	/* A passport page shows the passport number: of the staff in scope
	 * only the IO reads it (audited); a photo, the counsellor too. */
	snprintf(json, sizeof(json), "\"students\":[\"%s\"]", s.login);
	counsellor = new_staff("\"counsellor\"", json);
	stranger = new_staff("\"counsellor\"", NULL);
	io = new_staff("\"io\"", NULL);
	assert_int_equal(it_status_of(path, stranger, 1), 404);
	assert_int_equal(it_status_of(path, counsellor, 1), 403);
	assert_int_equal(it_status_of(path, io, 1), 200);
	photo = upload(s.tok, "photo", png, sizeof(png), 201);
	snprintf(path, sizeof(path), PF "/documents/%s", photo);
	assert_int_equal(it_status_of(path, counsellor, 1), 200);
	assert_int_equal(it_status_of(path, stranger, 1), 404);
	assert_int_equal(it_sql_long("SELECT count(*) FROM profile.audit_log "
	    "WHERE action = 'document-read' AND student_id = $1::uuid", s.id),
	    2);

	/* Typed by content: an executable sent as a PNG is refused. */
	it_request("POST", PF "/documents?kind=photo", s.tok, "image/png",
	    (const char *)elf, sizeof(elf), &r);
	it_assert_problem(&r, 415, "unsupported-media-type");
	assert_non_null(strstr(it_str(&r, "detail"), "executable"));
	it_free(&r);
	/* A photo is a picture, not a PDF. */
	it_request("POST", PF "/documents?kind=photo", s.tok,
	    "application/pdf", "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\n"
	    "endobj\ntrailer\n<<>>\n%%EOF\n", 48, &r);
	it_assert_problem(&r, 415, "unsupported-media-type");
	it_free(&r);
	/* Bounded per kind: a photo of 2 MiB + 1 byte. */
	big = calloc(1, max + 1);
	memcpy(big, png, sizeof(png));
	it_request("POST", PF "/documents?kind=photo", s.tok, "image/png", big,
	    max + 1, &r);
	it_assert_problem(&r, 413, "payload-too-large");
	it_free(&r);
	/* ...and past the largest kind, nginx refuses it the same way. */
	free(big);
	big = calloc(1, 7 * 1024 * 1024);
	memcpy(big, png, sizeof(png));
	it_request("POST", PF "/documents?kind=passport-page", s.tok,
	    "image/png", big, 7 * 1024 * 1024, &r);
	it_assert_problem(&r, 413, "payload-too-large");
	it_free(&r);
	free(big);
	it_request("POST", PF "/documents?kind=visa", s.tok, "image/png",
	    (const char *)png, sizeof(png), &r);
	it_assert_problem(&r, 422, "validation");
	it_free(&r);
	it_request("POST", PF "/documents?kind=photo", s.tok, "image/png",
	    "", 0, &r);
	it_assert_problem(&r, 400, "bad-request");
	it_free(&r);
	/* Only students upload their own. */
	it_request("POST", PF "/documents?kind=photo", counsellor, "image/png",
	    (const char *)png, sizeof(png), &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	/* Refused uploads left no file and no row. */
	assert_int_equal(it_sql_long("SELECT count(*) FROM profile.documents "
	    "WHERE owner_id = $1::uuid", s.id), 3);
	mine = it_sql_text("SELECT storage_key FROM profile.documents WHERE "
	    "id = $1::uuid", id);
	assert_non_null(mine);
	free(mine);

	free(id);
	free(id2);
	free(photo);
	free(io);
	free(counsellor);
	free(stranger);
	free_student(&other);
	free_student(&s);
}

static void
test_encrypted_at_rest_masked_and_audited(void **state)
{
	struct student	 s;
	struct it_resp	 r;
	cJSON		*doc;
	const cJSON	*p;
	char		 path[160], json[512], *text, *photo, *io, *finance;
	char		*counsellor;
	long		 n;

	(void)state;
	new_student(&s);
	save_new(s.tok, "passport", PASSPORT("E12345678", "ZHANG San"));
	save_new(s.tok, "accommodation", "{\"off_campus\":true,"
	    "\"landlord_name\":\"Wang Wu\",\"landlord_phone\":\"13900139000\","
	    "\"address\":\"Xidazhi St 92, Harbin\",\"landlord_id_number\":"
	    "\"230102198001011234\"}");
	photo = upload(s.tok, "debit-card", png, sizeof(png), 201);
	bank_json(json, sizeof(json), "ZHANG San", CARD_A, "E12345678", photo);
	put_section(s.tok, "bank-card", "\"0\"", json, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	put_section(s.tok, "passport", "\"1\"", PASSPORT("G87654321",
	    "ZHANG San"), &r);
	assert_int_equal(r.status, 200);
	it_free(&r);

	/* The raw columns: ciphertext with its key id, never the numbers. */
	text = it_sql_text("SELECT string_agg(data::text, ' ') FROM "
	    "profile.sections WHERE student_id = $1::uuid", s.id);
	assert_null(strstr(text, "12345678"));
	assert_null(strstr(text, "87654321"));
	assert_null(strstr(text, "230102198001011234"));
	assert_non_null(strstr(text, "\"number_sealed\": \"v1.k1."));
	free(text);
	text = it_sql_text("SELECT string_agg(new_card::text, ' ') FROM "
	    "profile.bank_reviews WHERE student_id = $1::uuid", s.id);
	assert_null(strstr(text, CARD_A));
	assert_null(strstr(text, "12345678"));
	assert_non_null(strstr(text, "6222 **** **** 0128"));
	free(text);
	n = it_sql_long("SELECT count(*) FROM profile.passport_history WHERE "
	    "student_id = $1::uuid AND number_sealed LIKE 'v1.k1.%' AND "
	    "number_masked = 'E*****678'", s.id);
	assert_int_equal(n, 1);
	/* The audit trail has every change, sensitive values masked. */
	text = it_sql_text("SELECT string_agg(coalesce(before, '') || ' ' || "
	    "coalesce(after, ''), ' ') FROM profile.audit_log WHERE "
	    "student_id = $1::uuid", s.id);
	assert_null(strstr(text, "12345678"));
	assert_null(strstr(text, CARD_A));
	assert_non_null(strstr(text, "G*****321"));
	free(text);
	assert_int_equal(it_sql_long("SELECT count(*) FROM profile.audit_log "
	    "WHERE student_id = $1::uuid AND action = 'change' AND section = "
	    "'passport' AND field = 'number' AND before = 'E*****678' AND "
	    "after = 'G*****321' AND client IS NOT NULL", s.id), 1);

	/* Staff see masks; the role that needs a whole value opens it,
	 * audited; others may not. */
	snprintf(json, sizeof(json), "\"students\":[\"%s\"]", s.login);
	counsellor = new_staff("\"counsellor\"", json);
	io = new_staff("\"io\"", NULL);
	finance = new_staff("\"finance\"", NULL);
	snprintf(path, sizeof(path), PF "/students/%s", s.id);
	doc = get_json(path, counsellor, 200);
	p = section_of(doc, "passport", "data");
	assert_string_equal(cJSON_GetObjectItem(p, "number_masked")->valuestring,
	    "G*****321");
	assert_null(cJSON_GetObjectItem(p, "number"));
	text = cJSON_PrintUnformatted(doc);
	assert_null(strstr(text, "87654321"));
	assert_null(strstr(text, "230102198001011234"));
	assert_null(strstr(text, "_sealed"));
	assert_null(strstr(text, "_lookup"));
	free(text);
	cJSON_Delete(doc);
	n = it_sql_long("SELECT count(*) FROM profile.audit_log WHERE "
	    "action = 'read-whole' AND student_id = $1::uuid", s.id);
	snprintf(path, sizeof(path), PF "/students/%s?reveal=passport", s.id);
	assert_int_equal(it_status_of(path, counsellor, 1), 403);
	assert_int_equal(it_status_of(path, finance, 1), 403);
	doc = get_json(path, io, 200);
	assert_string_equal(cJSON_GetObjectItem(section_of(doc, "passport",
	    "data"), "number")->valuestring, "G87654321");
	/* Only the section asked for. */
	assert_non_null(cJSON_GetObjectItem(section_of(doc, "accommodation",
	    "data"), "landlord_id_number_masked"));
	cJSON_Delete(doc);
	snprintf(path, sizeof(path), PF "/students/%s?reveal=bank-card", s.id);
	assert_int_equal(it_status_of(path, io, 1), 403);
	doc = get_json(path, finance, 200);
	p = cJSON_GetObjectItem(section_of(doc, "bank-card", "review"),
	    "new_card");
	assert_string_equal(cJSON_GetObjectItem(p,
	    "account_number")->valuestring, CARD_A);
	/* The holder's passport number is the IO's: masked for finance. */
	assert_null(cJSON_GetObjectItem(p, "holder_passport_number"));
	assert_string_equal(cJSON_GetObjectItem(p,
	    "holder_passport_number_masked")->valuestring, "E*****678");
	cJSON_Delete(doc);
	assert_int_equal(it_sql_long("SELECT count(*) FROM profile.audit_log "
	    "WHERE action = 'read-whole' AND student_id = $1::uuid", s.id),
	    n + 2);
	/* The services' logs never have a whole number either. */
	assert_int_equal(it_log_count("profile", "87654321"), 0);
	assert_int_equal(it_log_count("profile", CARD_A), 0);

	free(photo);
	free(io);
	free(finance);
	free(counsellor);
	free_student(&s);
}

static void
physics_student(char *login, size_t len)
{
	struct it_resp	r;
	char		csv[256];

	it_unique(login, len, "P");
	snprintf(csv, sizeof(csv), "student_id,family_name,given_name,"
	    "chinese_name,school,degree,cohort,nationality\n%s,NGUYEN,Van An,"
	    "阮文安," PHYSICS ",phd,2022,Vietnam\n", login);
	it_request("POST", "/api/v1/auth/admin/students/import", admin,
	    "text/csv", csv, strlen(csv), &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
}

/* The student ids of a page of students. */
static int
lists(const cJSON *page, const char *login)
{
	const cJSON	*item;

	cJSON_ArrayForEach(item, cJSON_GetObjectItem(page, "items")) {
		if (strcmp(cJSON_GetObjectItem(item, "student_id")->valuestring,
		    login) == 0)
			return (1);
	}
	return (0);
}

static void
test_staff_scope_and_search(void **state)
{
	struct student	 s;
	cJSON		*page;
	char		 phys[16], path[256], json[128], *phys_id, *counsellor;
	char		*secretary, *teacher, *io;

	(void)state;
	new_student(&s);
	physics_student(phys, sizeof(phys));
	phys_id = it_sql_text("SELECT id::text FROM auth.accounts WHERE "
	    "login = $1", phys);
	snprintf(json, sizeof(json), "\"students\":[\"%s\"]", s.login);
	counsellor = new_staff("\"counsellor\"", json);
	secretary = new_staff("\"secretary\"", "\"school\":\"" PHYSICS "\"");
	teacher = new_staff("\"teacher\"", NULL);
	io = new_staff("\"io\"", NULL);

	/* A counsellor: their students only; a secretary: their school. */
	snprintf(path, sizeof(path), PF "/students/%s", s.id);
	assert_int_equal(it_status_of(path, counsellor, 1), 200);
	assert_int_equal(it_status_of(path, secretary, 1), 404);
	assert_int_equal(it_status_of(path, teacher, 1), 403);
	assert_int_equal(it_status_of(path, s.tok, 1), 403);
	snprintf(path, sizeof(path), PF "/students/%s", phys_id);
	assert_int_equal(it_status_of(path, counsellor, 1), 404);
	assert_int_equal(it_status_of(path, secretary, 1), 200);
	assert_int_equal(it_status_of(PF "/students/00000000-0000-4000-8000-"
	    "000000000000", io, 1), 404);

	page = get_json(PF "/students?limit=200", counsellor, 200);
	assert_int_equal(cJSON_GetObjectItem(page, "total")->valueint, 1);
	assert_true(lists(page, s.login));
	cJSON_Delete(page);
	snprintf(path, sizeof(path), PF "/students?q=%s", s.login);
	page = get_json(path, secretary, 200);
	assert_int_equal(cJSON_GetObjectItem(page, "total")->valueint, 0);
	cJSON_Delete(page);

	/* Search: partial Latin name in any case, Chinese name, filters. */
	snprintf(path, sizeof(path), PF "/students?q=%s", "an%20ngu");
	page = get_json(path, secretary, 200);
	assert_true(lists(page, phys));
	cJSON_Delete(page);
	page = get_json(PF "/students?q=%E6%96%87%E5%AE%89&school=School%20of"
	    "%20Physics&degree=phd&cohort=2022&nationality=vietnam", io, 200);
	assert_true(lists(page, phys));
	assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(page, "items"), 0), "completeness"));
	cJSON_Delete(page);
	page = get_json(PF "/students?q=%E6%96%87%E5%AE%89&degree=master", io,
	    200);
	assert_false(lists(page, phys));
	cJSON_Delete(page);
	assert_int_equal(it_status_of(PF "/students?degree=doctor", io, 1),
	    422);
	assert_int_equal(it_status_of(PF "/students?limit=0", io, 1), 422);
	assert_int_equal(it_status_of(PF "/students", teacher, 1), 403);
	assert_int_equal(it_status_of(PF "/students", s.tok, 1), 403);
	assert_int_equal(it_status_of(PF "/me", io, 1), 403);

	free(phys_id);
	free(counsellor);
	free(secretary);
	free(teacher);
	free(io);
	free_student(&s);
}

static void
test_expiring_export_history(void **state)
{
	struct student	 s;
	struct it_resp	 r;
	cJSON		*page;
	const cJSON	*item;
	char		 json[512], soon[16], issued[16], path[160], *io;
	char		*counsellor;
	int		 found = 0;

	(void)state;
	new_student(&s);
	date_in(-355, issued, sizeof(issued));
	date_in(10, soon, sizeof(soon));
	snprintf(json, sizeof(json), "{\"type\":\"study\",\"number\":"
	    "\"X00054321\",\"issue_date\":\"%s\",\"expiry_date\":\"%s\","
	    "\"issue_place\":\"Harbin\"}", issued, soon);
	save_new(s.tok, "residence-permit", json);
	save_new(s.tok, "passport", PASSPORT("E12345678", "ZHANG San"));
	io = new_staff("\"io\"", NULL);
	snprintf(json, sizeof(json), "\"students\":[\"%s\"]", s.login);
	counsellor = new_staff("\"counsellor\"", json);

	page = get_json(PF "/expiring?days=30&limit=200", counsellor, 200);
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(page, "items")) {
		if (strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(item,
		    "student"), "student_id")->valuestring, s.login) != 0)
			continue;
		found++;
		assert_string_equal(cJSON_GetObjectItem(item,
		    "document")->valuestring, "residence-permit");
		assert_string_equal(cJSON_GetObjectItem(item,
		    "expires_on")->valuestring, soon);
		assert_false(cJSON_IsTrue(cJSON_GetObjectItem(item,
		    "expired")));
	}
	assert_int_equal(found, 1);
	assert_int_equal(cJSON_GetObjectItem(page, "total")->valueint, 1);
	cJSON_Delete(page);
	page = get_json(PF "/expiring?days=5", counsellor, 200);
	assert_int_equal(cJSON_GetObjectItem(page, "total")->valueint, 0);
	cJSON_Delete(page);
	assert_int_equal(it_status_of(PF "/expiring?days=400", io, 1), 422);
	/* Published for messaging's reminders. */
	assert_int_equal(it_sql_long("SELECT count(*) FROM "
	    "profile.expiring_documents(30) WHERE student_id = $1::uuid",
	    s.id), 1);

	/* The IO's export: CSV, masked like every list, audited. */
	it_get(PF "/export", io, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.ctype, "text/csv"));
	assert_non_null(strstr(r.disposition, "attachment"));
	assert_int_equal(strncmp(r.body, CSV_HEAD, strlen(CSV_HEAD)), 0);
	assert_non_null(strstr(r.body, s.login));
	assert_non_null(strstr(r.body, "E*****678"));
	assert_null(strstr(r.body, "E12345678"));
	it_free(&r);
	assert_int_equal(it_status_of(PF "/export", counsellor, 1), 403);
	assert_true(it_sql_long("SELECT count(*) FROM profile.audit_log WHERE "
	    "action = 'export'", NULL) >= 1);

	/* A student's history: who changed what, masked. */
	snprintf(path, sizeof(path), PF "/students/%s/history", s.id);
	page = get_json(path, io, 200);
	found = 0;
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(page, "items")) {
		if (strcmp(cJSON_GetObjectItem(item, "field")->valuestring,
		    "number") == 0 && strcmp(cJSON_GetObjectItem(item,
		    "section")->valuestring, "passport") == 0) {
			found = 1;
			assert_string_equal(cJSON_GetObjectItem(item,
			    "after")->valuestring, "E*****678");
		}
	}
	assert_true(found);
	cJSON_Delete(page);
	assert_int_equal(it_status_of(path, counsellor, 1), 403);

	free(io);
	free(counsellor);
	free_student(&s);
}

static void
test_insurance_import(void **state)
{
	struct student	 s;
	struct it_resp	 r;
	cJSON		*me;
	const cJSON	*ins;
	char		 csv[1024], *io, *counsellor;

	(void)state;
	new_student(&s);
	io = new_staff("\"io\"", NULL);
	counsellor = new_staff("\"counsellor\"", NULL);
	snprintf(csv, sizeof(csv), "student_id,company,policy_name,"
	    "policy_number,valid_from,valid_to,amount,effective_date,"
	    "expiry_date,company_contact,status\n"
	    "%s,Ping An,Student Medical,PA-2026-001,2026-09-01,2027-08-31,"
	    "800.00,2026-09-01,2027-08-31,95511,policy-issued\n"
	    "NOSUCH1,Ping An,Student Medical,PA-2026-002,2026-09-01,2027-08-31,"
	    "800,2026-09-01,2027-08-31,95511,policy-issued\n"
	    "%s,Ping An,Student Medical,PA-2026-003,2027-09-01,2026-08-31,"
	    "800,2026-09-01,2027-08-31,95511,policy-issued\n"
	    "%s,Ping An,Student Medical,PA-2026-004,2026-09-01,2027-08-31,"
	    "800,2026-09-01,2027-08-31,95511,paid\n", s.login, s.login, s.login);
	it_request("POST", PF "/insurance/import", io, "text/csv", csv,
	    strlen(csv), &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(cJSON_GetObjectItem(r.json, "created")->valueint, 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r.json,
	    "rejected")), 3);
	it_free(&r);
	/* Again: nothing changes. */
	it_request("POST", PF "/insurance/import", io, "text/csv", csv,
	    strlen(csv), &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(cJSON_GetObjectItem(r.json, "unchanged")->valueint, 1);
	it_free(&r);
	it_request("POST", PF "/insurance/import", counsellor, "text/csv", csv,
	    strlen(csv), &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);
	it_request("POST", PF "/insurance/import", s.tok, "text/csv", csv,
	    strlen(csv), &r);
	it_assert_problem(&r, 403, "forbidden");
	it_free(&r);

	me = get_json(PF "/me", s.tok, 200);
	ins = cJSON_GetArrayItem(cJSON_GetObjectItem(me, "insurance"), 0);
	assert_non_null(ins);
	assert_string_equal(cJSON_GetObjectItem(ins,
	    "policy_number")->valuestring, "PA-2026-001");
	assert_string_equal(cJSON_GetObjectItem(ins, "status")->valuestring,
	    "policy-issued");
	assert_string_equal(cJSON_GetObjectItem(ins, "expiry_date")->valuestring,
	    "2027-08-31");
	cJSON_Delete(me);
	free(io);
	free(counsellor);
	free_student(&s);
}

/*
 * A new data key (deploy/local.sh rotate-data-key restarts the profile
 * service): what was sealed under the old one is sealed again under the
 * new one by the service itself, and still reads the same.
 */
static void
test_data_key_rotation(void **state)
{
	struct student	 s;
	struct it_resp	 r;
	cJSON		*me;
	char		 json[512], query[96], *before, *prefix, *photo;
	pid_t		 pid;
	long		 left = -1, deadline;
	int		 status;

	(void)state;
	new_student(&s);
	save_new(s.tok, "passport", PASSPORT("E12345678", "ZHANG San"));
	put_section(s.tok, "passport", "\"1\"", PASSPORT("G87654321",
	    "ZHANG San"), &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	photo = upload(s.tok, "debit-card", png, sizeof(png), 201);
	bank_json(json, sizeof(json), "ZHANG San", CARD_A, "G87654321", photo);
	put_section(s.tok, "bank-card", "\"0\"", json, &r);
	assert_int_equal(r.status, 200);
	it_free(&r);
	before = it_sql_text("SELECT data->>'number_sealed' FROM "
	    "profile.sections WHERE student_id = $1::uuid AND section = "
	    "'passport'", s.id);
	assert_non_null(before);
	/* "v1.<kid>." */
	prefix = strndup(before, (size_t)(strchr(before + 3, '.') - before + 1));
	snprintf(query, sizeof(query), "%s %s", s.id, prefix);

	if ((pid = fork()) == 0) {
		execl(IS_SOURCE_DIR "/deploy/local.sh", "local.sh",
		    "rotate-data-key", (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Every value of the student: section fields, the review's card,
	 * the passport history; none left under the old key. */
	deadline = it_now_ms() + 30000;
	while (it_now_ms() < deadline) {
		/* $1: "<student id> <old prefix>". */
		left = it_sql_long("WITH p AS (SELECT split_part($1, ' ', 1)::uuid "
		    "AS id, split_part($1, ' ', 2) || '%' AS old) "
		    "SELECT (SELECT count(*) FROM p, profile.sections s, "
		    "jsonb_each_text(s.data) e WHERE s.student_id = p.id AND "
		    "e.key LIKE '%\\_sealed' AND e.value LIKE p.old) + "
		    "(SELECT count(*) FROM p, profile.bank_reviews b, "
		    "jsonb_each_text(b.new_card) e WHERE b.student_id = p.id AND "
		    "e.key LIKE '%\\_sealed' AND e.value LIKE p.old) + "
		    "(SELECT count(*) FROM p, profile.passport_history h WHERE "
		    "h.student_id = p.id AND h.number_sealed LIKE p.old)", query);
		if (left == 0)
			break;
		usleep(200000);
	}
	assert_int_equal(left, 0);
	/* ...and they read the same. */
	me = get_json(PF "/me", s.tok, 200);
	assert_string_equal(cJSON_GetObjectItem(section_of(me, "passport",
	    "data"), "number")->valuestring, "G87654321");
	assert_string_equal(cJSON_GetObjectItem(section_of(me, "passport",
	    "data"), "old_number")->valuestring, "E12345678");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(me, "passport_history"), 0),
	    "number")->valuestring, "E12345678");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    section_of(me, "bank-card", "review"), "new_card"),
	    "account_number")->valuestring, CARD_A);
	cJSON_Delete(me);
	free(before);
	free(prefix);
	free(photo);
	free_student(&s);
}

static void
expect_problem(struct it_resp *r, long status, const char *what)
{
	if (r->status != status ||
	    strncmp(r->ctype, "application/problem+json", 24) != 0 ||
	    it_str(r, "code") == NULL)
		fail_msg("%s: got %ld '%s' %s", what, r->status, r->ctype,
		    r->body);
	it_free(r);
}

/* Everything the profile keeps, summed: bad input changes none of it. */
static long
profile_fingerprint(void)
{
	return (it_sql_long("SELECT (SELECT count(*) + coalesce(sum(version), 0) "
	    "FROM profile.sections) * 7 + (SELECT count(*) FROM "
	    "profile.documents) * 11 + (SELECT count(*) FROM "
	    "profile.bank_reviews) * 13 + (SELECT count(*) FROM "
	    "profile.insurance) * 17 + (SELECT count(*) FROM "
	    "profile.audit_log WHERE action <> 'read-whole') * 19", NULL));
}

static void
test_bad_input_everywhere(void **state)
{
	static const char *const sections[] = { "basic", "contact",
	    "emergency-contacts", "family-members", "education", "bank-card",
	    "passport", "residence-permit", "accommodation", "hsk", NULL };
	/* Queries refused (422), by whom they are sent: 's'tudent, 'i'o,
	 * 'f'inance; "?..." and "/history..." follow the student's page,
	 * /students/<account id>. */
	static const struct { char who; const char *path; } gets[] = {
		{ 'i', "/students?limit=1000" }, { 'i', "/students?offset=-1" },
		{ 'i', "/students?cohort=20x1" }, { 'i', "/students?q=" },
		{ 'i', "/students?nope=1" }, { 'i', "?reveal=everything" },
		{ 'i', "/history?limit=abc" },
		{ 'i', "/expiring?days=-1" }, { 'i', "/expiring?days=1e3" },
		{ 'f', "/bank-reviews?state=open" },
		{ 'f', "/bank-reviews?limit=0" }, { 's', "/me?x=1" },
		{ 0, NULL }
	};
	struct student	 s;
	struct it_resp	 r;
	char		 path[160], *big, *io, *finance;
	long		 before;
	int		 i;

	(void)state;
	new_student(&s);
	io = new_staff("\"io\"", NULL);
	finance = new_staff("\"finance\"", NULL);
	before = profile_fingerprint();
	big = calloc(1, 300 * 1024 + 1);
	memset(big, ' ', 300 * 1024);
	big[0] = '{';
	big[300 * 1024 - 1] = '}';
	for (i = 0; sections[i] != NULL; i++) {
		put_section(s.tok, sections[i], "\"0\"", "{\"a\":", &r);
		expect_problem(&r, 400, sections[i]);
		put_section(s.tok, sections[i], "\"0\"", "[]", &r);
		expect_problem(&r, 422, sections[i]);
		put_section(s.tok, sections[i], "\"0\"", "{\"x\":\"\xff\xfe\"}",
		    &r);
		expect_problem(&r, 400, sections[i]);
		put_section(s.tok, sections[i], "\"0\"", "{\"x\":1}", &r);
		expect_problem(&r, 422, sections[i]);
		put_section(s.tok, sections[i], "\"0\"", "{\"rows\":[1,\"a\"]}",
		    &r);
		expect_problem(&r, 422, sections[i]);
		snprintf(path, sizeof(path), PF "/me/%s", sections[i]);
		it_set_header("If-Match: \"0\"");
		it_request("PUT", path, s.tok, "text/plain", "hello", 5, &r);
		it_set_header(NULL);
		expect_problem(&r, 415, sections[i]);
		it_set_header("If-Match: \"0\"");
		it_request("PUT", path, s.tok, "application/json", big,
		    strlen(big), &r);
		it_set_header(NULL);
		expect_problem(&r, 413, sections[i]);
		/* Other methods on the same route. */
		it_request("POST", path, s.tok, "application/json", "{}", 2, &r);
		expect_problem(&r, 405, sections[i]);
	}
	for (i = 0; gets[i].path != NULL; i++) {
		if (gets[i].path[0] == '?' ||
		    strncmp(gets[i].path, "/history", 8) == 0)
			snprintf(path, sizeof(path), PF "/students/%s%s", s.id,
			    gets[i].path);
		else
			snprintf(path, sizeof(path), PF "%s", gets[i].path);
		it_get(path, gets[i].who == 's' ? s.tok : gets[i].who == 'f' ?
		    finance : io, &r);
		expect_problem(&r, 422, path);
	}
	it_assert_post(PF "/bank-reviews/00000000-0000-4000-8000-000000000000"
	    "/decision", finance, "{\"decision\":\"maybe\"}", 422,
	    "validation");
	it_assert_post(PF "/bank-reviews/00000000-0000-4000-8000-000000000000"
	    "/decision", finance, "{\"decision\":\"approve\"}", 404,
	    "not-found");
	it_assert_post(PF "/bank-reviews/nope/decision", finance,
	    "{\"decision\":\"approve\"}", 404, "not-found");
	it_request("POST", PF "/insurance/import", io, "text/csv",
	    "student_id\n\"unterminated\n", 25, &r);
	expect_problem(&r, 422, "a CSV that cannot be read");
	it_request("POST", PF "/insurance/import", io, "application/json",
	    "{}", 2, &r);
	expect_problem(&r, 415, "a JSON import");
	free(big);
	assert_int_equal(profile_fingerprint(), before);
	free(io);
	free(finance);
	free_student(&s);
}

static int
setup(void **state)
{
	(void)state;
	it_init();
	admin = it_admin_token();
	return (admin == NULL ? -1 : 0);
}

static int
teardown(void **state)
{
	(void)state;
	free(admin);
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections_good_and_bad),
		cmocka_unit_test(test_if_match),
		cmocka_unit_test(test_bank_card_review),
		cmocka_unit_test(test_passport_renewal),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_encrypted_at_rest_masked_and_audited),
		cmocka_unit_test(test_staff_scope_and_search),
		cmocka_unit_test(test_expiring_export_history),
		cmocka_unit_test(test_insurance_import),
		cmocka_unit_test(test_bad_input_everywhere),
		cmocka_unit_test(test_data_key_rotation),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
