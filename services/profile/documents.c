/*
 * Documents: POST /documents?kind=... with the file as the body, and
 * GET /documents/{id}. The type is what libmagic finds in the content,
 * never the name or the Content-Type sent; each kind has its types and its
 * size. Typing, hashing and the store's file I/O run in a Kore task, off
 * the event loop. A document is answered only to its owner and to staff
 * in scope (the database decides, and audits staff reads), always as an
 * attachment that browsers do not sniff.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "profile.h"
#include "task.h"
#include "iscommon/crypto.h"
#include "iscommon/log.h"
#include "iscommon/strutil.h"

/*
 * What a task works on. It lives in the request, which Kore keeps while
 * its task runs; the part is not freed before the task said it is done
 * with it (busy), even when the client has gone.
 */
struct doc_job {
	int			 busy;
	const struct pf_doc_kind *kind;
	char			*data;
	size_t			 len;
	char			 key[40];
	int			 verdict;	/* pf_doc_check's */
	const char		*type;
	char			 found[128];
	char			 sha256[65];
	int			 done;		/* stored, read or deleted */
	int			 stored;	/* a file is under key */
	int			 recording;	/* ...and its row may be saved */
	char			 ctype[64];
	char			 disposition[96];
};

static int
job_release(void *arg)
{
	struct doc_job	*j = arg;

	if (__atomic_load_n(&j->busy, __ATOMIC_ACQUIRE))
		return (IS_RELEASE_LATER);
	/*
	 * The client went away after the file was stored and before its row
	 * was asked for (Kore runs no more states then): the file goes now,
	 * rather than stay unlisted. Once the row may be saved the file
	 * stays: an unlisted file is harmless, a row without one is not.
	 * Rare; one unlink.
	 */
	if (j->stored && !j->recording && pf_store.del(&pf_store, j->key) == -1)
		is_log("error", NULL, "document store: %s is left without a "
		    "record", j->key);
	free(j->data);
	j->data = NULL;
	return (IS_RELEASED);
}

static const struct is_part	job_part = { "document",
				    sizeof(struct doc_job), job_release };

/* The job the task was given, by address (same process). */
static struct doc_job *
task_job(struct kore_task *t)
{
	struct doc_job	*j = NULL;

	if (kore_task_channel_read(t, &j, sizeof(j)) != sizeof(j))
		return (NULL);
	return (j);
}

/* Leaves the job: after this the request may free it. */
static int
task_end(struct kore_task *t, struct doc_job *j, int done)
{
	j->done = done;
	__atomic_store_n(&j->busy, 0, __ATOMIC_RELEASE);
	kore_task_channel_write(t, "1", 1);
	return (KORE_RESULT_OK);
}

static int
task_store(struct kore_task *t)
{
	struct doc_job	*j;

	if ((j = task_job(t)) == NULL)
		return (KORE_RESULT_ERROR);
	j->verdict = pf_doc_check(j->kind, j->data, j->len, &j->type,
	    j->found, sizeof(j->found));
	if (j->verdict != 0)
		return (task_end(t, j, 0));
	is_sha256_hex(j->data, j->len, j->sha256);
	j->stored = pf_store.put(&pf_store, j->key, j->data, j->len) == 0;
	return (task_end(t, j, j->stored));
}

static int
task_read(struct kore_task *t)
{
	struct doc_job	*j;
	void		*data = NULL;

	if ((j = task_job(t)) == NULL)
		return (KORE_RESULT_ERROR);
	if (pf_store.get(&pf_store, j->key, &data, &j->len) == -1)
		return (task_end(t, j, 0));
	j->data = data;
	return (task_end(t, j, 1));
}

static int
task_delete(struct kore_task *t)
{
	struct doc_job	*j;

	if ((j = task_job(t)) == NULL)
		return (KORE_RESULT_ERROR);
	if (pf_store.del(&pf_store, j->key) == 0)
		j->stored = 0;
	return (task_end(t, j, !j->stored));
}

static void
job_begin(struct http_request *req, struct is_ctx *c, struct doc_job *j,
    int (*fn)(struct kore_task *))
{
	j->busy = 1;
	is_task_begin(req, c, fn, &j, sizeof(j));
}

/* ------------------------------------------------------------------ */
/* POST /documents?kind=... */

