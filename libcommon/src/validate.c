/*
 * Request validation against a field table. Bodies are checked for UTF-8
 * before cJSON sees them (cJSON accepts invalid UTF-8 silently).
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iscommon/strutil.h"
#include "iscommon/validate.h"

static int	check_string(const cJSON *, const struct is_field *, cJSON *);
static int	matches(const char *, const char *);

/* Each refusal in English and Chinese: the forms are used in both. */
void
is_field_error(cJSON *errors, const char *field, const char *message,
    const char *message_zh)
{
	cJSON	*e;

	if (errors == NULL)
		return;
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "field", field);
	cJSON_AddStringToObject(e, "message", message);
	cJSON_AddStringToObject(e, "message_zh", message_zh);
	cJSON_AddItemToArray(errors, e);
}

/*
 * Patterns are the constant strings of field tables: each is compiled once
 * and kept. Validation runs on a worker's event loop (one thread).
 */
#define PATTERN_CACHE	64

static struct {
	const char	*pattern;
	regex_t		 re;
} patterns[PATTERN_CACHE];
static int	npatterns;

static int
matches(const char *pattern, const char *value)
{
	regex_t	re;
	int	i, rc;

	for (i = 0; i < npatterns; i++) {
		if (patterns[i].pattern == pattern ||
		    strcmp(patterns[i].pattern, pattern) == 0)
			return (regexec(&patterns[i].re, value, 0, NULL, 0) == 0);
	}
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return (0);
	rc = regexec(&re, value, 0, NULL, 0);
	if (npatterns < PATTERN_CACHE) {
		patterns[npatterns].pattern = pattern;
		patterns[npatterns].re = re;
		npatterns++;
	} else
		regfree(&re);
	return (rc == 0);
}

static int
check_string(const cJSON *item, const struct is_field *f, cJSON *errors)
{
	const char	*v = item->valuestring;
	size_t		 n;
	char		 msg[128], zh[128];
	int		 i;

	n = is_utf8_length(v);
	if (f->min > 0 && n < (size_t)f->min) {
		snprintf(msg, sizeof(msg), "must be at least %ld characters",
		    f->min);
		snprintf(zh, sizeof(zh), "至少 %ld 个字符", f->min);
		is_field_error(errors, f->name, msg, zh);
		return (-1);
	}
	if (f->max > 0 && n > (size_t)f->max) {
		snprintf(msg, sizeof(msg), "must be at most %ld characters",
		    f->max);
		snprintf(zh, sizeof(zh), "最多 %ld 个字符", f->max);
		is_field_error(errors, f->name, msg, zh);
		return (-1);
	}
	if (f->pattern != NULL && !matches(f->pattern, v)) {
		is_field_error(errors, f->name, "has an invalid format", "格式无效");
		return (-1);
	}
	if (f->choices != NULL) {
		for (i = 0; f->choices[i] != NULL; i++) {
			if (strcmp(f->choices[i], v) == 0)
				return (0);
		}
		is_field_error(errors, f->name, "is not one of the allowed values",
		    "不是允许的取值");
		return (-1);
	}
	return (0);
}

