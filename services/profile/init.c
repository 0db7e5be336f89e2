/*
 * Module start-up for profile: common init, the sealing keys, libmagic and
 * the document store. A key or store that does not load stops the service:
 * it must never store a sensitive value in clear nor a document nowhere.
 */
#include <string.h>

#include "profile.h"
#include "iscommon/config.h"
#include "iscommon/log.h"

static int	profile_service_init(void);


struct pf_conf		pf_conf;
struct pf_store		pf_store;

const char *const	pf_students[] = { "student", NULL };
const char *const	pf_staff[] = { "counsellor", "secretary", "io",
			    "finance", "leader", "admin", NULL };

const struct is_service		is_this_service = { "profile", 0,
				    profile_service_init };
const struct is_endpoint *const	is_service_endpoints[] = {
	pf_section_endpoints, pf_document_endpoints, pf_staff_endpoints, NULL
};

static int
profile_service_init(void)
{
	const char	*keys = is_config_get("profile.data_keys", NULL);

	if (keys == NULL || is_seal_keys_parse(keys, &pf_conf.keys) == -1) {
		is_log("error", NULL, "profile.data_keys must be "
		    "kid:64hex[,...]");
		return (-1);
	}
	pf_conf.lookup_key = is_config_get("profile.lookup_key", NULL);
	if (pf_conf.lookup_key == NULL || strlen(pf_conf.lookup_key) < 32) {
		is_log("error", NULL, "profile.lookup_key must be >= 32 chars");
		return (-1);
	}
	pf_conf.storage_root = is_config_get("profile.storage_root", NULL);
	if (pf_conf.storage_root == NULL ||
	    pf_store_local(&pf_store, pf_conf.storage_root) == -1) {
		is_log("error", NULL, "profile.storage_root is not usable");
		return (-1);
	}
	if (pf_magic_open() == -1) {
		is_log("error", NULL, "libmagic's database does not load");
		return (-1);
	}
	pf_conf.upload_daily_max = is_config_int("profile.upload_daily_max",
	    50);
	pf_conf.me_cache_ms = is_config_int("profile.me_cache_ms", 2000);
	kore_timer_add(pf_me_cache_sweep, 60000, NULL, 0);
	pf_conf.reseal_interval_ms = is_config_int(
	    "profile.reseal_interval_ms", 5000);
	pf_conf.reseal_batch = is_config_int("profile.reseal_batch", 200);
	pf_conf.reseal_idle_s = is_config_int("profile.reseal_idle_s", 600);
	if (pf_conf.reseal_interval_ms < 100 || pf_conf.reseal_batch < 1 ||
	    pf_conf.reseal_batch > 5000 || pf_conf.reseal_idle_s < 1) {
		is_log("error", NULL, "profile.reseal_* out of range");
		return (-1);
	}
	pf_reseal_start();
	return (0);
}
