/*
 * is-admin: command-line administration against the database.
 *   is-admin import-students FILE.csv   import/update students, print report
 *   is-admin seed-demo                  demo accounts for the local stack
 *   is-admin mint-tokens < claims.jsonl access tokens for claims documents
 *                                       (one auth.claims() per line), for
 *                                       load tests; needs the private key
 * Reads IS_CONFIG (auth.db_conninfo: auth's role, and the auth.* settings).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <cjson/cJSON.h>

#include "auth.h"
#include "iscommon/config.h"
#include "iscommon/jwt.h"
#include "iscommon/csvimport.h"
#include "iscommon/strutil.h"

static PGconn	*connect_db(void);
static char	*call_json(PGconn *, const char *, int, const char *const *);
static int	 import_students(PGconn *, const char *);
static int	 seed_demo(PGconn *);

static PGconn *
connect_db(void)
{
	PGconn		*db;
	const char	*conninfo;

	conninfo = is_config_conninfo("auth");
	if (conninfo == NULL) {
		fprintf(stderr, "is-admin: auth.db_conninfo is not set\n");
		exit(1);
	}
	db = PQconnectdb(conninfo);
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "is-admin: %s", PQerrorMessage(db));
		exit(1);
	}
	return (db);
}

/* Runs a one-value query; returns a malloc'd copy of the value. */
static char *
call_json(PGconn *db, const char *sql, int n, const char *const *params)
{
	PGresult	*res;
	char		*out = NULL;

	res = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "is-admin: %s", PQerrorMessage(db));
	} else if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
		out = is_strdup(PQgetvalue(res, 0, 0));
	} else
		out = is_strdup("null");
	PQclear(res);
	return (out);
}

static char *
read_all(const char *path, size_t *len)
{
	struct is_buf	 b;
	FILE		*fp;
	char		 chunk[8192];
	size_t		 n;

	if ((fp = fopen(path, "r")) == NULL)
		return (NULL);
	is_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		is_buf_append(&b, chunk, n);
	fclose(fp);
	if (b.data == NULL)
		is_buf_append(&b, "", 0);
	*len = b.len;
	return (b.data);
}

static int
import_students(PGconn *db, const char *path)
{
	cJSON		*rows, *rejected, *doc, *dbrej, *item;
	const char	*why;
	char		*data, *hash, *json, *res, *out, days[24];
	size_t		 len;

	if ((data = read_all(path, &len)) == NULL) {
		fprintf(stderr, "is-admin: cannot read %s\n", path);
		return (1);
	}
	if (is_csv_students(data, len, &rows, &rejected, &why) == -1) {
		fprintf(stderr, "is-admin: %s\n", why);
		free(data);
		return (1);
	}
	free(data);
	hash = is_password_hash(auth_conf.initial_password, &auth_conf.scrypt);
	snprintf(days, sizeof(days), "%ld", auth_conf.initial_password_days);
	json = cJSON_PrintUnformatted(rows);
	res = call_json(db, "SELECT auth.import_students($1::jsonb, $2, NULL, "
	    "'cli', 'cli', $3::int)", 3, (const char *[]){ json, hash,
	    days });
	free(hash);
	cJSON_free(json);
	cJSON_Delete(rows);
	if (res == NULL || (doc = cJSON_Parse(res)) == NULL) {
		free(res);
		cJSON_Delete(rejected);
		return (1);
	}
	free(res);
	dbrej = cJSON_DetachItemFromObject(doc, "rejected");
	while (dbrej != NULL && cJSON_GetArraySize(dbrej) > 0) {
		item = cJSON_DetachItemFromArray(dbrej, 0);
		cJSON_AddItemToArray(rejected, item);
	}
	cJSON_Delete(dbrej);
	cJSON_AddItemToObject(doc, "rejected", rejected);
	out = cJSON_Print(doc);
	printf("%s\n", out);
	cJSON_free(out);
	cJSON_Delete(doc);
	return (0);
}

struct demo_staff {
	const char	*json;
};

/* Demo staff: one per role; the README lists them. */
static const char *const demo_staff[] = {
	"{\"staff_id\":\"A0001\",\"family_name\":\"ADMIN\",\"given_name\":"
	    "\"Demo\",\"roles\":[\"admin\"]}",
	"{\"staff_id\":\"T0001\",\"family_name\":\"WANG\",\"given_name\":"
	    "\"Lei\",\"school\":\"School of Computing\",\"roles\":[\"teacher\"]}",
	"{\"staff_id\":\"C0001\",\"family_name\":\"LI\",\"given_name\":"
	    "\"Na\",\"school\":\"School of Computing\",\"roles\":"
	    "[\"counsellor\"],\"students\":[\"2023S0001\",\"2023S0002\"]}",
	"{\"staff_id\":\"S0001\",\"family_name\":\"ZHAO\",\"given_name\":"
	    "\"Min\",\"school\":\"School of Computing\",\"roles\":[\"secretary\"]}",
	"{\"staff_id\":\"IO0001\",\"family_name\":\"CHEN\",\"given_name\":"
	    "\"Jing\",\"roles\":[\"io\"]}",
	"{\"staff_id\":\"F0001\",\"family_name\":\"SUN\",\"given_name\":"
	    "\"Hua\",\"roles\":[\"finance\"]}",
	"{\"staff_id\":\"L0001\",\"family_name\":\"ZHOU\",\"given_name\":"
	    "\"Qiang\",\"roles\":[\"leader\"]}",
	NULL
};

