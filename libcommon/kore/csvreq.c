/*
 * CSV import requests: read a text/csv body, parse and validate its rows
 * against a column spec, and answer with one per-row report that merges
 * the parser's rejections with the database's.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csvreq.h"
#include "db.h"
#include "reply.h"
#include "iscommon/csvexport.h"
#include "iscommon/csvimport.h"

struct csv_state {
	cJSON	*rows;
	cJSON	*rejected;
};

static int
csv_release(void *p)
{
	struct csv_state	*st = p;

	cJSON_Delete(st->rows);
	cJSON_Delete(st->rejected);
	st->rows = st->rejected = NULL;
	return (IS_RELEASED);
}

static const struct is_part	csv_part = { "csv", sizeof(struct csv_state),
				    csv_release };

int
is_read_csv(struct http_request *req, struct is_ctx *c,
    const struct is_field *columns, size_t max)
{
	struct csv_state	*st = is_ctx_part(c, &csv_part);
	const char		*ctype, *why;
	char			*raw;
	size_t			 len;
	int			 rc;

	if (!http_request_header(req, "content-type", &ctype) ||
	    strncasecmp(ctype, "text/csv", 8) != 0) {
		is_reply_problem(req, "unsupported-media-type", "send text/csv");
		return (-1);
	}
	rc = is_read_raw(req, &raw, &len, max);
	if (rc == -2) {
		is_reply_problem(req, "payload-too-large", NULL);
		return (-1);
	}
	if (rc == -1) {
		is_reply_problem(req, "bad-request", NULL);
		return (-1);
	}
	csv_release(st);
	rc = is_csv_import(raw, len, columns, &st->rows, &st->rejected, &why);
	free(raw);
	if (rc == -1) {
		is_reply_problem(req, "import-invalid", why);
		return (-1);
	}
	return (0);
}

const char *
is_csv_rows_json(struct is_ctx *c)
{
	struct csv_state	*st = is_ctx_part(c, &csv_part);
	char			*json;
	const char		*kept;

	json = cJSON_PrintUnformatted(st->rows);
	kept = is_ctx_keep(c, json);
	cJSON_free(json);
	return (kept);
}

int
is_csv_reply(struct http_request *req, struct is_ctx *c)
{
	struct csv_state	*st = is_ctx_part(c, &csv_part);
	cJSON			*doc, *dbrej, *item;

	if ((doc = is_db_result(req, c)) == NULL)
		return (KORE_RESULT_OK);
	dbrej = cJSON_DetachItemFromObject(doc, "rejected");
	while (dbrej != NULL && cJSON_GetArraySize(dbrej) > 0) {
		item = cJSON_DetachItemFromArray(dbrej, 0);
		cJSON_AddItemToArray(st->rejected, item);
	}
	cJSON_Delete(dbrej);
	cJSON_AddItemToObject(doc, "rejected", st->rejected);
	st->rejected = NULL;
	return (is_reply_obj(req, 200, doc));
}

int
is_csv_reply_items(struct http_request *req, cJSON *doc,
    const char *const *cols, const char *filename)
{
	const cJSON	*item;
	struct is_buf	 b;
	char		 disp[160];
	int		 i, rc, bad = 0;

	is_buf_init(&b);
	/* The names are ours: plain words, no quoting. */
	for (i = 0; cols[i] != NULL; i++) {
		bad |= is_buf_append(&b, cols[i], strlen(cols[i])) == -1;
		bad |= is_buf_append(&b, cols[i + 1] ? "," : "\r\n",
		    cols[i + 1] ? 1 : 2) == -1;
	}
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(doc, "items")) {
		for (i = 0; cols[i] != NULL; i++)
			bad |= is_csv_value(&b, cJSON_GetObjectItem(item,
			    cols[i]), cols[i + 1] == NULL) == -1;
	}
	if (bad) {
		rc = is_reply_problem(req, "internal", NULL);
	} else {
		snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"",
		    filename);
		http_response_header(req, "content-disposition", disp);
		rc = is_reply_text(req, 200, "text/csv; charset=utf-8", b.data,
		    b.len);
	}
	is_buf_free(&b);
	cJSON_Delete(doc);
	return (rc);
}
