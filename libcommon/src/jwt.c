/*
 * JWT signing and verification over libjwt 1.10. jwt_decode() trusts the
 * token's own "alg" header, so the algorithm is checked against the
 * configured one before any claim is believed; iss, aud and exp likewise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <jwt.h>

#include "iscommon/jwt.h"
#include "iscommon/strutil.h"

static char	*read_file(const char *, size_t *);
static int	 copy_grant(jwt_t *, const char *, char *, size_t);
static int	 load_roles(jwt_t *, struct is_claims *);

static char *
read_file(const char *path, size_t *len)
{
	FILE	*fp;
	char	*data;
	long	 n;

	if ((fp = fopen(path, "r")) == NULL)
		return (NULL);
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) <= 0 ||
	    n > 65536 || fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return (NULL);
	}
	data = malloc((size_t)n + 1);
	if (data == NULL || fread(data, 1, (size_t)n, fp) != (size_t)n) {
		free(data);
		fclose(fp);
		return (NULL);
	}
	data[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return (data);
}

int
is_jwt_keys_load(struct is_jwt_keys *k, const char *alg, const char *issuer,
    const char *audience, const char *private_path, const char *public_path,
    long ttl)
{
	memset(k, 0, sizeof(*k));
	if (strcmp(alg, "ES256") != 0 && strcmp(alg, "RS256") != 0)
		return (-1);
	k->alg = is_strdup(alg);
	k->issuer = is_strdup(issuer);
	k->audience = is_strdup(audience);
	k->ttl = ttl;
	k->leeway = 30;
	if (private_path != NULL && *private_path != '\0' &&
	    (k->private_pem = read_file(private_path, &k->private_len)) == NULL)
		goto fail;
	if ((k->public_pem = read_file(public_path, &k->public_len)) == NULL)
		goto fail;
	return (0);
fail:
	is_jwt_keys_free(k);
	return (-1);
}

void
is_jwt_keys_free(struct is_jwt_keys *k)
{
	free(k->alg);
	free(k->issuer);
	free(k->audience);
	free(k->private_pem);
	free(k->public_pem);
	memset(k, 0, sizeof(*k));
}

char *
is_jwt_sign(const struct is_jwt_keys *k, const struct is_claims *c,
    time_t now)
{
	jwt_t	*jwt;
	cJSON	*roles, *wrap;
	char	*json, *token = NULL;
	int	 i;

	if (k->private_pem == NULL || jwt_new(&jwt) != 0)
		return (NULL);
	wrap = cJSON_CreateObject();
	roles = cJSON_AddArrayToObject(wrap, "roles");
	for (i = 0; i < c->nroles; i++)
		cJSON_AddItemToArray(roles, cJSON_CreateString(c->roles[i]));
	json = cJSON_PrintUnformatted(wrap);
	cJSON_Delete(wrap);

	if (jwt_add_grant(jwt, "iss", k->issuer) != 0 ||
	    jwt_add_grant(jwt, "aud", k->audience) != 0 ||
	    jwt_add_grant(jwt, "sub", c->sub) != 0 ||
	    jwt_add_grant(jwt, "acc", c->account) != 0 ||
	    jwt_add_grant(jwt, "sid", c->sid) != 0 ||
	    jwt_add_grant(jwt, "cli", c->client) != 0 ||
	    (c->wx[0] != '\0' && jwt_add_grant(jwt, "wx", c->wx) != 0) ||
	    jwt_add_grant_bool(jwt, "mcp", c->must_change_password) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)now + k->ttl) != 0 ||
	    jwt_add_grants_json(jwt, json) != 0)
		goto done;
	if (jwt_set_alg(jwt, jwt_str_alg(k->alg),
	    (const unsigned char *)k->private_pem, (int)k->private_len) != 0)
		goto done;
	token = jwt_encode_str(jwt);
done:
	cJSON_free(json);
	jwt_free(jwt);
	return (token);
}

static int
copy_grant(jwt_t *jwt, const char *name, char *out, size_t len)
{
	const char	*v;

	if ((v = jwt_get_grant(jwt, name)) == NULL || strlen(v) >= len)
		return (-1);
	memcpy(out, v, strlen(v) + 1);
	return (0);
}

static int
load_roles(jwt_t *jwt, struct is_claims *c)
{
	cJSON	*arr, *item;
	char	*json;
	int	 rc = -1;

	if ((json = jwt_get_grants_json(jwt, "roles")) == NULL)
		return (-1);
	arr = cJSON_Parse(json);
	free(json);
	if (!cJSON_IsArray(arr))
		goto done;
	c->nroles = 0;
	cJSON_ArrayForEach(item, arr) {
		if (!cJSON_IsString(item) || c->nroles == IS_JWT_MAX_ROLES ||
		    strlen(item->valuestring) >= sizeof(c->roles[0]))
			goto done;
		strcpy(c->roles[c->nroles++], item->valuestring);
	}
	rc = 0;
done:
	cJSON_Delete(arr);
	return (rc);
}

int
is_jwt_verify(const struct is_jwt_keys *k, const char *token, time_t now,
    struct is_claims *out)
{
	jwt_t		*jwt = NULL;
	const char	*s;
	int		 rc = -1;

	memset(out, 0, sizeof(*out));
	if (token == NULL || strlen(token) > 4096)
		return (-1);
	if (jwt_decode(&jwt, token, (const unsigned char *)k->public_pem,
	    (int)k->public_len) != 0 || jwt == NULL)
		return (-1);
	if (jwt_get_alg(jwt) != jwt_str_alg(k->alg))
		goto done;
	if ((s = jwt_get_grant(jwt, "iss")) == NULL || strcmp(s, k->issuer))
		goto done;
	if ((s = jwt_get_grant(jwt, "aud")) == NULL || strcmp(s, k->audience))
		goto done;
	errno = 0;
	out->exp = jwt_get_grant_int(jwt, "exp");
	if (errno != 0 || out->exp + k->leeway < (long)now)
		goto done;
	out->iat = jwt_get_grant_int(jwt, "iat");
	if (copy_grant(jwt, "sub", out->sub, sizeof(out->sub)) == -1 ||
	    copy_grant(jwt, "acc", out->account, sizeof(out->account)) == -1 ||
	    copy_grant(jwt, "sid", out->sid, sizeof(out->sid)) == -1 ||
	    copy_grant(jwt, "cli", out->client, sizeof(out->client)) == -1 ||
	    load_roles(jwt, out) == -1)
		goto done;
	(void)copy_grant(jwt, "wx", out->wx, sizeof(out->wx));
	errno = 0;
	out->must_change_password = jwt_get_grant_bool(jwt, "mcp");
	if (errno != 0)
		goto done;
	rc = 0;
done:
	jwt_free(jwt);
	if (rc == -1)
		memset(out, 0, sizeof(*out));
	return (rc);
}

int
is_claims_has_role(const struct is_claims *c, const char *role)
{
	int	i;

	for (i = 0; i < c->nroles; i++) {
		if (strcmp(c->roles[i], role) == 0)
			return (1);
	}
	return (0);
}
