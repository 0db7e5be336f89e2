/*
 * Micro-batching of small writes that arrive in bursts (the check-ins at the
 * start of every class). Each request queues one JSON item and sleeps; the
 * worker sends everything queued as one statement, "SELECT idx, result
 * FROM fn($1::jsonb)", whose parameter is the array of items, each with its
 * index "i" added. One statement and one commit then carry many items: the
 * per-statement executor start-up and the WAL flush are paid once.
 *
 * No batch waits to fill up: it leaves as soon as one of the batcher's own
 * connections is free, and what arrives meanwhile waits for the next one.
 * A lone request goes out at once; under load batches grow by themselves.
 * Nothing is answered before its batch has committed.
 *
 * Kore calls back while it still holds the query object, so a slot is only
 * reused from a handler (batch_kick from is_batch_poll), never from inside
 * a callback: the first waiting request is woken to start the next batch.
 *
 * When the server drops a connection in the middle of a query (EPOLLHUP),
 * Kore tears the connection down and marks the query failed without
 * calling back: a timer finds such a slot and fails its batch, whose
 * requests then fall back to their own queries.
 */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "batch.h"
#include "service.h"
#include "iscommon/log.h"
#include "iscommon/metrics.h"
#include "iscommon/strutil.h"

struct batch_slot;

/* A request's item: the request's "batch" part (ctx.h). */
struct batch_item {
	struct is_ctx		*ctx;
	struct is_batch		*batch;
	struct batch_slot	*slot;		/* in flight there */
	int			 index;
	int			 state;
	int			 queued;
	cJSON			*json;
	char			*result;
	TAILQ_ENTRY(batch_item)	 link;
};

struct batch_slot {
	struct is_batch		*batch;
	struct kore_pgsql	 sql;
	int			 busy;
	int			 failed;
	int			 n;
	struct batch_item	**items;
};

struct is_batch {
	char			*dbname;
	char			*query;
	int			 max_items;
	int			 nslots;
	struct batch_slot	*slots;
	TAILQ_HEAD(, batch_item) pending;
};

static int	batch_release(void *);
static void	batch_kick(struct is_batch *);
static void	batch_start(struct is_batch *, struct batch_slot *);
static void	batch_callback(struct kore_pgsql *, void *);
static void	batch_read(struct batch_slot *);
static void	batch_finish(struct batch_slot *);
static void	batch_watch(void *, u_int64_t);

static const struct is_part	batch_part = { "batch",
				    sizeof(struct batch_item), batch_release };

/* How often a batcher looks for slots whose connection was torn down. */
#define BATCH_WATCH_MS	250

struct is_batch *
is_batch_new(const char *dbname, const char *query, int max_items,
    int connections)
{
	struct is_batch	*b;
	u_int16_t	 pool;
	int		 i;

	b = kore_calloc(1, sizeof(*b));
	b->dbname = kore_strdup(dbname);
	b->query = kore_strdup(query);
	b->max_items = max_items > 0 ? max_items : 1;
	b->nslots = connections > 0 ? connections : 1;
	b->slots = kore_calloc((size_t)b->nslots, sizeof(*b->slots));
	for (i = 0; i < b->nslots; i++) {
		b->slots[i].batch = b;
		b->slots[i].items = kore_calloc((size_t)b->max_items,
		    sizeof(struct batch_item *));
	}
	TAILQ_INIT(&b->pending);

	/*
	 * Its own pool, one connection per slot: Kore then never has to
	 * queue a batch, and request queries keep their own pool.
	 */
	pool = pgsql_conn_max;
	pgsql_conn_max = (u_int16_t)b->nslots;
	if (!kore_pgsql_register(dbname, is_service_conninfo()))
		fatal("is_batch_new: cannot register %s", dbname);
	pgsql_conn_max = pool;
	is_db_warm(dbname, b->nslots);
	kore_timer_add(batch_watch, BATCH_WATCH_MS, b, 0);
	return (b);
}

/* Fails the batch of a slot whose connection Kore dropped under it. */
static void
batch_watch(void *arg, u_int64_t now)
{
	struct is_batch		*b = arg;
	struct batch_slot	*s;
	int			 i;

	(void)now;
	for (i = 0; i < b->nslots; i++) {
		s = &b->slots[i];
		if (!s->busy || s->sql.conn != NULL ||
		    s->sql.state != KORE_PGSQL_STATE_ERROR)
			continue;
		is_log("error", NULL, "batch: connection lost: %s",
		    s->sql.error ? s->sql.error : "unknown");
		s->failed = 1;
		kore_pgsql_cleanup(&s->sql);
		batch_finish(s);
	}
}

/* Queues json (owned by the batch from now on) for c's request. */
void
is_batch_submit(struct is_batch *b, struct is_ctx *c, cJSON *json)
{
	struct batch_item	*it = is_ctx_part(c, &batch_part);

	batch_release(it);
	it->ctx = c;
	it->batch = b;
	it->json = json;
	it->state = IS_PENDING;
	it->queued = 1;
	TAILQ_INSERT_TAIL(&b->pending, it, link);
}

/*
 * IS_PENDING while the item waits; IS_DONE once its batch committed, with
 * the item's result as the request's query value (is_db_value: NULL when
 * the statement returned none for it); IS_FAILED when the batch failed.
 */