static const char *const	kinds[] = { "photo", "passport-page",
				    "permit-page", "entry-stamp", "debit-card",
				    "rental-contract", "hsk-certificate",
				    NULL };

static const struct is_field	upload_query[] = {
	{ "kind", IS_F_STRING, 1, 0, 0, NULL, kinds },
	IS_FIELDS_END
};

enum { UP_READ, UP_ALLOWED, UP_STORED, UP_ANSWER, UP_UNDONE };

static int
up_read(struct http_request *req)
{
	struct is_ctx		*c = is_ctx_get(req);
	struct doc_job		*j;
	unsigned char		 rnd[16];
	char			 detail[96], max[24];
	size_t			 i;
	int			 rc;

	if (is_read_query(req, c, upload_query) == -1)
		return (HTTP_STATE_COMPLETE);
	j = is_ctx_part(c, &job_part);
	j->kind = pf_doc_kind(is_json_str(c->body, "kind"));
	rc = is_read_raw(req, &j->data, &j->len, j->kind->max_bytes);
	if (rc == -2) {
		snprintf(detail, sizeof(detail), "a %s is at most %zu KiB",
		    j->kind->name, j->kind->max_bytes / 1024);
		is_reply_problem(req, "payload-too-large", detail);
		return (HTTP_STATE_COMPLETE);
	}
	if (rc != 0 || j->len == 0) {
		is_reply_problem(req, "bad-request", "send the file as the "
		    "request body");
		return (HTTP_STATE_COMPLETE);
	}
	/* Where it is stored: random, never derived from what was sent. */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(j->key + i * 2, 3, "%02x", rnd[i]);
	/* Counted before anything is written. */
	snprintf(max, sizeof(max), "%ld", pf_conf.upload_daily_max);
	is_db_begin(req, c, "SELECT profile.upload_allowed($1::uuid, $2::int)",
	    2, (const char *[]){ c->claims.sub, max });
	req->fsm_state = UP_ALLOWED;
	return (HTTP_STATE_CONTINUE);
}

static int
up_allowed(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	struct doc_job	*j = is_ctx_part(c, &job_part);
	cJSON		*doc;

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if ((doc = is_db_result(req, c)) == NULL)
		return (HTTP_STATE_COMPLETE);
	cJSON_Delete(doc);
	job_begin(req, c, j, task_store);
	req->fsm_state = UP_STORED;
	return (HTTP_STATE_CONTINUE);
}

