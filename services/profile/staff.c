/*
 * What staff do with profiles: find students in their scope, open one
 * student's profile (masked; whole values of a section only for the role
 * that needs them, audited), the passports, permits and policies about to
 * expire, the International Office's export and insurance import, a
 * student's change history, and finance's review of bank cards.
 */
#include <string.h>

#include "profile.h"
#include "csvreq.h"

#define LIMIT_RE	"^[1-9][0-9]{0,2}$"
#define OFFSET_RE	"^[0-9]{1,7}$"

static const char *const	finance[] = { "finance", NULL };
static const char *const	office[] = { "io", "admin", NULL };

static const char *const	degrees[] = { "bachelor", "master", "phd",
				    "non-degree", NULL };
static const char *const	revealable[] = { "bank-card", "passport",
				    "accommodation", NULL };
static const char *const	review_states[] = { "pending", "approved",
				    "rejected", "superseded", NULL };
static const char *const	decisions[] = { "approve", "reject", NULL };
static const char *const	insurance_states[] = { "premium-paid",
				    "policy-issued", NULL };

static const struct is_field	search_query[] = {
	{ "q", IS_F_STRING, 0, 1, 80, NULL, NULL },
	{ "school", IS_F_STRING, 0, 1, 80, NULL, NULL },
	{ "nationality", IS_F_STRING, 0, 1, 60, NULL, NULL },
	{ "degree", IS_F_STRING, 0, 0, 0, NULL, degrees },
	{ "cohort", IS_F_STRING, 0, 4, 4, "^(19|20|21)[0-9]{2}$", NULL },
	{ "limit", IS_F_STRING, 0, 0, 0, LIMIT_RE, NULL },
	{ "offset", IS_F_STRING, 0, 0, 0, OFFSET_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	student_query[] = {
	{ "reveal", IS_F_STRING, 0, 0, 0, NULL, revealable },
	IS_FIELDS_END
};

static const struct is_field	page_query[] = {
	{ "limit", IS_F_STRING, 0, 0, 0, LIMIT_RE, NULL },
	{ "offset", IS_F_STRING, 0, 0, 0, OFFSET_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	expiring_query[] = {
	{ "days", IS_F_STRING, 0, 0, 0, "^([0-9]{1,2}|[1-2][0-9]{2}|3[0-5][0-9]"
	    "|36[0-6])$", NULL },
	{ "limit", IS_F_STRING, 0, 0, 0, LIMIT_RE, NULL },
	{ "offset", IS_F_STRING, 0, 0, 0, OFFSET_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	reviews_query[] = {
	{ "state", IS_F_STRING, 0, 0, 0, NULL, review_states },
	{ "limit", IS_F_STRING, 0, 0, 0, LIMIT_RE, NULL },
	{ "offset", IS_F_STRING, 0, 0, 0, OFFSET_RE, NULL },
	IS_FIELDS_END
};

static const struct is_field	decision_spec[] = {
	{ "decision", IS_F_STRING, 1, 0, 0, NULL, decisions },
	{ "reason", IS_F_STRING, 0, 1, 500, NULL, NULL },
	IS_FIELDS_END
};

#define CSV_DATE_RE	"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

static const struct is_field	insurance_columns[] = {
	{ "student_id", IS_F_STRING, 1, 4, 20, "^[A-Za-z0-9]+$", NULL },
	{ "company", IS_F_STRING, 1, 1, 120, NULL, NULL },
	{ "policy_name", IS_F_STRING, 1, 1, 120, NULL, NULL },
	{ "policy_number", IS_F_STRING, 1, 1, 60, NULL, NULL },
	{ "valid_from", IS_F_STRING, 1, 10, 10, CSV_DATE_RE, NULL },
	{ "valid_to", IS_F_STRING, 1, 10, 10, CSV_DATE_RE, NULL },
	{ "amount", IS_F_STRING, 0, 1, 13, "^[0-9]{1,10}([.][0-9]{1,2})?$",
	    NULL },
	{ "effective_date", IS_F_STRING, 0, 10, 10, CSV_DATE_RE, NULL },
	{ "expiry_date", IS_F_STRING, 1, 10, 10, CSV_DATE_RE, NULL },
	{ "company_contact", IS_F_STRING, 0, 1, 120, NULL, NULL },
	{ "status", IS_F_STRING, 1, 0, 0, NULL, insurance_states },
	IS_FIELDS_END
};

/* A finance decision: the student's cached profile is stale. */
static int
reply_decision(struct http_request *req, struct is_ctx *c)
{
	cJSON	*doc;

	if ((doc = is_db_result(req, c)) == NULL)
		return (KORE_RESULT_OK);
	pf_changed(is_json_str(doc, "student_id"));
	return (is_reply_obj(req, 200, doc));
}

/* Insurance rows change students' profiles. */
static int
reply_import(struct http_request *req, struct is_ctx *c)
{
	pf_changed(NULL);
	return (is_csv_reply(req, c));
}

/* The export as CSV: the same masked values as every list (names and
 * addresses are the students' own text: never formulas). */
static int
reply_export(struct http_request *req, struct is_ctx *c)
{
	static const char *const cols[] = { "student_id", "family_name",
	    "given_name", "chinese_name", "school", "degree", "cohort",
	    "nationality", "passport_full_name", "passport_number",
	    "passport_expiry", "permit_number", "permit_expiry", "mobile",
	    "email", "bank_name", "bank_account", "off_campus", "hsk_level",
	    "missing", NULL };
	cJSON	*doc;

	if ((doc = is_db_result(req, c)) == NULL)
		return (KORE_RESULT_OK);
	return (is_csv_reply_items(req, doc, cols, "profiles.csv"));
}

const struct is_endpoint	pf_staff_endpoints[] = {
	{ .name = "students_find", .route = PF_PREFIX "students",
	  .method = HTTP_METHOD_GET, .roles = pf_staff, .query = search_query,
	  .sql = "SELECT profile.students_find($1::uuid, $2, $3, $4, $5, "
	      "$6::int, $7::int, $8::int)",
	  .args = { IS_ARG_CALLER, IS_ARG_FIELD("q"), IS_ARG_FIELD("school"),
	      IS_ARG_FIELD("nationality"), IS_ARG_FIELD("degree"),
	      IS_ARG_FIELD("cohort"), IS_ARG_LIMIT, IS_ARG_OFFSET } },
	{ .name = "student_profile", .route = "^" PF_PREFIX "students/[^/]+$",
	  .method = HTTP_METHOD_GET, .roles = pf_staff,
	  .path_prefix = PF_PREFIX "students/", .query = student_query,
	  .sql = "SELECT profile.student($1::uuid, $2::uuid, $3, $4, $5)",
	  .args = { IS_ARG_CALLER, IS_ARG_PATH_ID, IS_ARG_FIELD("reveal"),
	      IS_ARG_REQUEST_ID, IS_ARG_CLIENT },
	  .reply = pf_reply_opened },
	{ .name = "student_history",
	  .route = "^" PF_PREFIX "students/[^/]+/history$",
	  .method = HTTP_METHOD_GET, .roles = office,
	  .path_prefix = PF_PREFIX "students/", .query = page_query,
	  .sql = "SELECT profile.history($1::uuid, $2::uuid, $3::int, $4::int)",
	  .args = { IS_ARG_CALLER, IS_ARG_PATH_ID, IS_ARG_LIMIT,
	      IS_ARG_OFFSET } },
	{ .name = "expiring", .route = PF_PREFIX "expiring",
	  .method = HTTP_METHOD_GET, .roles = pf_staff,
	  .query = expiring_query,
	  .sql = "SELECT profile.expiring_json($1::uuid, "
	      "coalesce($2::int, 30), $3::int, $4::int)",
	  .args = { IS_ARG_CALLER, IS_ARG_FIELD("days"), IS_ARG_LIMIT,
	      IS_ARG_OFFSET } },
	{ .name = "export", .route = PF_PREFIX "export",
	  .method = HTTP_METHOD_GET, .roles = office,
	  .sql = "SELECT profile.export($1::uuid, $2, $3)",
	  .args = { IS_ARG_CALLER, IS_ARG_REQUEST_ID, IS_ARG_CLIENT },
	  .reply = reply_export },
	{ .name = "insurance_import", .route = PF_PREFIX "insurance/import",
	  .method = HTTP_METHOD_POST, .roles = office,
	  .csv = insurance_columns,
	  .sql = "SELECT profile.import_insurance($1::uuid, $2::jsonb, $3, $4)",
	  .args = { IS_ARG_CALLER, IS_ARG_CSV_ROWS, IS_ARG_REQUEST_ID,
	      IS_ARG_CLIENT },
	  .reply = reply_import },
	{ .name = "bank_reviews", .route = PF_PREFIX "bank-reviews",
	  .method = HTTP_METHOD_GET, .roles = finance, .query = reviews_query,
	  .sql = "SELECT profile.bank_reviews($1::uuid, $2, $3::int, $4::int)",
	  .args = { IS_ARG_CALLER, IS_ARG_FIELD("state"), IS_ARG_LIMIT,
	      IS_ARG_OFFSET } },
	{ .name = "bank_review", .route = "^" PF_PREFIX "bank-reviews/[^/]+$",
	  .method = HTTP_METHOD_GET, .roles = finance,
	  .path_prefix = PF_PREFIX "bank-reviews/",
	  .sql = "SELECT profile.bank_review($1::uuid, $2::uuid, $3, $4)",
	  .args = { IS_ARG_CALLER, IS_ARG_PATH_ID, IS_ARG_REQUEST_ID,
	      IS_ARG_CLIENT },
	  .reply = pf_reply_opened },
	{ .name = "bank_decide",
	  .route = "^" PF_PREFIX "bank-reviews/[^/]+/decision$",
	  .method = HTTP_METHOD_POST, .roles = finance,
	  .path_prefix = PF_PREFIX "bank-reviews/", .body = decision_spec,
	  .sql = "SELECT profile.bank_decide($1::uuid, $2::uuid, $3, $4, $5, "
	      "$6)",
	  .args = { IS_ARG_CALLER, IS_ARG_PATH_ID, IS_ARG_FIELD("decision"),
	      IS_ARG_FIELD("reason"), IS_ARG_REQUEST_ID, IS_ARG_CLIENT },
	  .reply = reply_decision },
	IS_ENDPOINTS_END
};
