/*
 * Change generations shared by a service's worker processes: a table of
 * counters in shared memory (mapped before Kore forks), one per hash bucket
 * of a key, plus a global one. A worker caching something derived from the
 * database records the generations it saw; any worker that changes the data
 * bumps them, and every cache sees that at once, without a message round.
 */
#ifndef ISCOMMON_GENERATION_H
#define ISCOMMON_GENERATION_H

#include <stdint.h>

struct is_gen_stamp {
	uint32_t	key;
	uint32_t	global;
};

int	is_gen_init(void);
void	is_gen_bump(const char *key);
void	is_gen_bump_all(void);
void	is_gen_stamp(const char *key, struct is_gen_stamp *);
int	is_gen_current(const char *key, const struct is_gen_stamp *);

#endif
