/*
 * The sections a student keeps: each a form declared below (its fields,
 * rows for the multi-row ones, the values sealed and how they are masked,
 * the rules across fields), read alone or in the whole profile. An update
 * names the version it read
 * (If-Match): the database refuses a stale one, so the mini-program and
 * the web site never overwrite each other. GET /me is answered from a
 * per-worker cache that every change of the student's profile invalidates.
 */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "profile.h"
#include "iscommon/crypto.h"
#include "iscommon/generation.h"
#include "iscommon/strutil.h"

static const char	date_re[] = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
#define MOBILE_RE	"^1[3-9][0-9]{9}$"
#define PHONE_RE	"^[+]?[0-9][0-9 -]{4,19}$"
#define EMAIL_RE	"^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$"
#define UUID_RE		"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-" \
			"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
/* Names as the passport prints them (machine-readable zone letters). */
#define LATIN_NAME_RE	"^[A-Za-z][A-Za-z' .,-]*$"
#define DOC_NUMBER_RE	"^[A-Za-z0-9]+$"

static const char *const	sexes[] = { "male", "female", NULL };
static const char *const	marital[] = { "single", "married", "divorced",
				    "widowed", NULL };
static const char *const	permit_types[] = { "study", "work", "family",
				    "private-affairs", "other", NULL };
static const char *const	hsk_levels[] = { "1", "2", "3", "4", "5", "6",
				    "7-9", NULL };
static const char *const	school_degrees[] = { "high-school",
				    "associate", "bachelor", "master", "phd",
				    "other", NULL };

