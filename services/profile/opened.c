/*
 * Sealed values in answers. The database never holds a sensitive value in
 * clear; where a caller may see it whole, the SQL gives it as
 * {"sealed": ciphertext, "owner": student id}, and it is opened here, just
 * before the answer leaves. The owner is the ciphertext's associated data,
 * so a value moved to another student's row does not open; and only the
 * owner the answer is about is opened, whatever else the data holds.
 */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "profile.h"
#include "iscommon/log.h"

static int
is_sealed_object(const cJSON *o)
{
	return (cJSON_IsObject(o) && cJSON_GetArraySize(o) == 2 &&
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "sealed")) &&
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "owner")));
}

static cJSON *
opened(const cJSON *o, const char *owner)
{
	const char	*of;
	char		 aad[64], *plain;
	cJSON		*v;

	of = cJSON_GetObjectItemCaseSensitive(o, "owner")->valuestring;
	if (owner == NULL || strcasecmp(of, owner) != 0) {
		is_log("error", NULL, "a sealed value of another student "
		    "in an answer about %s: not opened", owner ? owner : "?");
		return (cJSON_CreateNull());
	}
	snprintf(aad, sizeof(aad), "profile:%s", of);
	plain = is_unseal(&pf_conf.keys,
	    cJSON_GetObjectItemCaseSensitive(o, "sealed")->valuestring, aad);
	if (plain == NULL) {
		is_log("error", NULL, "a sealed value of %s does not open "
		    "(key missing from profile.data_keys?)", aad + 8);
		return (cJSON_CreateNull());
	}
	v = cJSON_CreateString(plain);
	OPENSSL_cleanse(plain, strlen(plain));
	free(plain);
	return (v);
}

void
pf_open_sealed(cJSON *doc, const char *owner)
{
	cJSON	*item, *next;

	for (item = doc != NULL ? doc->child : NULL; item != NULL;
	    item = next) {
		next = item->next;
		if (is_sealed_object(item) && cJSON_IsObject(doc))
			cJSON_ReplaceItemInObjectCaseSensitive(doc,
			    item->string, opened(item, owner));
		else if (is_sealed_object(item))
			cJSON_ReplaceItemViaPointer(doc, item,
			    opened(item, owner));
		else if (cJSON_IsObject(item) || cJSON_IsArray(item))
			pf_open_sealed(item, owner);
	}
}

/* Answers about one student, named by its "student" object. */
int
pf_reply_opened(struct http_request *req, struct is_ctx *c)
{
	cJSON	*doc;

	if ((doc = is_db_result(req, c)) == NULL)
		return (KORE_RESULT_OK);
	pf_open_sealed(doc, is_json_str(cJSON_GetObjectItemCaseSensitive(doc,
	    "student"), "id"));
	return (is_reply_obj(req, 200, doc));
}
