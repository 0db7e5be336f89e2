/* auth settings, shared by the module and the is-admin tool. */
#include "auth.h"
#include "iscommon/config.h"

struct auth_conf	auth_conf;

void
auth_conf_load(struct auth_conf *c)
{
	c->refresh_ttl = is_config_int("auth.refresh_ttl", 1209600);
	c->lockout_failures = is_config_int("auth.lockout_failures", 10);
	c->lockout_seconds = is_config_int("auth.lockout_seconds", 900);
	c->lockout_slow_after = is_config_int("auth.lockout_slow_after", 3);
	c->lockout_slow_seconds = is_config_int("auth.lockout_slow_seconds", 1);
	c->address_accounts_max = is_config_int("auth.address_accounts_max",
	    30);
	c->initial_password = is_config_get("auth.initial_password",
	    "Welcome@HIT2026");
	c->password_min_length = is_config_int("auth.password_min_length", 8);
	c->initial_password_days = is_config_int("auth.initial_password_days",
	    30);
	c->activation_ttl = is_config_int("auth.activation_ttl", 259200);
	c->scrypt.n = (unsigned long)is_config_int("auth.scrypt_n", 32768);
	c->scrypt.r = (unsigned long)is_config_int("auth.scrypt_r", 8);
	c->scrypt.p = (unsigned long)is_config_int("auth.scrypt_p", 1);
	c->email_domain = is_config_get("auth.student_email_domain",
	    "stu.hit.edu.cn");
	c->email_any_address = (int)is_config_int("auth.email_any_address", 0);
	c->code_ttl = is_config_int("auth.code_ttl", 600);
	c->code_cooldown = is_config_int("auth.code_cooldown", 60);
	c->code_max_attempts = is_config_int("auth.code_max_attempts", 5);
	c->code_daily_attempts = is_config_int("auth.code_daily_attempts", 10);
	c->code_daily_per_recipient = is_config_int(
	    "auth.code_daily_per_recipient", 5);
	c->token_secret = is_config_get("auth.token_secret", NULL);
	c->wechat_api_base = is_config_get("wechat.api_base",
	    "https://api.weixin.qq.com");
	c->wechat_appid = is_config_get("wechat.appid", "");
	c->wechat_secret = is_config_get("wechat.secret", "");
	c->wechat_mp_appid = is_config_get("wechat.mp_appid", "");
	c->wechat_mp_secret = is_config_get("wechat.mp_secret", "");
	c->wechat_callback_token = is_config_get("wechat.callback_token", "");
	c->wechat_ticket_ttl = is_config_int("wechat.ticket_ttl", 300);
	c->reauth_seconds = is_config_int("auth.reauth_seconds", 300);
}

