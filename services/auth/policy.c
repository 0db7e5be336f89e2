/*
 * Rules of the auth service that need no I/O: the password policy of
 * MISSION.md (length, not the initial password, not the student ID, not
 * one of the most common passwords: common-passwords.txt), how
 * codes and refresh tokens are hashed, the default student address, and
 * WeChat's callback signature.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "auth.h"
#include "iscommon/strutil.h"
#include "iscommon/validate.h"

#define PASSWORD_MAX	128

/* common_passwords.c, generated from common-passwords.txt (sorted). */
extern const char *const	auth_common_passwords[];
extern const size_t		auth_common_passwords_n;

static int	contains_ci(const char *, const char *);
static int	compare_word(const void *, const void *);

static int
compare_word(const void *key, const void *item)
{
	return (strcmp(key, *(const char *const *)item));
}

int
auth_password_common(const char *pw)
{
	char	lower[PASSWORD_MAX + 1];
	size_t	i;

	for (i = 0; pw[i] != '\0' && i < PASSWORD_MAX; i++)
		lower[i] = (char)tolower((unsigned char)pw[i]);
	if (pw[i] != '\0')
		return (0);
	lower[i] = '\0';
	return (bsearch(lower, auth_common_passwords, auth_common_passwords_n,
	    sizeof(auth_common_passwords[0]), compare_word) != NULL);
}

static int
contains_ci(const char *hay, const char *needle)
{
	size_t	n, i, j;

	n = strlen(needle);
	if (n == 0)
		return (0);
	for (i = 0; hay[i] != '\0'; i++) {
		for (j = 0; j < n && hay[i + j] != '\0'; j++) {
			if (tolower((unsigned char)hay[i + j]) !=
			    tolower((unsigned char)needle[j]))
				break;
		}
		if (j == n)
			return (1);
	}
	return (0);
}

enum auth_pw_verdict
auth_password_check(const char *pw, const char *login, const char *initial,
    long min_length)
{
	size_t	n;
	int	letter = 0, digit = 0, i;

	n = is_utf8_length(pw);
	if ((long)n < min_length)
		return (AUTH_PW_TOO_SHORT);
	if (n > PASSWORD_MAX)
		return (AUTH_PW_TOO_LONG);
	for (i = 0; pw[i] != '\0'; i++) {
		if (isalpha((unsigned char)pw[i]))
			letter = 1;
		else if (isdigit((unsigned char)pw[i]))
			digit = 1;
	}
	if (!letter || !digit)
		return (AUTH_PW_NEEDS_MIX);
	if (initial != NULL && strcmp(pw, initial) == 0)
		return (AUTH_PW_IS_INITIAL);
	if (login != NULL && contains_ci(pw, login))
		return (AUTH_PW_CONTAINS_ID);
	if (auth_password_common(pw))
		return (AUTH_PW_COMMON);
	return (AUTH_PW_OK);
}

const char *
auth_password_reason(enum auth_pw_verdict v)
{
	switch (v) {
	case AUTH_PW_OK:
		return ("ok");
	case AUTH_PW_TOO_SHORT:
		return ("the password is too short");
	case AUTH_PW_TOO_LONG:
		return ("the password is too long (128 characters at most)");
	case AUTH_PW_NEEDS_MIX:
		return ("the password needs both letters and digits");
	case AUTH_PW_IS_INITIAL:
		return ("the password must differ from the initial password");
	case AUTH_PW_CONTAINS_ID:
		return ("the password must not contain your account ID");
	case AUTH_PW_COMMON:
		return ("the password is one of the most common ones: "
		    "choose another");
	}
	return ("invalid password");
}

/* Codes are bound to purpose and account: a code for one is useless for
 * another. The login is lower-cased like the database's lookups. */
int
auth_code_hash(const char *secret, const char *purpose, const char *login,
    const char *code, char out[65])
{
	char	msg[256];
	size_t	i;
	int	n;

	n = snprintf(msg, sizeof(msg), "code:%s:%s:%s", purpose, login, code);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return (-1);
	for (i = 0; msg[i] != '\0'; i++)
		msg[i] = (char)tolower((unsigned char)msg[i]);
	return (is_hmac_hex(secret, msg, out));
}

/* A token kept as its HMAC, by kind ("refresh", "device"): a database
 * leak gives no usable token. */
int
auth_token_hash(const char *secret, const char *kind, const char *token,
    char out[65])
{
	char	msg[256];
	int	n;

	n = snprintf(msg, sizeof(msg), "%s:%s", kind, token);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return (-1);
	return (is_hmac_hex(secret, msg, out));
}

int
auth_student_email(const char *login, const char *domain, char *out,
    size_t len)
{
	int	n;

	n = snprintf(out, len, "%s@%s", login, domain);
	if (n < 0 || (size_t)n >= len)
		return (-1);
	for (n = 0; out[n] != '\0'; n++)
		out[n] = (char)tolower((unsigned char)out[n]);
	return (0);
}

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* WeChat signs callbacks as sha1(sort(token, timestamp, nonce)). */
int
auth_wechat_token_usable(const char *token)
{
	size_t	i, n;

	if (token == NULL || (n = strlen(token)) < 3 || n > 32)
		return (0);
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)token[i]))
			return (0);
	}
	return (1);
}

int
auth_wechat_signature_ok(const char *token, const char *timestamp,
    const char *nonce, const char *signature)
{
	const char	*parts[3];
	char		 joined[512], hex[41];
	int		 n;

	if (token == NULL || timestamp == NULL || nonce == NULL ||
	    signature == NULL)
		return (0);
	parts[0] = token;
	parts[1] = timestamp;
	parts[2] = nonce;
	qsort(parts, 3, sizeof(parts[0]), cmp_str);
	n = snprintf(joined, sizeof(joined), "%s%s%s", parts[0], parts[1],
	    parts[2]);
	if (n < 0 || (size_t)n >= sizeof(joined))
		return (0);
	is_sha1_hex(joined, (size_t)n, hex);
	return (is_secure_streq(hex, signature));
}

int
auth_claims_from_json(const cJSON *doc, struct is_claims *c)
{
	const cJSON	*roles, *r;
	const char	*sub, *acc, *sid, *cli, *wx;

	memset(c, 0, sizeof(*c));
	sub = is_json_str(doc, "sub");
	acc = is_json_str(doc, "account");
	sid = is_json_str(doc, "sid");
	cli = is_json_str(doc, "client");
	wx = is_json_str(doc, "wx");
	roles = cJSON_GetObjectItemCaseSensitive(doc, "roles");
	if (sub == NULL || acc == NULL || sid == NULL || cli == NULL ||
	    !cJSON_IsArray(roles))
		return (-1);
	snprintf(c->sub, sizeof(c->sub), "%s", sub);
	snprintf(c->account, sizeof(c->account), "%s", acc);
	snprintf(c->sid, sizeof(c->sid), "%s", sid);
	snprintf(c->client, sizeof(c->client), "%s", cli);
	snprintf(c->wx, sizeof(c->wx), "%s", wx ? wx : "");
	c->must_change_password = is_json_bool(doc, "must_change_password", 1);
	cJSON_ArrayForEach(r, roles) {
		if (!cJSON_IsString(r) || c->nroles == IS_JWT_MAX_ROLES)
			return (-1);
		snprintf(c->roles[c->nroles++], sizeof(c->roles[0]), "%s",
		    r->valuestring);
	}
	return (0);
}
