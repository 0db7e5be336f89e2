/*
 * Key rotation. profile.data_keys lists the keys, the first sealing: after
 * a new key is put first (and the service restarted), the first worker
 * seals every value under an older key again, a batch per run
 * (profile.reseal), until none is left; then it only looks again every
 * profile.reseal_idle_s. The database hands out the values and stores the
 * new ones where the old are still in place, so a student's save in
 * between, or a second instance doing the same, loses nothing.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "profile.h"
#include "iscommon/log.h"

#define SKIP_MAX	1000

static cJSON		*state;		/* {"done": [...], "skip": [...]} */
static char		*state_text;
static u_int64_t	 idle_until;
static int		 scanning;	/* the run under way reads rows */
static int		 announced;	/* "none left" was logged */

static int
reseal_params(void *arg, const char **values, int max)
{
	static char	limit[24];

	(void)arg;
	if (max < 4)
		return (0);
	snprintf(limit, sizeof(limit), "%ld", pf_conf.reseal_batch);
	free(state_text);
	state_text = cJSON_PrintUnformatted(state);
	scanning = kore_time_ms() >= idle_until;
	values[0] = pf_conf.keys.keys[0].kid;
	values[1] = state_text != NULL ? state_text : "{}";
	values[2] = limit;
	values[3] = scanning ? "t" : "f";
	return (4);
}

/* One value, opened with the key that sealed it and sealed with the
 * current one; 0 when it does not open (its key is no longer listed). */
static int
reseal_one(cJSON *item)
{
	const char	*old = is_json_str(item, "old");
	const char	*owner = is_json_str(item, "owner");
	char		 aad[64], *plain, *sealed;

	if (old == NULL || owner == NULL)
		return (0);
	snprintf(aad, sizeof(aad), "profile:%s", owner);
	if ((plain = is_unseal(&pf_conf.keys, old, aad)) == NULL)
		return (0);
	sealed = is_seal(&pf_conf.keys, plain, aad);
	OPENSSL_cleanse(plain, strlen(plain));
	free(plain);
	if (sealed == NULL)
		return (0);
	cJSON_AddStringToObject(item, "new", sealed);
	free(sealed);
	return (1);
}

static void
reseal_done(void *arg, const char *value)
{
	cJSON		*doc, *next, *item, *skip;
	long		 stored;
	int		 n = 0, failed = 0;

	(void)arg;
	if (value == NULL)		/* failed (logged): the same again */
		return;
	if ((doc = cJSON_Parse(value)) == NULL)
		return;
	if ((stored = is_json_int(doc, "resealed", 0)) > 0)
		is_log("info", NULL, "profile: %ld values sealed again under "
		    "key %s", stored, pf_conf.keys.keys[0].kid);
	/* What does not open is left out of the next batches (and logged
	 * once), so it never holds up the rest. */
	skip = cJSON_GetObjectItemCaseSensitive(state, "skip");
	next = cJSON_DetachItemFromObjectCaseSensitive(doc, "next");
	for (item = next != NULL ? next->child : NULL; item != NULL; ) {
		cJSON	*following = item->next;

		if (reseal_one(item))
			n++;
		else {
			failed++;
			if (cJSON_GetArraySize(skip) < SKIP_MAX)
				cJSON_AddItemToArray(skip, cJSON_CreateString(
				    is_json_str(item, "old")));
			cJSON_DetachItemViaPointer(next, item);
			cJSON_Delete(item);
		}
		item = following;
	}
	if (failed > 0)
		is_log("error", NULL, "profile: %d sealed values open with no "
		    "key of profile.data_keys (a key was dropped too soon?)",
		    failed);
	cJSON_ReplaceItemInObjectCaseSensitive(state, "done",
	    next != NULL ? next : cJSON_CreateArray());
	/* A scan that found nothing to do: look again later, not every run
	 * (a run that only stored does not count). */
	if (n > 0 || failed > 0) {
		announced = 0;
		idle_until = 0;
	} else if (scanning) {
		if (cJSON_GetArraySize(skip) == 0 && !announced)
			is_log("info", NULL, "profile: no value is sealed "
			    "under a key older than %s: the older keys may go",
			    pf_conf.keys.keys[0].kid);
		announced = cJSON_GetArraySize(skip) == 0;
		idle_until = kore_time_ms() +
		    (u_int64_t)pf_conf.reseal_idle_s * 1000;
	}
	cJSON_Delete(doc);
}

/* In the first worker, when there is more than one key. */
void
pf_reseal_start(void)
{
	if (pf_conf.keys.n < 2 || worker == NULL ||
	    worker->id != KORE_WORKER_BASE)
		return;
	state = cJSON_CreateObject();
	cJSON_AddItemToObject(state, "done", cJSON_CreateArray());
	cJSON_AddItemToObject(state, "skip", cJSON_CreateArray());
	is_log("info", NULL, "profile: values under keys older than %s are "
	    "sealed again (every %ld ms)", pf_conf.keys.keys[0].kid,
	    pf_conf.reseal_interval_ms);
	is_periodic_watch("reseal", "SELECT profile.reseal($1, $2::jsonb, "
	    "$3::int, $4::boolean)", pf_conf.reseal_interval_ms, reseal_params,
	    reseal_done, NULL);
}
