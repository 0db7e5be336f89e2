/* Shared change generations; see iscommon/generation.h. */
#include <stdint.h>
#include <string.h>

#include "iscommon/generation.h"
#include "iscommon/strutil.h"

#define GEN_SLOTS	65536

struct gen_table {
	uint32_t	global;
	uint32_t	slot[GEN_SLOTS];
};

static struct gen_table	*gens;

static uint32_t
slot_of(const char *key)
{
	return (is_str_hash(key) % GEN_SLOTS);
}

int
is_gen_init(void)
{
	if (gens != NULL)
		return (0);
	gens = is_shared_zalloc(sizeof(*gens));
	return (gens == NULL ? -1 : 0);
}

void
is_gen_bump(const char *key)
{
	if (gens != NULL)
		__atomic_add_fetch(&gens->slot[slot_of(key)], 1,
		    __ATOMIC_SEQ_CST);
}

void
is_gen_bump_all(void)
{
	if (gens != NULL)
		__atomic_add_fetch(&gens->global, 1, __ATOMIC_SEQ_CST);
}

void
is_gen_stamp(const char *key, struct is_gen_stamp *s)
{
	if (gens == NULL) {
		s->key = s->global = UINT32_MAX;
		return;
	}
	s->key = __atomic_load_n(&gens->slot[slot_of(key)], __ATOMIC_SEQ_CST);
	s->global = __atomic_load_n(&gens->global, __ATOMIC_SEQ_CST);
}

/* 1 when nothing under key (nor globally) changed since the stamp. */
int
is_gen_current(const char *key, const struct is_gen_stamp *s)
{
	struct is_gen_stamp	now;

	if (gens == NULL)
		return (0);
	is_gen_stamp(key, &now);
	return (now.key == s->key && now.global == s->global);
}
