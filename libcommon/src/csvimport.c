/*
 * CSV imports: libcsv does the parsing (quotes, embedded commas and
 * newlines); this file maps columns to fields and validates each row with
 * the same declarative rules as the JSON API, so both paths agree.
 */
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "iscommon/csvimport.h"
#include "iscommon/strutil.h"
#include "iscommon/validate.h"

#define MAX_COLUMNS	32
#define MAX_ROWS	20000

static const char *const degrees[] = { "bachelor", "master", "phd",
    "non-degree", NULL };
static const char *const sexes[] = { "male", "female", NULL };

/* Columns of the student import; the header line names them. */
const struct is_field is_csv_student_columns[] = {
	{ "student_id", IS_F_STRING, 1, 4, 20, "^[A-Za-z0-9]+$", NULL },
	{ "family_name", IS_F_STRING, 1, 1, 80, NULL, NULL },
	{ "given_name", IS_F_STRING, 1, 1, 80, NULL, NULL },
	{ "chinese_name", IS_F_STRING, 0, 0, 40, NULL, NULL },
	{ "school", IS_F_STRING, 1, 1, 80, NULL, NULL },
	{ "degree", IS_F_STRING, 1, 0, 0, NULL, degrees },
	{ "cohort", IS_F_STRING, 1, 4, 4, "^(19|20)[0-9][0-9]$", NULL },
	{ "nationality", IS_F_STRING, 0, 0, 60, NULL, NULL },
	{ "sex", IS_F_STRING, 0, 0, 0, NULL, sexes },
	{ "email", IS_F_STRING, 0, 0, 120,
	    "^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$", NULL },
	{ "counsellor", IS_F_STRING, 0, 0, 20, "^[A-Za-z0-9]*$", NULL },
	IS_FIELDS_END
};

struct parse_state {
	char		*header[MAX_COLUMNS];
	int		 ncols;
	int		 col;
	int		 line;
	int		 too_many;
	cJSON		*current;
	cJSON		*rows;
	cJSON		*rejected;
	const struct is_field *spec;
};

static void	on_field(void *, size_t, void *);
static void	on_row(int, void *);
static void	reject(struct parse_state *, cJSON *);

static void
reject(struct parse_state *st, cJSON *errors)
{
	cJSON	*r;

	r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "row", st->line);
	cJSON_AddItemToObject(r, "errors", errors);
	cJSON_AddItemToArray(st->rejected, r);
}

static void
on_field(void *data, size_t len, void *arg)
{
	struct parse_state	*st = arg;
	char			*v;

	if (st->current == NULL)
		st->current = cJSON_CreateObject();
	if (st->col >= MAX_COLUMNS) {
		st->too_many = 1;
		return;
	}
	v = malloc(len + 1);
	memcpy(v, data, len);
	v[len] = '\0';
	if (st->line == 0) {
		st->header[st->col] = v;
		st->ncols = st->col + 1;
	} else {
		if (!is_utf8_valid(v, len)) {
			cJSON_AddStringToObject(st->current, "\x01utf8", "");
		} else if (st->col < st->ncols && len > 0) {
			cJSON_AddStringToObject(st->current,
			    st->header[st->col], v);
		} else if (st->col >= st->ncols)
			st->too_many = 1;
		free(v);
	}
	st->col++;
}

static void
on_row(int c, void *arg)
{
	struct parse_state	*st = arg;
	cJSON			*errors;
	int			 i;

	(void)c;
	if (st->line > 0 && st->current != NULL) {
		errors = cJSON_CreateArray();
		if (cJSON_GetObjectItemCaseSensitive(st->current,
		    "\x01utf8") != NULL) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "field", "");
			cJSON_AddStringToObject(e, "message",
			    "is not valid UTF-8");
			cJSON_AddItemToArray(errors, e);
		} else if (st->too_many) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "field", "");
			cJSON_AddStringToObject(e, "message",
			    "has more columns than the header");
			cJSON_AddItemToArray(errors, e);
		} else
			is_validate_object(st->current, st->spec, errors);
		if (cJSON_GetArraySize(errors) > 0) {
			reject(st, errors);
			cJSON_Delete(st->current);
		} else {
			cJSON_Delete(errors);
			/*
			 * An empty cell is null, a column the file lacks is
			 * no key: the importer clears the one and keeps the
			 * stored value for the other.
			 */
			for (i = 0; i < st->ncols; i++) {
				if (cJSON_GetObjectItemCaseSensitive(
				    st->current, st->header[i]) == NULL)
					cJSON_AddNullToObject(st->current,
					    st->header[i]);
			}
			cJSON_AddNumberToObject(st->current, "row", st->line);
			cJSON_AddItemToArray(st->rows, st->current);
		}
	} else
		cJSON_Delete(st->current);
	st->current = NULL;
	st->col = 0;
	st->too_many = 0;
	st->line++;
}

int
is_csv_students(const char *data, size_t len, cJSON **rows,
    cJSON **rejected, const char **why)
{
	return (is_csv_import(data, len, is_csv_student_columns, rows,
	    rejected, why));
}

int
is_csv_import(const char *data, size_t len, const struct is_field *spec,
    cJSON **rows, cJSON **rejected, const char **why)
{
	struct csv_parser	 p;
	struct parse_state	 st;
	const struct is_field	*f;
	int			 i, j, rc = -1, found;

	memset(&st, 0, sizeof(st));
	st.spec = spec;
	*rows = NULL;
	*rejected = NULL;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		*why = "out of memory";
		return (-1);
	}
	st.rows = cJSON_CreateArray();
	st.rejected = cJSON_CreateArray();
	if (csv_parse(&p, data, len, on_field, on_row, &st) != len ||
	    csv_fini(&p, on_field, on_row, &st) != 0) {
		*why = "the file is not well-formed CSV";
		goto done;
	}
	if (st.ncols == 0) {
		*why = "the file has no header line";
		goto done;
	}
	for (i = 0; i < st.ncols; i++) {
		found = 0;
		for (f = spec; f->name != NULL; f++)
			found |= strcmp(f->name, st.header[i]) == 0;
		for (j = 0; j < i; j++)
			found &= strcmp(st.header[j], st.header[i]) != 0;
		if (!found) {
			*why = "the header names an unknown or repeated column";
			goto done;
		}
	}
	for (f = spec; f->name != NULL; f++) {
		if (!f->required)
			continue;
		found = 0;
		for (i = 0; i < st.ncols; i++)
			found |= strcmp(f->name, st.header[i]) == 0;
		if (!found) {
			*why = "the header lacks a required column";
			goto done;
		}
	}
	if (st.line - 1 > MAX_ROWS) {
		*why = "too many rows";
		goto done;
	}
	rc = 0;
done:
	csv_free(&p);
	cJSON_Delete(st.current);
	for (i = 0; i < st.ncols; i++)
		free(st.header[i]);
	if (rc == 0) {
		*rows = st.rows;
		*rejected = st.rejected;
	} else {
		cJSON_Delete(st.rows);
		cJSON_Delete(st.rejected);
	}
	return (rc);
}