int
is_batch_poll(struct http_request *req, struct is_ctx *c)
{
	struct batch_item	*it = is_ctx_part(c, &batch_part);

	if (it->state != IS_PENDING)
		return (it->state);
	if (it->queued)
		batch_kick(it->batch);
	if (it->state == IS_PENDING)
		http_request_sleep(req);
	return (it->state);
}

/* The item is going away (its request ended): forget it. */
static int
batch_release(void *arg)
{
	struct batch_item	*it = arg;

	if (it->queued) {
		TAILQ_REMOVE(&it->batch->pending, it, link);
		it->queued = 0;
	}
	if (it->slot != NULL) {
		it->slot->items[it->index] = NULL;
		it->slot = NULL;
	}
	cJSON_Delete(it->json);
	it->json = NULL;
	free(it->result);
	it->result = NULL;
	return (IS_RELEASED);
}

static void
batch_kick(struct is_batch *b)
{
	int	i;

	for (i = 0; i < b->nslots && !TAILQ_EMPTY(&b->pending); i++) {
		if (!b->slots[i].busy)
			batch_start(b, &b->slots[i]);
	}
}

static void
batch_start(struct is_batch *b, struct batch_slot *s)
{
	struct is_buf		 param;
	struct batch_item	*it;
	char			*text;
	const char	*values[1];
	int		 lengths[1], formats[1] = { 0 };

	is_buf_init(&param);
	is_buf_append(&param, "[", 1);
	s->n = 0;
	s->failed = 0;
	while (s->n < b->max_items && (it = TAILQ_FIRST(&b->pending)) != NULL) {
		TAILQ_REMOVE(&b->pending, it, link);
		it->queued = 0;
		it->slot = s;
		it->index = s->n;
		s->items[s->n] = it;
		cJSON_DeleteItemFromObject(it->json, "i");
		cJSON_AddNumberToObject(it->json, "i", s->n);
		text = cJSON_PrintUnformatted(it->json);
		if (s->n > 0)
			is_buf_append(&param, ",", 1);
		is_buf_append(&param, text, strlen(text));
		cJSON_free(text);
		s->n++;
	}
	is_buf_append(&param, "]", 1);
	s->busy = 1;
	is_metrics_batch(s->n);

	kore_pgsql_init(&s->sql);
	kore_pgsql_bind_callback(&s->sql, batch_callback, s);
	values[0] = param.data;
	lengths[0] = (int)param.len;
	if (kore_pgsql_setup(&s->sql, b->dbname, KORE_PGSQL_ASYNC))
		is_db_check_idle(&s->sql);
	if (s->sql.conn == NULL || !kore_pgsql_query_param_fields(&s->sql,
	    b->query, 0, 1, values, lengths, formats)) {
		is_log("error", NULL, "batch: %s",
		    s->sql.error ? s->sql.error : "no connection");
		s->failed = 1;
		is_db_cleanup(&s->sql);
		/* cleanup did not call back if it never had a connection. */
		if (s->busy)
			batch_finish(s);
	}
	is_buf_free(&param);
}

static void
batch_callback(struct kore_pgsql *sql, void *arg)
{
	struct batch_slot	*s = arg;

	switch (sql->state) {
	case KORE_PGSQL_STATE_RESULT:
		batch_read(s);
		kore_pgsql_continue(sql);
		break;
	case KORE_PGSQL_STATE_DONE:
		/* Releases the connection and calls back with COMPLETE. */
		kore_pgsql_continue(sql);
		break;
	case KORE_PGSQL_STATE_ERROR:
		is_log("error", NULL, "batch: %s",
		    sql->error ? sql->error : "unknown");
		s->failed = 1;
		is_db_cleanup(sql);
		break;
	case KORE_PGSQL_STATE_COMPLETE:
		if (s->busy)
			batch_finish(s);
		break;
	default:
		break;
	}
}

static void
batch_read(struct batch_slot *s)
{
	struct batch_item	*it;
	int			 row, rows, idx;

	rows = kore_pgsql_ntuples(&s->sql);
	if (kore_pgsql_nfields(&s->sql) < 2)
		return;
	for (row = 0; row < rows; row++) {
		idx = atoi(kore_pgsql_getvalue(&s->sql, row, 0));
		if (idx < 0 || idx >= s->n || (it = s->items[idx]) == NULL ||
		    it->result != NULL || PQgetisnull(s->sql.result, row, 1))
			continue;
		it->result = is_strdup(kore_pgsql_getvalue(&s->sql, row, 1));
	}
}

/* Hands each item its outcome and wakes its request. */
static void
batch_finish(struct batch_slot *s)
{
	struct batch_item	*it;
	int			 i;

	for (i = 0; i < s->n; i++) {
		if ((it = s->items[i]) == NULL)
			continue;
		s->items[i] = NULL;
		it->slot = NULL;
		it->state = s->failed ? IS_FAILED : IS_DONE;
		is_db_set_result(it->ctx, s->failed ? NULL : it->result,
		    it->state);
		http_request_wakeup(it->ctx->req);
	}
	s->n = 0;
	s->busy = 0;
	/* The next batch is started from a handler, not from here. */
	if ((it = TAILQ_FIRST(&s->batch->pending)) != NULL)
		http_request_wakeup(it->ctx->req);
}
