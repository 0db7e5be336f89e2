/*
 * A small scanner for the SQL text of endpoint declarations: it skips
 * literals, quoted identifiers, dollar quotes and comments, and collects
 * the $N placeholders that remain.
 */
#include <ctype.h>
#include <string.h>

#include "iscommon/sqlcheck.h"

#define MAX_PLACEHOLDER	64

/* Past the dollar-quoted string that starts at p ($tag$...$tag$). */
static const char *
skip_dollar_quote(const char *p)
{
	const char	*end, *close;
	size_t		 taglen;

	end = p + 1;
	while (*end == '_' || isalnum((unsigned char)*end))
		end++;
	if (*end != '$')
		return (NULL);
	taglen = (size_t)(end - p) + 1;
	for (close = end + 1; *close != '\0'; close++) {
		if (strncmp(close, p, taglen) == 0)
			return (close + taglen);
	}
	return (close);
}

int
is_sql_placeholders(const char *sql)
{
	char		 seen[MAX_PLACEHOLDER + 1];
	const char	*p, *q;
	int		 n, max = 0, i;

	memset(seen, 0, sizeof(seen));
	for (p = sql; *p != '\0';) {
		if (*p == '\'' || *p == '"') {
			q = strchr(p + 1, *p);
			p = q != NULL ? q + 1 : p + strlen(p);
		} else if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			q = strstr(p + 2, "*/");
			p = q != NULL ? q + 2 : p + strlen(p);
		} else if (*p == '$' && isdigit((unsigned char)p[1])) {
			for (n = 0, p++; isdigit((unsigned char)*p); p++) {
				if (n <= MAX_PLACEHOLDER)
					n = n * 10 + (*p - '0');
			}
			if (n < 1 || n > MAX_PLACEHOLDER)
				return (-1);
			seen[n] = 1;
			if (n > max)
				max = n;
		} else if (*p == '$' && (q = skip_dollar_quote(p)) != NULL) {
			p = q;
		} else
			p++;
	}
	for (i = 1; i <= max; i++) {
		if (!seen[i])
			return (-1);
	}
	return (max);
}
