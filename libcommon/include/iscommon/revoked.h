/*
 * A set of revoked session ids, each kept until no access token of its
 * session can still be valid (then it is forgotten). Each worker of each
 * service holds one, filled by the revocation feed (kore/revoked.c), and
 * refuses the tokens of the sessions in it.
 */
#ifndef ISCOMMON_REVOKED_H
#define ISCOMMON_REVOKED_H

#include <time.h>

#define IS_SID_MAX	64

struct is_revoked_entry {
	char	sid[IS_SID_MAX];
	time_t	until;			/* 0: a free slot */
};

struct is_revoked {
	struct is_revoked_entry	*slots;
	size_t			 cap;		/* a power of two */
	size_t			 used;
};

/* Adds sid, kept until "until"; 0, or -1 when out of memory. */
int	is_revoked_add(struct is_revoked *, const char *sid, time_t until);
/* 1 when sid is in the set and not yet past its time. */
int	is_revoked_has(const struct is_revoked *, const char *sid, time_t now);
/* Forgets what is past its time. */
void	is_revoked_prune(struct is_revoked *, time_t now);
void	is_revoked_free(struct is_revoked *);

#endif
