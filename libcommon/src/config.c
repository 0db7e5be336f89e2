/*
 * Configuration store. The file is read once at start; lookups check the
 * environment first so containers and CI can override any key.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iscommon/config.h"
#include "iscommon/strutil.h"

#define CONFIG_MAX	256

struct config_entry {
	char	*key;
	char	*value;
};

static struct config_entry	entries[CONFIG_MAX];
static int			nentries;

static char	*trim(char *);
static int	 env_name(const char *, char *, size_t);

static char *
trim(char *s)
{
	char	*end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return (s);
}

void
is_config_set(const char *key, const char *value)
{
	int	i;

	for (i = 0; i < nentries; i++) {
		if (strcmp(entries[i].key, key) == 0) {
			free(entries[i].value);
			entries[i].value = is_strdup(value);
			return;
		}
	}
	if (nentries == CONFIG_MAX)
		return;
	entries[nentries].key = is_strdup(key);
	entries[nentries].value = is_strdup(value);
	nentries++;
}

int
is_config_load(const char *path)
{
	FILE	*fp;
	char	 line[2048], *p, *eq;

	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), fp) != NULL) {
		p = trim(line);
		if (*p == '#' || *p == '\0')
			continue;
		if ((eq = strchr(p, '=')) == NULL)
			continue;
		*eq = '\0';
		is_config_set(trim(p), trim(eq + 1));
	}
	fclose(fp);
	return (0);
}

static int
env_name(const char *key, char *out, size_t len)
{
	size_t	i, n;

	n = strlen(key);
	if (n + 4 > len)
		return (-1);
	memcpy(out, "IS_", 3);
	for (i = 0; i < n; i++) {
		out[3 + i] = (key[i] == '.' || key[i] == '-') ? '_' :
		    (char)toupper((unsigned char)key[i]);
	}
	out[3 + n] = '\0';
	return (0);
}

const char *
is_config_get(const char *key, const char *fallback)
{
	char		 name[128];
	const char	*env;
	int		 i;

	if (env_name(key, name, sizeof(name)) == 0 &&
	    (env = getenv(name)) != NULL)
		return (env);
	for (i = 0; i < nentries; i++) {
		if (strcmp(entries[i].key, key) == 0)
			return (entries[i].value);
	}
	return (fallback);
}

long
is_config_int(const char *key, long fallback)
{
	const char	*v;
	char		*end;
	long		 n;

	if ((v = is_config_get(key, NULL)) == NULL || *v == '\0')
		return (fallback);
	n = strtol(v, &end, 10);
	if (*end != '\0')
		return (fallback);
	return (n);
}

const char *
is_config_conninfo(const char *service)
{
	char	key[96];

	if ((size_t)snprintf(key, sizeof(key), "%s.db_conninfo", service) >=
	    sizeof(key))
		return (NULL);
	return (is_config_get(key, NULL));
}

void
is_config_clear(void)
{
	int	i;

	for (i = 0; i < nentries; i++) {
		free(entries[i].key);
		free(entries[i].value);
	}
	nentries = 0;
}
