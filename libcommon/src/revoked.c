/*
 * The revoked-session set (revoked.h): open addressing with linear probing.
 * It only grows between prunes, and a prune rebuilds it, so no deletion
 * ever breaks a probe chain.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iscommon/revoked.h"

#define REVOKED_MIN_CAP		256

static uint64_t
sid_hash(const char *sid)
{
	uint64_t	h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *sid != '\0'; sid++) {
		h ^= (unsigned char)*sid;
		h *= 1099511628211ULL;
	}
	return (h);
}

static struct is_revoked_entry *
slot_of(const struct is_revoked *set, const char *sid)
{
	size_t	i = (size_t)sid_hash(sid) & (set->cap - 1);

	while (set->slots[i].until != 0 &&
	    strcmp(set->slots[i].sid, sid) != 0)
		i = (i + 1) & (set->cap - 1);
	return (&set->slots[i]);
}

/* A new table of cap slots holding the entries still due at now. */
static int
rebuild(struct is_revoked *set, size_t cap, time_t now)
{
	struct is_revoked	 next = { NULL, cap, 0 };
	struct is_revoked_entry	*e;
	size_t			 i;

	if ((next.slots = calloc(cap, sizeof(*next.slots))) == NULL)
		return (-1);
	for (i = 0; i < set->cap; i++) {
		if (set->slots[i].until == 0 || set->slots[i].until <= now)
			continue;
		e = slot_of(&next, set->slots[i].sid);
		*e = set->slots[i];
		next.used++;
	}
	free(set->slots);
	*set = next;
	return (0);
}

int
is_revoked_add(struct is_revoked *set, const char *sid, time_t until)
{
	struct is_revoked_entry	*e;
	size_t			 cap;

	if (sid[0] == '\0' || strlen(sid) >= IS_SID_MAX)
		return (0);
	/* At most half full, so probes stay short. */
	if (set->slots == NULL || (set->used + 1) * 2 > set->cap) {
		cap = set->cap < REVOKED_MIN_CAP ? REVOKED_MIN_CAP : set->cap;
		while ((set->used + 1) * 2 > cap)
			cap *= 2;
		if (rebuild(set, cap, 0) == -1)
			return (-1);
	}
	e = slot_of(set, sid);
	if (e->until == 0) {
		memcpy(e->sid, sid, strlen(sid) + 1);
		set->used++;
	}
	if (until > e->until)
		e->until = until;
	return (0);
}

int
is_revoked_has(const struct is_revoked *set, const char *sid, time_t now)
{
	const struct is_revoked_entry	*e;

	if (set->slots == NULL)
		return (0);
	e = slot_of(set, sid);
	return (e->until != 0 && e->until > now);
}

void
is_revoked_prune(struct is_revoked *set, time_t now)
{
	size_t	cap;

	if (set->slots == NULL)
		return;
	/* Shrinks when mostly empty; never below the minimum. */
	cap = set->cap;
	(void)rebuild(set, cap, now);
	while (cap > REVOKED_MIN_CAP && set->used * 8 < cap)
		cap /= 2;
	if (cap != set->cap)
		(void)rebuild(set, cap, now);
}

void
is_revoked_free(struct is_revoked *set)
{
	free(set->slots);
	set->slots = NULL;
	set->cap = set->used = 0;
}
