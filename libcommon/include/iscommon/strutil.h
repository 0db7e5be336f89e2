/* Small string helpers: growable buffer, UTF-8 checks, trimming. */
#ifndef ISCOMMON_STRUTIL_H
#define ISCOMMON_STRUTIL_H

#include <stddef.h>
#include <stdint.h>

struct is_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	 is_buf_init(struct is_buf *);
int	 is_buf_append(struct is_buf *, const void *, size_t);
int	 is_buf_printf(struct is_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 is_buf_free(struct is_buf *);

/* 1 when s[0..len) is well-formed UTF-8 with no NUL byte. */
int	 is_utf8_valid(const char *s, size_t len);
size_t	 is_utf8_length(const char *s);
char	*is_strdup(const char *);
void	*is_shared_zalloc(size_t);
/* FNV-1a of s: for spreading keys that are ours (account, session ids)
 * over a table, not attacker-chosen floods. */
uint32_t is_str_hash(const char *s);
/* 1 when s is a UUID: 8-4-4-4-12 hex digits, either case. */
int	 is_uuid_valid(const char *s);

#endif
