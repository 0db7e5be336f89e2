/*
 * Configuration: one key = value file shared by the stack, each key
 * overridable by the environment as IS_<KEY> (upper case, dots to '_').
 */
#ifndef ISCOMMON_CONFIG_H
#define ISCOMMON_CONFIG_H

int		 is_config_load(const char *path);
void		 is_config_set(const char *key, const char *value);
const char	*is_config_get(const char *key, const char *fallback);
long		 is_config_int(const char *key, long fallback);
void		 is_config_clear(void);
/* The database connection string of a service, <service>.db_conninfo:
 * its own role. NULL when it is not set: there is no shared fallback, so
 * a service never runs by mistake as another's role. */
const char	*is_config_conninfo(const char *service);

#endif
