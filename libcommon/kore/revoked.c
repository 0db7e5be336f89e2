/*
 * The revocation feed: every worker of every service asks auth, about
 * each second, which sessions were revoked since its last question
 * (auth.revocations, published by auth) and keeps them in memory; the
 * tokens of those sessions are refused (authn.c). A logout, a revoked
 * session or a password change so ends access everywhere within seconds,
 * without a database round trip per request.
 *
 * A revocation's time is its transaction's start, and it is seen only once
 * committed: each question reaches back a minute before the last answer,
 * and every half minute the whole token lifetime is asked for again, so a
 * revocation whose transaction ran long is still seen. A session is kept
 * as long as an access token of it can be valid: the token lifetime, the
 * verification leeway and a margin for the clocks of database and
 * services.
 *
 * If the feed has not answered for a while (the database unreachable, a
 * query hanging), revocations cannot be known: tokens are then refused
 * with 503 until it answers again (is_revocations_current).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "authn.h"
#include "service.h"
#include "iscommon/config.h"
#include "iscommon/log.h"
#include "iscommon/revoked.h"

#define FEED_OVERLAP_MS		60000
#define FEED_FULL_S		30
#define FEED_CLOCK_MARGIN_S	60
#define FEED_PRUNE_S		60

static struct {
	struct is_revoked	 set;
	long long		 since_ms;	/* 0: everything in the window */
	long			 window_s;
	long			 stale_s;	/* no answer for longer: stale */
	time_t			 answered;	/* 0: never yet */
	time_t			 full;		/* the last whole-window ask */
	time_t			 pruned;
	char			 since[24];
	char			 window[24];
} feed;

static int	feed_params(void *, const char **, int);
static void	feed_done(void *, const char *);

void
is_revocations_start(void)
{
	long	poll_ms;

	poll_ms = is_config_int("revocation.poll_ms", 1000);
	if (poll_ms < 100 || poll_ms > 10000)
		fatal("revocation.poll_ms: 100 to 10000, not %ld", poll_ms);
	feed.window_s = is_keys.ttl + is_keys.leeway + FEED_CLOCK_MARGIN_S;
	feed.stale_s = 5 + 3 * poll_ms / 1000;
	is_periodic_watch("revocations", "SELECT auth.revocations($1, $2)",
	    poll_ms, feed_params, feed_done, NULL);
}

int
is_revocations_current(void)
{
	return (feed.answered != 0 &&
	    time(NULL) - feed.answered <= feed.stale_s);
}

int
is_session_revoked(const char *sid)
{
	return (is_revoked_has(&feed.set, sid, time(NULL)));
}

static int
feed_params(void *arg, const char **values, int max)
{
	time_t	now = time(NULL);

	(void)arg;
	(void)max;
	if (now - feed.full >= FEED_FULL_S) {
		feed.since_ms = 0;
		feed.full = now;
	}
	snprintf(feed.since, sizeof(feed.since), "%lld", feed.since_ms);
	snprintf(feed.window, sizeof(feed.window), "%ld", feed.window_s);
	values[0] = feed.since;
	values[1] = feed.window;
	return (2);
}

static void
feed_done(void *arg, const char *value)
{
	cJSON		*doc, *until, *sessions, *sid;
	time_t		 now = time(NULL);
	int		 kept = 1;

	(void)arg;
	if (value == NULL || (doc = cJSON_Parse(value)) == NULL)
		return;
	until = cJSON_GetObjectItemCaseSensitive(doc, "until_ms");
	sessions = cJSON_GetObjectItemCaseSensitive(doc, "sessions");
	if (!cJSON_IsNumber(until) || !cJSON_IsArray(sessions)) {
		cJSON_Delete(doc);
		return;
	}
	cJSON_ArrayForEach(sid, sessions) {
		if (cJSON_IsString(sid) && is_revoked_add(&feed.set,
		    sid->valuestring, now + feed.window_s) == -1)
			kept = 0;
	}
	/* What could not be kept is asked for again; not current until. */
	if (kept) {
		feed.since_ms = (long long)until->valuedouble - FEED_OVERLAP_MS;
		feed.answered = now;
	} else
		is_log("error", NULL, "revocations: out of memory");
	cJSON_Delete(doc);
	if (now - feed.pruned >= FEED_PRUNE_S) {
		is_revoked_prune(&feed.set, now);
		feed.pruned = now;
	}
}