static const struct is_field	basic_fields[] = {
	{ "chinese_name", IS_F_STRING, 0, 1, 40, NULL, NULL },
	{ "marital_status", IS_F_STRING, 1, 0, 0, NULL, marital },
	{ "nationality", IS_F_STRING, 1, 2, 60, NULL, NULL },
	{ "birth_place", IS_F_STRING, 1, 1, 100, NULL, NULL },
	{ "birth_date", IS_F_STRING, 1, 10, 10, date_re, NULL },
	{ "passport_family_name", IS_F_STRING, 1, 1, 80, LATIN_NAME_RE, NULL },
	{ "passport_given_name", IS_F_STRING, 0, 1, 80, LATIN_NAME_RE, NULL },
	{ "full_name", IS_F_STRING, 1, 1, 160, LATIN_NAME_RE, NULL },
	{ "religion", IS_F_STRING, 0, 1, 60, NULL, NULL },
	{ "sex", IS_F_STRING, 1, 0, 0, NULL, sexes },
	{ "photo_id", IS_F_STRING, 0, 36, 36, UUID_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	contact_fields[] = {
	{ "email", IS_F_STRING, 1, 3, 120, EMAIL_RE, NULL },
	{ "zip_code", IS_F_STRING, 0, 3, 10, "^[A-Za-z0-9][A-Za-z0-9 -]*$",
	    NULL },
	{ "home_address", IS_F_STRING, 1, 5, 300, NULL, NULL },
	{ "mobile", IS_F_STRING, 1, 11, 11, MOBILE_RE, NULL },
	{ "home_phone", IS_F_STRING, 0, 5, 20, PHONE_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	person_fields[] = {
	{ "name", IS_F_STRING, 1, 1, 80, NULL, NULL },
	{ "relationship", IS_F_STRING, 1, 1, 40, NULL, NULL },
	{ "workplace", IS_F_STRING, 0, 1, 120, NULL, NULL },
	{ "occupation", IS_F_STRING, 0, 1, 60, NULL, NULL },
	{ "phone", IS_F_STRING, 1, 5, 20, PHONE_RE, NULL },
	{ "email", IS_F_STRING, 0, 3, 120, EMAIL_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	education_fields[] = {
	{ "school", IS_F_STRING, 1, 1, 120, NULL, NULL },
	{ "degree", IS_F_STRING, 1, 0, 0, NULL, school_degrees },
	{ "year_from", IS_F_INT, 1, 1950, 2100, NULL, NULL },
	{ "year_to", IS_F_INT, 1, 1950, 2100, NULL, NULL },
	{ "contact_person", IS_F_STRING, 0, 1, 80, NULL, NULL },
	{ "phone", IS_F_STRING, 0, 5, 20, PHONE_RE, NULL },
	{ "email", IS_F_STRING, 0, 3, 120, EMAIL_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	passport_fields[] = {
	{ "family_name", IS_F_STRING, 1, 1, 80, LATIN_NAME_RE, NULL },
	{ "given_name", IS_F_STRING, 0, 1, 80, LATIN_NAME_RE, NULL },
	{ "full_name", IS_F_STRING, 1, 1, 160, LATIN_NAME_RE, NULL },
	{ "number", IS_F_STRING, 1, 5, 20, DOC_NUMBER_RE, NULL },
	{ "old_number", IS_F_STRING, 0, 5, 20, DOC_NUMBER_RE, NULL },
	{ "issue_date", IS_F_STRING, 1, 10, 10, date_re, NULL },
	{ "expiry_date", IS_F_STRING, 1, 10, 10, date_re, NULL },
	{ "page_id", IS_F_STRING, 0, 36, 36, UUID_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	permit_fields[] = {
	{ "type", IS_F_STRING, 1, 0, 0, NULL, permit_types },
	{ "number", IS_F_STRING, 1, 5, 30, DOC_NUMBER_RE, NULL },
	{ "issue_date", IS_F_STRING, 1, 10, 10, date_re, NULL },
	{ "expiry_date", IS_F_STRING, 1, 10, 10, date_re, NULL },
	{ "issue_place", IS_F_STRING, 1, 1, 100, NULL, NULL },
	{ "page_id", IS_F_STRING, 0, 36, 36, UUID_RE, NULL },
	{ "entry_stamp_id", IS_F_STRING, 0, 36, 36, UUID_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	accommodation_fields[] = {
	{ "off_campus", IS_F_BOOL, 1, 0, 0, NULL, NULL },
	{ "landlord_name", IS_F_STRING, 0, 1, 80, NULL, NULL },
	{ "landlord_phone", IS_F_STRING, 0, 5, 20, PHONE_RE, NULL },
	{ "address", IS_F_STRING, 0, 5, 300, NULL, NULL },
	{ "landlord_id_number", IS_F_STRING, 0, 6, 30, DOC_NUMBER_RE, NULL },
	{ "contact_phone", IS_F_STRING, 0, 5, 20, PHONE_RE, NULL },
	{ "contract_id", IS_F_STRING, 0, 36, 36, UUID_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	hsk_fields[] = {
	{ "level", IS_F_STRING, 1, 0, 0, NULL, hsk_levels },
	{ "score", IS_F_INT, 1, 0, 300, NULL, NULL },
	{ "certificate_number", IS_F_STRING, 1, 4, 40, DOC_NUMBER_RE, NULL },
	{ "test_date", IS_F_STRING, 1, 10, 10, date_re, NULL },
	{ "hskk_score", IS_F_INT, 0, 0, 100, NULL, NULL },
	{ "learning_from", IS_F_STRING, 0, 10, 10, date_re, NULL },
	{ "learning_to", IS_F_STRING, 0, 10, 10, date_re, NULL },
	{ "institution", IS_F_STRING, 0, 1, 120, NULL, NULL },
	{ "teacher_chinese", IS_F_BOOL, 0, 0, 0, NULL, NULL },
	{ "certificate_id", IS_F_STRING, 0, 36, 36, UUID_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	bank_fields[] = {
	{ "holder_name", IS_F_STRING, 1, 1, 160, LATIN_NAME_RE, NULL },
	{ "account_number", IS_F_STRING, 1, 12, 19, "^[0-9]+$", NULL },
	{ "bank_name", IS_F_STRING, 1, 2, 100, NULL, NULL },
	{ "holder_passport_number", IS_F_STRING, 1, 5, 20, DOC_NUMBER_RE,
	    NULL },
	{ "phone", IS_F_STRING, 1, 11, 11, MOBILE_RE, NULL },
	{ "card_photo_id", IS_F_STRING, 1, 36, 36, UUID_RE, NULL },
	IS_FIELDS_END
};

/* A sealed field and how lists show it. */
struct pf_sealed {
	const char	*field;
	int		 card;		/* 6222 **** **** 1234 */
	int		 head, tail;	/* else: kept at each end */
};

/* Rules across fields: "a" before "b" ("a" <= "b" when equal_ok). */
struct pf_order {
	const char	*a, *b;
	int		 equal_ok;
};

struct pf_section {
	const char		*name;
	const struct is_field	*fields;	/* a row's, when rows > 0 */
	int			 rows;		/* at most; 0: one object */
	const struct pf_sealed	*sealed;
	const struct pf_order	*order;
	/* Dates that cannot be in the future. */
	const char *const	*past;
	/* More checks; appends to errors. */
	void			(*check)(const cJSON *, cJSON *);
};

static const struct pf_sealed	passport_sealed[] = {
	{ "number", 0, 1, 3 }, { "old_number", 0, 1, 3 }, { NULL, 0, 0, 0 }
};
static const struct pf_sealed	bank_sealed[] = {
	{ "account_number", 1, 0, 0 }, { "holder_passport_number", 0, 1, 3 },
	{ NULL, 0, 0, 0 }
};
static const struct pf_sealed	accommodation_sealed[] = {
	{ "landlord_id_number", 0, 4, 4 }, { NULL, 0, 0, 0 }
};

static const struct pf_order	issue_expiry[] = {
	{ "issue_date", "expiry_date", 0 }, { NULL, NULL, 0 }
};
static const struct pf_order	education_order[] = {
	{ "year_from", "year_to", 1 }, { NULL, NULL, 0 }
};
static const struct pf_order	hsk_order[] = {
	{ "learning_from", "learning_to", 0 }, { NULL, NULL, 0 }
};

static const char *const	past_birth[] = { "birth_date", NULL };
static const char *const	past_issue[] = { "issue_date", NULL };
static const char *const	past_test[] = { "test_date", "learning_from",
				    NULL };

static void	check_accommodation(const cJSON *, cJSON *);
static void	check_bank(const cJSON *, cJSON *);

static const struct pf_section	sections[] = {
	{ "basic", basic_fields, 0, NULL, NULL, past_birth, NULL },
	{ "contact", contact_fields, 0, NULL, NULL, NULL, NULL },
	{ "emergency-contacts", person_fields, 5, NULL, NULL, NULL, NULL },
	{ "family-members", person_fields, 20, NULL, NULL, NULL, NULL },
	{ "education", education_fields, 10, NULL, education_order, NULL,
	    NULL },
	{ "bank-card", bank_fields, 0, bank_sealed, NULL, NULL, check_bank },
	{ "passport", passport_fields, 0, passport_sealed, issue_expiry,
	    past_issue, NULL },
	{ "residence-permit", permit_fields, 0, NULL, issue_expiry,
	    past_issue, NULL },
	{ "accommodation", accommodation_fields, 0, accommodation_sealed,
	    NULL, NULL, check_accommodation },
	{ "hsk", hsk_fields, 0, NULL, hsk_order, past_test, NULL },
	{ NULL, NULL, 0, NULL, NULL, NULL, NULL }
};

/* A refusal of field, in a row of a multi-row section (prefix). */
static void
add_error(cJSON *errors, const char *prefix, const char *field,
    const char *en, const char *zh)
{
	char	name[96];

	snprintf(name, sizeof(name), "%s%s", prefix, field);
	is_field_error(errors, name, en, zh);
}

/* A calendar date that exists (2026-02-30 does not), as days. */
static int
date_days(const char *s, long *days)
{
	struct tm	tm;
	const char	*end;
	time_t		t;

	memset(&tm, 0, sizeof(tm));
	/* Years PostgreSQL and the forms know: 1900-2199. */
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL || *end != '\0' ||
	    tm.tm_year < 0 || tm.tm_year > 299)
		return (-1);
	tm.tm_isdst = 0;
	{
		struct tm	check = tm;

		if ((t = timegm(&check)) == (time_t)-1 ||
		    check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon)
			return (-1);
	}
	*days = (long)(t / 86400);
	return (0);
}

/* Dates that exist, in order, and not in the future where they cannot. */
static void
check_dates(const struct pf_section *s, const cJSON *obj, const char *prefix,
    cJSON *errors)
{
	const struct is_field	*f;
	const struct pf_order	*o;
	const cJSON		*a, *b;
	long			 da, db, today;
	int			 i;

	today = (long)(time(NULL) / 86400) + 1;	/* UTC+8 is ahead */
	for (f = s->fields; f->name != NULL; f++) {
		a = cJSON_GetObjectItemCaseSensitive(obj, f->name);
		if (f->pattern != date_re || !cJSON_IsString(a))
			continue;
		if (date_days(a->valuestring, &da) == -1) {
			add_error(errors, prefix, f->name, "is not a date that "
			    "exists", "不是有效日期");
			continue;
		}
		for (i = 0; s->past != NULL && s->past[i] != NULL; i++) {
			if (strcmp(s->past[i], f->name) == 0 && da > today)
				add_error(errors, prefix, f->name,
				    "cannot be in the future", "不能晚于今天");
		}
	}
	for (o = s->order; o != NULL && o->a != NULL; o++) {
		a = cJSON_GetObjectItemCaseSensitive(obj, o->a);
		b = cJSON_GetObjectItemCaseSensitive(obj, o->b);
		if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
			da = (long)a->valuedouble;
			db = (long)b->valuedouble;
		} else if (!cJSON_IsString(a) || !cJSON_IsString(b) ||
		    date_days(a->valuestring, &da) == -1 ||
		    date_days(b->valuestring, &db) == -1)
			continue;
		if (da > db || (da == db && !o->equal_ok))
			add_error(errors, prefix, o->b, o->equal_ok ?
			    "cannot be before the start" : "must be after the "
			    "start", o->equal_ok ? "不能早于开始" : "必须晚于开始");
	}
}

/* Landlord details when, and only when, the student lives off campus. */
static void
check_accommodation(const cJSON *obj, cJSON *errors)
{
	static const char *const need[] = { "landlord_name", "landlord_phone",
	    "address", "landlord_id_number", NULL };
	const cJSON	*item;
	int		 off, i;

	off = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "off_campus"));
	for (i = 0; need[i] != NULL; i++) {
		item = cJSON_GetObjectItemCaseSensitive(obj, need[i]);
		if (off && item == NULL)
			add_error(errors, "", need[i], "is required when you "
			    "live off campus", "校外住宿时必填");
	}
	if (off)
		return;
	cJSON_ArrayForEach(item, obj) {
		if (strcmp(item->string, "off_campus") != 0 &&
		    !cJSON_IsNull(item))
			add_error(errors, "", item->string, "only for students "
			    "living off campus", "仅校外住宿时填写");
	}
}

/* The card number's check digit (Luhn), as every UnionPay card has. */
static void
check_bank(const cJSON *obj, cJSON *errors)
{
	const char	*n = is_json_str(obj, "account_number");
	size_t		 len, i;
	int		 sum = 0, d;

	if (n == NULL)
		return;
	len = strlen(n);
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)n[i]))
			return;
		d = n[len - 1 - i] - '0';
		if (i % 2 == 1 && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	if (sum % 10 != 0)
		add_error(errors, "", "account_number", "is not a valid card "
		    "number (check digit): check it against your card",
		    "卡号校验失败，请核对银行卡号");
}

static const struct pf_section *
section_named(const char *name)
{
	int	i;

	for (i = 0; sections[i].name != NULL; i++) {
		if (strcmp(sections[i].name, name) == 0)
			return (&sections[i]);
	}
	return (NULL);
}

static const struct pf_section *
section_of(struct http_request *req)
{
	char	name[32];

	if (is_path_tail(req, PF_PREFIX "me/", name, sizeof(name)) == -1)
		return (NULL);
	return (section_named(name));
}

/*
 * A sealed field becomes <name>_sealed (AES-256-GCM, bound to the
 * student), <name>_masked (for lists and the audit) and <name>_lookup (a
 * keyed hash of the number, upper case without spaces, to compare).
 */
static int
seal_field(cJSON *obj, const struct pf_sealed *sf, const char *student)
{
	const char	*v = is_json_str(obj, sf->field);
	char		 aad[64], key[64], norm[64], hash[65], *sealed, *masked;
	size_t		 i, n = 0;

	if (v == NULL)
		return (0);
	for (i = 0; v[i] != '\0' && n < sizeof(norm) - 1; i++) {
		if (v[i] != ' ')
			norm[n++] = (char)toupper((unsigned char)v[i]);
	}
	norm[n] = '\0';
	snprintf(aad, sizeof(aad), "profile:%s", student);
	sealed = is_seal(&pf_conf.keys, v, aad);
	masked = sf->card ? is_mask_card(norm) :
	    is_mask_middle(norm, sf->head, sf->tail);
	if (sealed == NULL || masked == NULL ||
	    is_hmac_hex(pf_conf.lookup_key, norm, hash) == -1) {
		free(sealed);
		free(masked);
		OPENSSL_cleanse(norm, sizeof(norm));
		return (-1);
	}
	snprintf(key, sizeof(key), "%s_sealed", sf->field);
	cJSON_AddStringToObject(obj, key, sealed);
	snprintf(key, sizeof(key), "%s_masked", sf->field);
	cJSON_AddStringToObject(obj, key, masked);
	snprintf(key, sizeof(key), "%s_lookup", sf->field);
	cJSON_AddStringToObject(obj, key, hash);
	cJSON_DeleteItemFromObjectCaseSensitive(obj, sf->field);
	OPENSSL_cleanse(norm, sizeof(norm));
	free(sealed);
	free(masked);
	return (0);
}

/* The wrapper of a multi-row section's body. */
static const struct is_field	rows_spec[] = {
	{ "rows", IS_F_ARRAY, 1, 0, 0, NULL, NULL },
	IS_FIELDS_END
};

/*
 * Reads the section's form: validated field by field (every refusal at
 * once, in English and Chinese), then its sensitive values sealed. The
 * body the query stores is the result.
 */
static int
section_read(struct http_request *req, struct is_ctx *c)
{
	const struct pf_section	*s = section_of(req);
	const struct pf_sealed	*sf;
	cJSON			*errors, *row, *rows;
	char			 prefix[24];
	int			 i = 0;

	if (s == NULL) {
		is_reply_problem(req, "not-found", NULL);
		return (-1);
	}
	if (is_read_json(req, c, s->rows > 0 ? rows_spec : s->fields) == -1)
		return (-1);
	errors = cJSON_CreateArray();
	if (s->rows > 0) {
		rows = cJSON_GetObjectItemCaseSensitive(c->body, "rows");
		if (cJSON_GetArraySize(rows) > s->rows)
			add_error(errors, "", "rows", "has too many rows",
			    "行数过多");
		cJSON_ArrayForEach(row, rows) {
			snprintf(prefix, sizeof(prefix), "rows[%d].", i++);
			if (!cJSON_IsObject(row)) {
				add_error(errors, prefix, "", "must be an "
				    "object", "必须是对象");
				continue;
			}
			/* The generic check names fields without the row. */
			if (is_validate_object(row, s->fields, NULL) == -1) {
				cJSON	*e, *row_errors = cJSON_CreateArray();

				is_validate_object(row, s->fields, row_errors);
				cJSON_ArrayForEach(e, row_errors)
					add_error(errors, prefix,
					    is_json_str(e, "field"),
					    is_json_str(e, "message"),
					    is_json_str(e, "message_zh"));
				cJSON_Delete(row_errors);
			}
			check_dates(s, row, prefix, errors);
		}
	} else {
		check_dates(s, c->body, "", errors);
		if (s->check != NULL)
			s->check(c->body, errors);
	}
	if (cJSON_GetArraySize(errors) > 0) {
		is_reply_problem_errors(req, "validation", NULL, errors);
		return (-1);
	}
	cJSON_Delete(errors);
	for (sf = s->sealed; sf != NULL && sf->field != NULL; sf++) {
		if (seal_field(c->body, sf, c->claims.sub) == -1) {
			is_reply_problem(req, "internal", NULL);
			return (-1);
		}
	}
	return (0);
}

static int
arg_section(struct http_request *req, struct is_ctx *c, const char **out)
{
	const struct pf_section	*s = section_of(req);

	(void)c;
	*out = s->name;
	return (0);
}

/*
 * If-Match: the version the client read, as the section's ETag gave it
 * ("3"). Without it the update is refused (428): a client that does not
 * say what it read would overwrite what it never saw.
 */
static int
arg_if_match(struct http_request *req, struct is_ctx *c, const char **out)
{
	const char	*h;
	char		 num[16];
	size_t		 n;

	if (!http_request_header(req, "if-match", &h)) {
		is_reply_problem(req, "precondition-required", "Send If-Match "
		    "with the section's ETag from your last read");
		return (-1);
	}
	n = strlen(h);
	if (n < 3 || n > 11 || h[0] != '"' || h[n - 1] != '"' ||
	    strspn(h + 1, "0123456789") != n - 2) {
		is_reply_problem(req, "precondition-failed", "If-Match must be "
		    "the section's current ETag, such as \"3\"");
		return (-1);
	}
	memcpy(num, h + 1, n - 2);
	num[n - 2] = '\0';
	*out = is_ctx_keep(c, num);
	return (0);
}

/* One section of the caller's, with its ETag as a header too. */
static int
reply_section(struct http_request *req, struct is_ctx *c)
{
	cJSON		*doc;
	const char	*etag;

	if ((doc = is_db_result(req, c)) == NULL)
		return (KORE_RESULT_OK);
	if ((etag = is_json_str(doc, "etag")) != NULL)
		http_response_header(req, "etag", etag);
	pf_open_sealed(doc, c->claims.sub);
	return (is_reply_obj(req, 200, doc));
}

/* A saved section: the cached profile is stale. */
static int
reply_saved(struct http_request *req, struct is_ctx *c)
{
	if (is_db_state(c) == IS_DONE && is_db_refusal(c) == NULL)
		pf_changed(c->claims.sub);
	return (reply_section(req, c));
}

/* The section named by the path (else 404). */
static int
section_known(struct http_request *req, struct is_ctx *c)
{
	(void)c;
	if (section_of(req) == NULL) {
		is_reply_problem(req, "not-found", NULL);
		return (-1);
	}
	return (0);
}

/* ------------------------------------------------------------------ */
/* GET /me from the per-worker cache. */

#define ME_CACHE_SIZE	4096

struct me_entry {
	char			 sub[64];
	struct is_gen_stamp	 stamp;
	u_int64_t		 expires;
	u_int64_t		 refreshing_until;
	char			*json;
};

static struct me_entry	me_cache[ME_CACHE_SIZE];

static struct me_entry *
me_slot(const char *sub)
{
	return (&me_cache[is_str_hash(sub) % ME_CACHE_SIZE]);
}

void
pf_changed(const char *student_id)
{
	if (student_id != NULL)
		is_gen_bump(student_id);
	else
		is_gen_bump_all();
}

struct me_flow {
	struct is_gen_stamp	stamp;
};

static const struct is_part	me_part = { "me", sizeof(struct me_flow),
				    NULL };

enum { ME_START, ME_ANSWER };

static int
me_start(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	struct me_entry	*e = me_slot(c->claims.sub);
	struct me_flow	*f;
	u_int64_t	 now = kore_time_ms();

	/*
	 * Current, or old by age only (no change seen) while one request
	 * refreshes it: an expiry never sends every concurrent caller to the
	 * database at once.
	 */
	if (e->json != NULL && strcmp(e->sub, c->claims.sub) == 0 &&
	    is_gen_current(c->claims.sub, &e->stamp)) {
		if (now > e->expires && now > e->refreshing_until)
			e->refreshing_until = now + 1000;
		else {
			is_reply_json(req, 200, e->json);
			return (HTTP_STATE_COMPLETE);
		}
	}
	/* Stamped before the query: a change during it is not lost. */
	f = is_ctx_part(c, &me_part);
	is_gen_stamp(c->claims.sub, &f->stamp);
	is_db_begin(req, c, "SELECT profile.me($1::uuid)", 1,
	    (const char *[]){ c->claims.sub });
	req->fsm_state = ME_ANSWER;
	return (HTTP_STATE_CONTINUE);
}

static int
me_answer(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	struct me_flow	*f = is_ctx_part(c, &me_part);
	struct me_entry	*e;
	cJSON		*doc;
	char		*json;

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if ((doc = is_db_result(req, c)) == NULL)
		return (HTTP_STATE_COMPLETE);
	pf_open_sealed(doc, c->claims.sub);
	json = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (json == NULL) {
		is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	e = me_slot(c->claims.sub);
	if (strlen(c->claims.sub) < sizeof(e->sub)) {
		if (e->json != NULL)
			OPENSSL_cleanse(e->json, strlen(e->json));
		free(e->json);
		e->json = is_strdup(json);
		snprintf(e->sub, sizeof(e->sub), "%s", c->claims.sub);
		e->stamp = f->stamp;
		e->refreshing_until = 0;
		e->expires = kore_time_ms() + (u_int64_t)pf_conf.me_cache_ms;
	}
	is_reply_json(req, 200, json);
	OPENSSL_cleanse(json, strlen(json));
	cJSON_free(json);
	return (HTTP_STATE_COMPLETE);
}

/* Whole numbers do not stay in memory for students who went away. */
void
pf_me_cache_sweep(void *arg, u_int64_t now)
{
	struct me_entry	*e;
	int		 i;

	(void)arg;
	for (i = 0; i < ME_CACHE_SIZE; i++) {
		e = &me_cache[i];
		if (e->json == NULL || now < e->expires + 60000)
			continue;
		OPENSSL_cleanse(e->json, strlen(e->json));
		free(e->json);
		e->json = NULL;
	}
}

static struct http_state	me_states[] = {
	{ "ME_START", me_start },
	{ "ME_ANSWER", me_answer },
};

const struct is_endpoint	pf_section_endpoints[] = {
	{ .name = "me", .route = PF_PREFIX "me", .method = HTTP_METHOD_GET,
	  .roles = pf_students, IS_STATES(me_states) },
	{ .name = "section_get", .route = "^" PF_PREFIX "me/[a-z-]+$",
	  .method = HTTP_METHOD_GET, .roles = pf_students,
	  .check = section_known,
	  .sql = "SELECT profile.section_json($1::uuid, $2, true)",
	  .args = { IS_ARG_CALLER, IS_ARG_FN(arg_section) },
	  .reply = reply_section },
	{ .name = "section_put", .route = "^" PF_PREFIX "me/[a-z-]+$",
	  .method = HTTP_METHOD_PUT, .roles = pf_students,
	  .flags = IS_INPUT_OWN, .check = section_read,
	  .sql = "SELECT profile.put_section($1::uuid, $2, $3::int, "
	      "$4::jsonb, $5, $6)",
	  .args = { IS_ARG_CALLER, IS_ARG_FN(arg_section),
	      IS_ARG_FN(arg_if_match), IS_ARG_BODY, IS_ARG_REQUEST_ID,
	      IS_ARG_CLIENT },
	  .reply = reply_saved },
	IS_ENDPOINTS_END
};
