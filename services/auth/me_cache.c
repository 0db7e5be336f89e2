/*
 * GET /me is the most frequent call of every client. Its answer is cached
 * per worker, keyed by session, stamped with the account's change
 * generation (libcommon generation.c): any handler that changes an account,
 * a session or a binding bumps it, so every worker of this instance sees the
 * change at once. A short TTL (auth.me_cache_ms) bounds staleness from other
 * writers (another auth instance, is-admin). When only the TTL ran out, one
 * request refreshes the entry while the others are still answered from it,
 * so an expiry never sends every concurrent caller to the database at once.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "routes.h"
#include "iscommon/config.h"
#include "iscommon/generation.h"
#include "iscommon/strutil.h"

#define ME_CACHE_SIZE	8192

struct me_entry {
	char			 sid[64];
	char			 sub[64];
	struct is_gen_stamp	 stamp;
	u_int64_t		 expires;
	u_int64_t		 refreshing_until;
	char			*json;
};

static struct me_entry	me_cache[ME_CACHE_SIZE];

static struct me_entry *
slot(const char *sid)
{
	return (&me_cache[is_str_hash(sid) % ME_CACHE_SIZE]);
}

const char *
auth_me_cached(const struct is_claims *c)
{
	struct me_entry	*e = slot(c->sid);
	u_int64_t	 now;

	if (e->json == NULL || strcmp(e->sid, c->sid) != 0 ||
	    strcmp(e->sub, c->sub) != 0 || !is_gen_current(c->sub, &e->stamp))
		return (NULL);
	now = kore_time_ms();
	if (now <= e->expires)
		return (e->json);
	/* Expired by age only: this caller refreshes, the others wait not. */
	if (now > e->refreshing_until) {
		e->refreshing_until = now + 1000;
		return (NULL);
	}
	return (e->json);
}

/* stamp was taken before the query, so a change during it is not lost. */
void
auth_me_store(const struct is_claims *c, const struct is_gen_stamp *stamp,
    const char *json)
{
	struct me_entry	*e = slot(c->sid);

	if (strlen(c->sid) >= sizeof(e->sid) ||
	    strlen(c->sub) >= sizeof(e->sub))
		return;
	free(e->json);
	e->json = is_strdup(json);
	snprintf(e->sid, sizeof(e->sid), "%s", c->sid);
	snprintf(e->sub, sizeof(e->sub), "%s", c->sub);
	e->stamp = *stamp;
	e->refreshing_until = 0;
	e->expires = kore_time_ms() +
	    (u_int64_t)is_config_int("auth.me_cache_ms", 2000);
}

void
auth_changed(const char *sub)
{
	if (sub != NULL && *sub != '\0')
		is_gen_bump(sub);
	else
		is_gen_bump_all();
}
