/*
 * Checks of the SQL an endpoint declares, made at start-up: the
 * placeholders it uses must be exactly $1..$N, one per declared parameter.
 */
#ifndef ISCOMMON_SQLCHECK_H
#define ISCOMMON_SQLCHECK_H

/*
 * N when sql uses exactly the placeholders $1..$N (each at least once;
 * none in string literals, quoted identifiers, dollar-quoted strings or
 * comments), 0 when it uses none, -1 when one is missing between them.
 */
int	is_sql_placeholders(const char *sql);

#endif
