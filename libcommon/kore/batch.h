/*
 * Micro-batched writes (batch.c): many requests' small writes that arrive
 * together go out as one statement and one commit.
 */
#ifndef IS_BATCH_H
#define IS_BATCH_H

#include <cjson/cJSON.h>

#include "ctx.h"
#include "db.h"

struct is_batch;

/* A batcher running query ("SELECT idx, result FROM fn($1::jsonb)") on
 * connections of its own registered as dbname. */
struct is_batch	*is_batch_new(const char *dbname, const char *query,
		    int max_items, int connections);
/* Queues json (the batch owns it) for c's request. */
void		 is_batch_submit(struct is_batch *, struct is_ctx *, cJSON *);
/* IS_PENDING, IS_DONE (the item's result is is_db_value) or IS_FAILED. */
int		 is_batch_poll(struct http_request *, struct is_ctx *);

#endif
