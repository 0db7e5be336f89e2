/* CSV the system writes (csvexport.h), quoted by libcsv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "iscommon/csvexport.h"

/* What spreadsheets evaluate at the start of a cell (OWASP, CSV
 * injection): formulas, and tab / CR before them. */
static int
formula_like(const char *s)
{
	return (s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL);
}

static int
cell(struct is_buf *b, const char *s, int neutralise, int last)
{
	char	*in, *out;
	size_t	 len, need;
	int	 rc = 0;

	len = strlen(s);
	if ((in = malloc(len + 2)) == NULL)
		return (-1);
	if (neutralise && formula_like(s)) {
		in[0] = '\'';
		memcpy(in + 1, s, len + 1);
		len++;
	} else
		memcpy(in, s, len + 1);
	need = len * 2 + 3;
	if ((out = malloc(need)) == NULL) {
		free(in);
		return (-1);
	}
	need = csv_write(out, need, in, len);
	if (is_buf_append(b, out, need) == -1 ||
	    is_buf_append(b, last ? "\r\n" : ",", last ? 2 : 1) == -1)
		rc = -1;
	free(out);
	free(in);
	return (rc);
}

int
is_csv_text(struct is_buf *b, const char *text, int last)
{
	return (cell(b, text != NULL ? text : "", 1, last));
}

int
is_csv_value(struct is_buf *b, const cJSON *v, int last)
{
	char	num[32];

	if (cJSON_IsNumber(v)) {
		snprintf(num, sizeof(num), "%g", v->valuedouble);
		return (cell(b, num, 0, last));
	}
	return (is_csv_text(b, cJSON_IsString(v) ? v->valuestring : "",
	    last));
}
