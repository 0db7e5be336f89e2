/* Growable buffers and UTF-8 checks shared by the JSON and CSV code. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "iscommon/strutil.h"

void
is_buf_init(struct is_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

int
is_buf_append(struct is_buf *b, const void *data, size_t len)
{
	size_t	 ncap;
	char	*p;

	if (b->len + len + 1 > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + len + 1)
			ncap *= 2;
		if ((p = realloc(b->data, ncap)) == NULL)
			return (-1);
		b->data = p;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return (0);
}

int
is_buf_printf(struct is_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 small[512], *big;
	int	 n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return (-1);
	if ((size_t)n < sizeof(small))
		return (is_buf_append(b, small, (size_t)n));
	if ((big = malloc((size_t)n + 1)) == NULL)
		return (-1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = is_buf_append(b, big, (size_t)n);
	free(big);
	return (rc);
}

void
is_buf_free(struct is_buf *b)
{
	free(b->data);
	is_buf_init(b);
}

int
is_utf8_valid(const char *str, size_t len)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i, need, k;
	unsigned int		 cp;

	for (i = 0; i < len; ) {
		if (s[i] == 0)
			return (0);
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xE0) == 0xC0) {
			need = 1;
			cp = s[i] & 0x1F;
		} else if ((s[i] & 0xF0) == 0xE0) {
			need = 2;
			cp = s[i] & 0x0F;
		} else if ((s[i] & 0xF8) == 0xF0) {
			need = 3;
			cp = s[i] & 0x07;
		} else
			return (0);
		for (k = 1; k <= need; k++) {
			if (i + k >= len || (s[i + k] & 0xC0) != 0x80)
				return (0);
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		/* Overlong forms, surrogates and out-of-range code points. */
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return (0);
		i += need + 1;
	}
	return (1);
}

size_t
is_utf8_length(const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 n = 0;

	for (; *s; s++) {
		if ((*s & 0xC0) != 0x80)
			n++;
	}
	return (n);
}

char *
is_strdup(const char *s)
{
	size_t	 n;
	char	*p;

	if (s == NULL)
		return (NULL);
	n = strlen(s);
	if ((p = malloc(n + 1)) == NULL)
		abort();
	memcpy(p, s, n + 1);
	return (p);
}

/*
 * Zeroed memory shared with the processes forked after this call (Kore's
 * workers); NULL on failure. Lives as long as the process.
 */
void *
is_shared_zalloc(size_t len)
{
	void	*p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	return (p == MAP_FAILED ? NULL : p);
}

uint32_t
is_str_hash(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return (h);
}

/* 8-4-4-4-12 lower- or upper-case hex. */
int
is_uuid_valid(const char *s)
{
	size_t	i;

	if (strlen(s) != 36)
		return (0);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return (0);
	}
	return (1);
}