static const char demo_students[] =
    "[{\"student_id\":\"2023S0001\",\"family_name\":\"SMITH\","
    "\"given_name\":\"John\",\"school\":\"School of Computing\","
    "\"degree\":\"master\",\"cohort\":\"2023\",\"nationality\":\"UK\"},"
    "{\"student_id\":\"2023S0002\",\"family_name\":\"KHAN\","
    "\"given_name\":\"Aisha\",\"school\":\"School of Computing\","
    "\"degree\":\"phd\",\"cohort\":\"2023\",\"nationality\":\"Pakistan\"},"
    "{\"student_id\":\"2024S0003\",\"family_name\":\"NGUYEN\","
    "\"given_name\":\"Van An\",\"school\":\"School of Management\","
    "\"degree\":\"bachelor\",\"cohort\":\"2024\",\"nationality\":\"Vietnam\"},"
    "{\"student_id\":\"2025S0004\",\"family_name\":\"GARCIA\","
    "\"given_name\":\"Maria\",\"school\":\"School of Management\","
    "\"degree\":\"master\",\"cohort\":\"2025\",\"nationality\":\"Mexico\"}]";

static int
seed_demo(PGconn *db)
{
	const char	*demo_pw;
	char		*initial, *demo, *res, days[24];
	int		 i;

	/* Once, into an empty database: never again over accounts whose
	 * owners may have changed their passwords (the demo one is public). */
	if ((res = call_json(db, "SELECT count(*) FROM auth.accounts", 0,
	    NULL)) == NULL)
		return (1);
	i = strcmp(res, "0");
	free(res);
	if (i != 0) {
		printf("accounts exist: demo data left as it is\n");
		return (0);
	}
	demo_pw = is_config_get("demo.password", "Demo@2026pass");
	initial = is_password_hash(auth_conf.initial_password,
	    &auth_conf.scrypt);
	demo = is_password_hash(demo_pw, &auth_conf.scrypt);
	snprintf(days, sizeof(days), "%ld", auth_conf.initial_password_days);
	res = call_json(db, "SELECT auth.import_students($1::jsonb, $2, NULL, "
	    "'seed', 'cli', $3::int)", 3, (const char *[]){ demo_students,
	    initial, days });
	free(res);
	for (i = 0; demo_staff[i] != NULL; i++) {
		/* No activation: the demo password is set below. */
		res = call_json(db, "SELECT auth.staff_upsert($1::jsonb, NULL, "
		    "0, NULL, NULL, 'seed', 'cli')", 1,
		    (const char *[]){ demo_staff[i] });
		free(res);
	}
	/* Everyone but 2025S0004 uses the demo password, already changed. */
	res = call_json(db, "WITH u AS (UPDATE auth.accounts SET "
	    "password_hash = $1, must_change_password = false "
	    "WHERE login IN ('A0001','T0001','C0001','S0001','IO0001',"
	    "'F0001','L0001','2023S0001','2023S0002','2024S0003') "
	    "AND must_change_password RETURNING 1) SELECT count(*) FROM u",
	    1, (const char *[]){ demo });
	free(res);
	free(initial);
	free(demo);
	printf("demo data loaded\n");
	return (0);
}

/* Signs each claims line of stdin; the key file is the operator's proof. */
static int
mint_tokens(void)
{
	struct is_jwt_keys	 keys;
	struct is_claims	 claims;
	cJSON			*doc;
	char			*line = NULL, *token;
	size_t			 cap = 0;
	int			 rc = 0;

	memset(&keys, 0, sizeof(keys));
	if (is_jwt_keys_load(&keys, is_config_get("jwt.alg", "ES256"),
	    is_config_get("jwt.issuer", "is-system"),
	    is_config_get("jwt.audience", "is-api"),
	    is_config_get("jwt.private_key", ""),
	    is_config_get("jwt.public_key", ""),
	    is_config_get("jwt.previous_public_key", ""),
	    is_config_int("jwt.access_ttl", 900)) == -1) {
		fprintf(stderr, "is-admin: cannot load the JWT keys: %s\n",
		    is_jwt_error());
		return (1);
	}
	while (getline(&line, &cap, stdin) > 0) {
		doc = cJSON_Parse(line);
		if (doc == NULL || auth_claims_from_json(doc, &claims) == -1 ||
		    (token = is_jwt_sign(&keys, &claims, time(NULL))) == NULL) {
			fprintf(stderr, "is-admin: bad claims line\n");
			cJSON_Delete(doc);
			rc = 1;
			break;
		}
		printf("%s\n", token);
		free(token);
		cJSON_Delete(doc);
	}
	free(line);
	is_jwt_keys_free(&keys);
	return (rc);
}

int
main(int argc, char **argv)
{
	const char	*path;
	PGconn		*db;
	int		 rc;

	if ((path = getenv("IS_CONFIG")) != NULL && is_config_load(path) == -1) {
		fprintf(stderr, "is-admin: cannot read %s\n", path);
		return (1);
	}
	auth_conf_load(&auth_conf);
	if (argc == 2 && strcmp(argv[1], "mint-tokens") == 0)
		return (mint_tokens());
	if (argc == 3 && strcmp(argv[1], "import-students") == 0) {
		db = connect_db();
		rc = import_students(db, argv[2]);
	} else if (argc == 2 && strcmp(argv[1], "seed-demo") == 0) {
		db = connect_db();
		rc = seed_demo(db);
	} else {
		fprintf(stderr, "usage: is-admin import-students FILE | "
		    "seed-demo | mint-tokens\n");
		return (2);
	}
	PQfinish(db);
	return (rc);
}
