/*
 * Module start-up for auth: common init, then this service's settings and
 * the dummy hash that keeps logins for unknown accounts as slow as real
 * ones; and the service's endpoint tables (routes.h).
 */
#include <stdlib.h>
#include <string.h>

#include "iskore.h"
#include "iscommon/config.h"
#include "iscommon/log.h"
#include "auth.h"
#include "routes.h"

char			*auth_dummy_hash;

static int	auth_service_init(void);

const struct is_service		is_this_service = { "auth", 1,
				    auth_service_init };

const struct is_endpoint *const	is_service_endpoints[] = {
	auth_session_endpoints,
	auth_code_endpoints,
	auth_admin_endpoints,
	auth_wechat_endpoints,
	auth_activation_endpoints,
	auth_key_endpoints,
	NULL
};

static int
auth_service_init(void)
{
	char	*random;

	auth_conf_load(&auth_conf);
	if (auth_conf.token_secret == NULL ||
	    strlen(auth_conf.token_secret) < 32) {
		is_log("error", NULL, "auth.token_secret must be >= 32 chars");
		return (-1);
	}
	/* WeChat signs its callbacks with it: never a known or empty one. */
	if (!auth_wechat_token_usable(auth_conf.wechat_callback_token)) {
		is_log("error", NULL, "wechat.callback_token must be 3 to 32 "
		    "letters and digits (WeChat's rule), chosen per instance");
		return (-1);
	}
	/* 0 or less would let any session change how the account is reached. */
	if (auth_conf.reauth_seconds < 30 || auth_conf.reauth_seconds > 3600) {
		is_log("error", NULL, "auth.reauth_seconds: 30 to 3600");
		return (-1);
	}
	auth_scrypt_budget.max_waiting = (int)is_config_int(
	    "auth.scrypt_queue_max", 64);
	if (kore_task_threads < 2)
		is_log("warn", NULL, "auth: task_threads < 2: password hashing "
		    "and calls to WeChat share one thread");
	/* Expired WeChat tickets and callback nonces are forgotten. */
	is_periodic_add("housekeeping", "SELECT auth.housekeeping()", 60);
	random = is_random_token(24);
	auth_dummy_hash = is_password_hash(random, &auth_conf.scrypt);
	free(random);
	if (auth_dummy_hash == NULL)
		return (-1);
	return (0);
}
