/*
 * CSV the system writes (reports for spreadsheets): RFC 4180 cells, and no
 * cell a spreadsheet would take for a formula.
 */
#ifndef ISCOMMON_CSVEXPORT_H
#define ISCOMMON_CSVEXPORT_H

#include <cjson/cJSON.h>

#include "iscommon/strutil.h"

/*
 * Appends one cell, quoted, and after it "," or (last) CRLF. Text starting
 * with = + - @, a tab or a carriage return is prefixed with an apostrophe,
 * so a spreadsheet shows it instead of evaluating it (quoting alone does
 * not stop that). 0, or -1 when out of memory.
 */
int	is_csv_text(struct is_buf *, const char *text, int last);
/* A JSON value as a cell: numbers as they are, strings as text, else
 * empty. */
int	is_csv_value(struct is_buf *, const cJSON *, int last);

#endif
