/*
 * The error catalogue: every error a service answers is one of these codes,
 * rendered as application/problem+json (RFC 9457) with a stable type URI and
 * a bilingual title. proto-docs/errors.md lists the same table.
 */
#ifndef ISCOMMON_PROBLEM_H
#define ISCOMMON_PROBLEM_H

#include <cjson/cJSON.h>

struct is_problem_def {
	const char	*code;
	int		 status;
	const char	*title_en;
	const char	*title_zh;
};

#define IS_PROBLEM_BASE	"https://is.example.edu/problems/"

const struct is_problem_def	*is_problem_lookup(const char *code);
const struct is_problem_def	*is_problem_table(size_t *count);

/*
 * Builds the problem document. errors (field-level, may be NULL) is taken
 * over by the result. The caller frees the returned string with free().
 */
char	*is_problem_render(const char *code, const char *detail,
	    const char *request_id, cJSON *errors, int *status);

#endif