static int
up_stored(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	struct doc_job	*j = is_ctx_part(c, &job_part);
	const char	*out;
	char		 detail[200], size[24], max[24];
	size_t		 n;
	int		 rc, i;

	if ((rc = is_task_wait(req, c, &out)) != 0)
		return (rc);
	if (j->verdict != 0) {
		n = (size_t)snprintf(detail, sizeof(detail), "this file is "
		    "%s; a %s must be", j->found[0] != '\0' ? j->found :
		    "of no known type", j->kind->name);
		for (i = 0; j->kind->types[i] != NULL &&
		    n < sizeof(detail); i++)
			n += (size_t)snprintf(detail + n, sizeof(detail) - n,
			    "%s%s", i == 0 ? " " : " or ", j->kind->types[i]);
		is_reply_problem(req, "unsupported-media-type", detail);
		return (HTTP_STATE_COMPLETE);
	}
	if (!j->done) {
		is_log("error", c->request_id, "document store: put failed");
		is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	free(j->data);
	j->data = NULL;
	snprintf(size, sizeof(size), "%zu", j->len);
	snprintf(max, sizeof(max), "%ld", pf_conf.upload_daily_max);
	j->recording = 1;
	is_db_begin(req, c, "SELECT profile.document_add($1::uuid, $2, $3, "
	    "$4::bigint, $5, $6, $7::int, $8, $9)", 9, (const char *[]){
	    c->claims.sub, j->kind->name, j->type, size, j->sha256, j->key,
	    max, c->request_id, is_client_type(req) });
	req->fsm_state = UP_ANSWER;
	return (HTTP_STATE_CONTINUE);
}

static int
up_answer(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	struct doc_job	*j = is_ctx_part(c, &job_part);

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if (is_db_state(c) == IS_DONE && is_db_refusal(c) == NULL) {
		pf_changed(c->claims.sub);
		is_db_reply(req, c, 201);
		return (HTTP_STATE_COMPLETE);
	}
	/* Not recorded: the stored file goes. */
	j->recording = 0;
	job_begin(req, c, j, task_delete);
	req->fsm_state = UP_UNDONE;
	return (HTTP_STATE_CONTINUE);
}

static int
up_undone(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	struct doc_job	*j = is_ctx_part(c, &job_part);
	const char	*out;
	int		 rc;

	if ((rc = is_task_wait(req, c, &out)) != 0)
		return (rc);
	if (!j->done)
		is_log("error", c->request_id, "document store: %s is left "
		    "without a record", j->key);
	is_db_reply(req, c, 201);
	return (HTTP_STATE_COMPLETE);
}

static struct http_state	upload_states[] = {
	{ "UP_READ", up_read },
	{ "UP_ALLOWED", up_allowed },
	{ "UP_STORED", up_stored },
	{ "UP_ANSWER", up_answer },
	{ "UP_UNDONE", up_undone },
};

/* ------------------------------------------------------------------ */
/* GET /documents/{id} */

enum { GET_FIND, GET_READ, GET_SEND };

static int
get_find(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	char		 id[40];

	if (is_path_tail(req, PF_PREFIX "documents/", id, sizeof(id)) == -1 ||
	    !is_uuid_valid(id)) {
		is_reply_problem(req, "not-found", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	is_db_begin(req, c, "SELECT profile.document_get($1::uuid, $2::uuid, "
	    "$3, $4)", 4, (const char *[]){ c->claims.sub, id, c->request_id,
	    is_client_type(req) });
	req->fsm_state = GET_READ;
	return (HTTP_STATE_CONTINUE);
}

static int
get_read(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	struct doc_job	*j;
	cJSON		*doc;
	const char	*ext;

	if (is_db_poll(req, c) == IS_PENDING)
		return (HTTP_STATE_RETRY);
	if ((doc = is_db_result(req, c)) == NULL)
		return (HTTP_STATE_COMPLETE);
	j = is_ctx_part(c, &job_part);
	snprintf(j->key, sizeof(j->key), "%s", is_json_str(doc,
	    "storage_key"));
	snprintf(j->ctype, sizeof(j->ctype), "%s", is_json_str(doc,
	    "content_type"));
	ext = strcmp(j->ctype, "application/pdf") == 0 ? "pdf" :
	    strcmp(j->ctype, "image/png") == 0 ? "png" : "jpg";
	snprintf(j->disposition, sizeof(j->disposition), "attachment; "
	    "filename=\"%s-v%ld.%s\"", is_json_str(doc, "kind"),
	    is_json_int(doc, "version", 0), ext);
	snprintf(j->sha256, sizeof(j->sha256), "%s", is_json_str(doc,
	    "sha256"));
	cJSON_Delete(doc);
	job_begin(req, c, j, task_read);
	req->fsm_state = GET_SEND;
	return (HTTP_STATE_CONTINUE);
}

static int
get_send(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);
	struct doc_job	*j = is_ctx_part(c, &job_part);
	const char	*out;
	int		 rc;

	if ((rc = is_task_wait(req, c, &out)) != 0)
		return (rc);
	if (!j->done) {
		is_log("error", c->request_id, "document store: %s does not "
		    "read", j->key);
		is_reply_problem(req, "internal", NULL);
		return (HTTP_STATE_COMPLETE);
	}
	http_response_header(req, "x-content-type-options", "nosniff");
	http_response_header(req, "content-disposition", j->disposition);
	http_response_header(req, "content-security-policy", "sandbox");
	is_reply_cache_control(req, "private, no-store");
	is_reply_text(req, 200, j->ctype, j->data, j->len);
	return (HTTP_STATE_COMPLETE);
}

static struct http_state	get_states[] = {
	{ "GET_FIND", get_find },
	{ "GET_READ", get_read },
	{ "GET_SEND", get_send },
};

const struct is_endpoint	pf_document_endpoints[] = {
	{ .name = "document_upload", .route = PF_PREFIX "documents",
	  .method = HTTP_METHOD_POST, .roles = pf_students,
	  .flags = IS_INPUT_OWN, IS_STATES(upload_states) },
	{ .name = "document_get", .route = "^" PF_PREFIX "documents/[^/]+$",
	  .method = HTTP_METHOD_GET, IS_STATES(get_states) },
	IS_ENDPOINTS_END
};
