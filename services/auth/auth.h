/*
 * The auth service: accounts, sessions and tokens, password policy,
 * verification codes for email/mobile binding and recovery, WeChat binding
 * and login, student import.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>

#include "iscommon/crypto.h"
#include "iscommon/jwt.h"

struct auth_conf {
	long			 refresh_ttl;
	long			 lockout_failures;
	long			 lockout_seconds;
	const char		*initial_password;
	long			 password_min_length;
	struct is_scrypt_params	 scrypt;
	const char		*email_domain;
	int			 email_any_address;
	long			 code_ttl;
	long			 code_cooldown;
	long			 code_max_attempts;
	long			 code_daily_attempts;
	long			 lockout_slow_after;
	long			 initial_password_days;
	long			 activation_ttl;
	long			 lockout_slow_seconds;
	long			 address_accounts_max;
	long			 code_daily_per_recipient;
	const char		*token_secret;	/* HMAC key: refresh tokens, codes */
	const char		*wechat_api_base;
	const char		*wechat_appid;
	const char		*wechat_secret;
	const char		*wechat_mp_appid;
	const char		*wechat_mp_secret;
	const char		*wechat_callback_token;
	long			 wechat_ticket_ttl;
	long			 reauth_seconds;	/* a recent password proof */
};

extern struct auth_conf	auth_conf;

void	auth_conf_load(struct auth_conf *);

/* policy.c: pure functions, unit-tested. */
enum auth_pw_verdict {
	AUTH_PW_OK = 0,
	AUTH_PW_TOO_SHORT,
	AUTH_PW_TOO_LONG,
	AUTH_PW_NEEDS_MIX,
	AUTH_PW_IS_INITIAL,
	AUTH_PW_CONTAINS_ID,
	AUTH_PW_COMMON,
};

enum auth_pw_verdict	 auth_password_check(const char *password,
			    const char *login, const char *initial,
			    long min_length);
const char		*auth_password_reason(enum auth_pw_verdict);
/* 1 when password, lowercased, is among the most common ones. */
int			 auth_password_common(const char *password);
int			 auth_code_hash(const char *secret, const char *purpose,
			    const char *login, const char *code, char out[65]);
int			 auth_token_hash(const char *secret, const char *kind,
			    const char *token,
			    char out[65]);
int			 auth_student_email(const char *login,
			    const char *domain, char *out, size_t len);
int			 auth_wechat_signature_ok(const char *token,
			    const char *timestamp, const char *nonce,
			    const char *signature);
/* 1 when token can sign WeChat's callbacks: 3-32 letters and digits. */
int			 auth_wechat_token_usable(const char *token);
/* Fills claims from auth.claims() JSON; 0 on success. */
struct cJSON;
int			 auth_claims_from_json(const struct cJSON *,
			    struct is_claims *);

#endif
