/*
 * Declarative validation of a JSON request body: a table of fields, each
 * with a type and limits. Unknown fields are refused. Failures are collected
 * per field so the client is told everything wrong at once.
 */
#ifndef ISCOMMON_VALIDATE_H
#define ISCOMMON_VALIDATE_H

#include <cjson/cJSON.h>

enum is_field_type {
	IS_F_STRING,
	IS_F_INT,
	IS_F_NUMBER,
	IS_F_BOOL,
	IS_F_ARRAY,
	IS_F_OBJECT,
};

struct is_field {
	const char		*name;
	enum is_field_type	 type;
	int			 required;
	long			 min;		/* length for strings, value for ints */
	long			 max;
	const char		*pattern;	/* POSIX extended regex, strings only */
	const char *const	*choices;	/* NULL-terminated enum, strings only */
};

#define IS_FIELDS_END	{ NULL, 0, 0, 0, 0, NULL, NULL }

/*
 * Parses body (len bytes, need not be NUL-terminated) and validates it.
 * On success returns 0 and *out owns the parsed object (cJSON_Delete it).
 * On failure returns -1, *problem is "malformed-json" or "validation", and
 * *errors (when non-NULL) is an array of {field, message} owned by the caller.
 */
int	is_validate_body(const char *body, size_t len,
	    const struct is_field *spec, cJSON **out, const char **problem,
	    cJSON **errors);

/* Validates an already-parsed object; appends to errors; 0 when valid. */
int	is_validate_object(const cJSON *obj, const struct is_field *spec,
	    cJSON *errors);

/* Appends {field, message, message_zh} to errors (NULL: nothing). */
void	is_field_error(cJSON *errors, const char *field, const char *message,
	    const char *message_zh);

const char	*is_json_str(const cJSON *obj, const char *name);
long		 is_json_int(const cJSON *obj, const char *name, long fallback);
int		 is_json_bool(const cJSON *obj, const char *name, int fallback);

#endif