int
is_validate_object(const cJSON *obj, const struct is_field *spec,
    cJSON *errors)
{
	const struct is_field	*f;
	const cJSON		*item;
	int			 bad = 0, known;
	char			 msg[128], zh[128];
	double			 d;

	if (!cJSON_IsObject(obj)) {
		is_field_error(errors, "", "the body must be a JSON object",
		    "请求体必须是 JSON 对象");
		return (-1);
	}
	cJSON_ArrayForEach(item, obj) {
		known = 0;
		for (f = spec; f->name != NULL; f++) {
			if (strcmp(f->name, item->string) == 0)
				known = 1;
		}
		if (!known) {
			is_field_error(errors, item->string, "is not a known field",
			    "不是已知字段");
			bad = 1;
		} else if (cJSON_GetObjectItemCaseSensitive(obj,
		    item->string) != item) {
			/*
			 * Only the first of two is checked here, and the
			 * database keeps the last: a repeated key would carry
			 * an unchecked value past the form.
			 */
			is_field_error(errors, item->string, "is given twice",
			    "重复出现");
			bad = 1;
		}
	}
	for (f = spec; f->name != NULL; f++) {
		item = cJSON_GetObjectItemCaseSensitive(obj, f->name);
		if (item == NULL || cJSON_IsNull(item)) {
			if (f->required) {
				is_field_error(errors, f->name, "is required", "必填");
				bad = 1;
			}
			continue;
		}
		switch (f->type) {
		case IS_F_STRING:
			if (!cJSON_IsString(item)) {
				is_field_error(errors, f->name, "must be a string",
				    "必须是字符串");
				bad = 1;
			} else if (check_string(item, f, errors) == -1)
				bad = 1;
			break;
		case IS_F_INT:
			d = item->valuedouble;
			if (!cJSON_IsNumber(item) || d != (double)(long)d) {
				is_field_error(errors, f->name, "must be an integer",
				    "必须是整数");
				bad = 1;
			} else if ((f->min != 0 || f->max != 0) &&
			    (d < f->min || d > f->max)) {
				snprintf(msg, sizeof(msg),
				    "must be between %ld and %ld", f->min,
				    f->max);
				snprintf(zh, sizeof(zh), "必须在 %ld 到 %ld 之间",
				    f->min, f->max);
				is_field_error(errors, f->name, msg, zh);
				bad = 1;
			}
			break;
		case IS_F_NUMBER:
			d = item->valuedouble;
			if (!cJSON_IsNumber(item) || d != d) {
				is_field_error(errors, f->name, "must be a number",
				    "必须是数字");
				bad = 1;
			} else if ((f->min != 0 || f->max != 0) &&
			    (d < f->min || d > f->max)) {
				snprintf(msg, sizeof(msg),
				    "must be between %ld and %ld", f->min,
				    f->max);
				snprintf(zh, sizeof(zh), "必须在 %ld 到 %ld 之间",
				    f->min, f->max);
				is_field_error(errors, f->name, msg, zh);
				bad = 1;
			}
			break;
		case IS_F_BOOL:
			if (!cJSON_IsBool(item)) {
				is_field_error(errors, f->name, "must be a boolean",
				    "必须是布尔值");
				bad = 1;
			}
			break;
		case IS_F_ARRAY:
			if (!cJSON_IsArray(item)) {
				is_field_error(errors, f->name, "must be an array",
				    "必须是数组");
				bad = 1;
			} else if (f->max > 0 &&
			    cJSON_GetArraySize(item) > f->max) {
				is_field_error(errors, f->name, "has too many items",
				    "项目过多");
				bad = 1;
			} else if (cJSON_GetArraySize(item) < f->min) {
				is_field_error(errors, f->name, "has too few items",
				    "项目过少");
				bad = 1;
			}
			break;
		case IS_F_OBJECT:
			if (!cJSON_IsObject(item)) {
				is_field_error(errors, f->name, "must be an object",
				    "必须是对象");
				bad = 1;
			}
			break;
		}
	}
	return (bad ? -1 : 0);
}

int
is_validate_body(const char *body, size_t len, const struct is_field *spec,
    cJSON **out, const char **problem, cJSON **errors)
{
	cJSON	*obj, *errs;

	*out = NULL;
	if (errors != NULL)
		*errors = NULL;
	if (body == NULL || len == 0 || !is_utf8_valid(body, len)) {
		*problem = "malformed-json";
		return (-1);
	}
	if ((obj = cJSON_ParseWithLength(body, len)) == NULL) {
		*problem = "malformed-json";
		return (-1);
	}
	errs = cJSON_CreateArray();
	if (is_validate_object(obj, spec, errs) == -1) {
		cJSON_Delete(obj);
		*problem = "validation";
		if (errors != NULL)
			*errors = errs;
		else
			cJSON_Delete(errs);
		return (-1);
	}
	cJSON_Delete(errs);
	*out = obj;
	return (0);
}

const char *
is_json_str(const cJSON *obj, const char *name)
{
	const cJSON	*item;

	item = cJSON_GetObjectItemCaseSensitive(obj, name);
	return (cJSON_IsString(item) ? item->valuestring : NULL);
}

long
is_json_int(const cJSON *obj, const char *name, long fallback)
{
	const cJSON	*item;

	item = cJSON_GetObjectItemCaseSensitive(obj, name);
	return (cJSON_IsNumber(item) ? (long)item->valuedouble : fallback);
}

int
is_json_bool(const cJSON *obj, const char *name, int fallback)
{
	const cJSON	*item;

	item = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (cJSON_IsBool(item))
		return (cJSON_IsTrue(item));
	return (fallback);
}
