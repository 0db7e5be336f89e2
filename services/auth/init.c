/*
 * Module start-up for auth: common init, then this service's settings and
 * the dummy hash that keeps logins for unknown accounts as slow as real ones.
 */
#include <stdlib.h>
#include <string.h>

#include "iskore.h"
#include "iscommon/config.h"
#include "iscommon/log.h"
#include "auth.h"
#include "routes.h"

int	is_auth_init(int);

char			*auth_dummy_hash;

static int	auth_service_init(void);

static const struct is_service service = { "auth", 1, auth_service_init };

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
	random = is_random_token(24);
	auth_dummy_hash = is_password_hash(random, &auth_conf.scrypt);
	free(random);
	if (auth_dummy_hash == NULL)
		return (-1);
	return (0);
}

int
is_auth_init(int state)
{
	if (state == KORE_MODULE_UNLOAD)
		return (KORE_RESULT_OK);
	return (is_service_init(&service));
}
