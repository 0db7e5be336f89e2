/*
 * CSV import requests (csvreq.c): a text/csv body parsed and validated
 * against its columns, kept as the request's "csv" part, and one per-row
 * report that merges the parser's rejections with the database's.
 */
#ifndef IS_CSVREQ_H
#define IS_CSVREQ_H

#include "ctx.h"

/* 0, or -1 when it has answered (415, 413, 400, 422 import-invalid). */
int		 is_read_csv(struct http_request *, struct is_ctx *,
		    const struct is_field *columns, size_t max);
/* The valid rows as JSON text, kept with the request. */
const char	*is_csv_rows_json(struct is_ctx *);
/* Answers the import: the database's counts, every rejection. */
int		 is_csv_reply(struct http_request *, struct is_ctx *);
/* Answers doc's "items" as a CSV attachment named filename: a line of
 * the column names, then a line per item (cells never formulas). Takes
 * doc. */
int		 is_csv_reply_items(struct http_request *, cJSON *doc,
		    const char *const *columns, const char *filename);

#endif
