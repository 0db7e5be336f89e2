/*
 * CSV imports (student accounts, courses, timetables): parses with libcsv,
 * validates each row against a column spec and produces a JSON array of
 * valid rows plus a per-row rejection report.
 */
#ifndef ISCOMMON_CSVIMPORT_H
#define ISCOMMON_CSVIMPORT_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "iscommon/validate.h"

/*
 * Parses data as CSV with a header line naming the columns. Returns 0 and
 * fills *rows (valid rows as objects keyed by column) and *rejected
 * ({row, errors[]} objects); -1 when the file itself is unusable (*why).
 */
int	is_csv_import(const char *data, size_t len,
	    const struct is_field *columns, cJSON **rows, cJSON **rejected,
	    const char **why);
/* The columns of the student import (auth), and the import with them. */
extern const struct is_field	is_csv_student_columns[];
int	is_csv_students(const char *data, size_t len, cJSON **rows,
	    cJSON **rejected, const char **why);

#endif
