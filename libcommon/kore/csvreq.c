/*
 * CSV import requests: read a text/csv body, parse and validate its rows
 * against a column spec, and answer with one per-row report that merges
 * the parser's rejections with the database's.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iskore.h"
#include "iscommon/csvimport.h"

struct csv_state {
	cJSON	*rows;
	cJSON	*rejected;
};

static void
csv_state_free(void *p)
{
	struct csv_state	*st = p;

	cJSON_Delete(st->rows);
	cJSON_Delete(st->rejected);
	free(st);
}

int
is_read_csv(struct http_request *req, struct is_ctx *c,
    const struct is_field *columns, size_t max)
{
	struct csv_state	*st;
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
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		free(raw);
		is_reply_problem(req, "internal", NULL);
		return (-1);
	}
	c->user = st;
	c->user_free = csv_state_free;
	rc = is_csv_import(raw, len, columns, &st->rows, &st->rejected, &why);
	free(raw);
	if (rc == -1) {
		is_reply_problem(req, "import-invalid", why);
		return (-1);
	}
	return (0);
}

/* The valid rows as JSON text (cJSON_free it). */
char *
is_csv_rows_json(struct is_ctx *c)
{
	struct csv_state	*st = c->user;

	return (cJSON_PrintUnformatted(st->rows));
}

/* Answers the import's outcome: the database's counts, all rejections. */
int
is_csv_reply(struct http_request *req, struct is_ctx *c)
{
	struct csv_state	*st = c->user;
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
