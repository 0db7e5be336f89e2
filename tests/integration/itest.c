/* Integration-test helpers; see itest.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <libpq-fe.h>

#include "itest.h"
#include "iscommon/config.h"
#include "iscommon/crypto.h"
#include "iscommon/strutil.h"

static const char	*base_url;
static PGconn		*db;

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct is_buf	*b = arg;

	is_buf_append(b, p, size * n);
	return (size * n);
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct it_resp	*r = arg;
	size_t		 len = size * n;
	char		 line[256];

	if (len >= sizeof(line))
		return (len);
	memcpy(line, p, len);
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncasecmp(line, "content-type: ", 14) == 0)
		snprintf(r->ctype, sizeof(r->ctype), "%.127s", line + 14);
	else if (strncasecmp(line, "cache-control: ", 15) == 0) {
		r->cache_controls++;
		snprintf(r->cache_control, sizeof(r->cache_control), "%.63s",
		    line + 15);
	} else if (strncasecmp(line, "retry-after: ", 13) == 0)
		snprintf(r->retry_after, sizeof(r->retry_after), "%.31s",
		    line + 13);
	else if (strncasecmp(line, "x-request-id: ", 14) == 0)
		snprintf(r->request_id, sizeof(r->request_id), "%.79s",
		    line + 14);
	else if (strncasecmp(line, "etag: ", 6) == 0)
		snprintf(r->etag, sizeof(r->etag), "%.63s", line + 6);
	else if (strncasecmp(line, "content-disposition: ", 21) == 0)
		snprintf(r->disposition, sizeof(r->disposition), "%.127s",
		    line + 21);
	else if (strcasecmp(line, "x-content-type-options: nosniff") == 0)
		r->nosniff++;
	return (len);
}

void
it_init(void)
{
	const char	*cfg;

	base_url = getenv("IS_TEST_URL");
	if (base_url == NULL)
		base_url = "http://127.0.0.1:18080";
	if ((cfg = getenv("IS_TEST_CONFIG")) == NULL ||
	    is_config_load(cfg) == -1) {
		fprintf(stderr, "IS_TEST_CONFIG must name the stack's is.conf\n");
		exit(1);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* One request's handle, its headers and body buffer. */
struct it_call {
	CURL			*curl;
	struct curl_slist	*hdrs;
	struct is_buf		 body;
	struct it_resp		*resp;
	char			 method[8];
	char			 path[512];	/* "" for a whole URL */
	char			*request;	/* a JSON body sent, for the log */
};

static pthread_mutex_t	contract_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Every answer through nginx is written to $IS_TEST_CONTRACT_LOG (one JSON
 * line each), which tests/check_responses.py checks against the contract
 * once all tests have run.
 */
static void
contract_log(const struct it_call *call, const struct it_resp *r)
{
	const char	*file = getenv("IS_TEST_CONTRACT_LOG");
	cJSON		*line;
	char		*text;
	FILE		*f;

	if (file == NULL || call->path[0] == '\0' || r->status == 0)
		return;
	line = cJSON_CreateObject();
	cJSON_AddStringToObject(line, "method", call->method);
	cJSON_AddStringToObject(line, "path", call->path);
	cJSON_AddNumberToObject(line, "status", (double)r->status);
	cJSON_AddStringToObject(line, "ctype", r->ctype);
	if (strstr(r->ctype, "json") != NULL && r->body != NULL)
		cJSON_AddStringToObject(line, "body", r->body);
	if (call->request != NULL)
		cJSON_AddStringToObject(line, "request", call->request);
	text = cJSON_PrintUnformatted(line);
	pthread_mutex_lock(&contract_lock);
	if ((f = fopen(file, "a")) != NULL) {
		fprintf(f, "%s\n", text);
		fclose(f);
	}
	pthread_mutex_unlock(&contract_lock);
	cJSON_free(text);
	cJSON_Delete(line);
}

/*
 * Creates (or updates) a member of staff with the admin's token and body,
 * activates the account with the one-time secret the answer carries, and
 * returns the holder's access token after a login with password.
 */
char *
it_new_staff(const char *admin, const char *json, const char *id,
    const char *password)
{
	struct it_resp	 r;
	char		 body[512];
	cJSON		*act;

	it_post("/api/v1/auth/admin/staff", admin, json, &r);
	act = cJSON_GetObjectItem(r.json, "activation");
	if (r.status != 200 || act == NULL) {
		print_error("staff: %ld %s\n", r.status, r.body);
		it_free(&r);
		return (NULL);
	}
	snprintf(body, sizeof(body), "{\"account\":\"%s\",\"secret\":\"%s\","
	    "\"new_password\":\"%s\"}", id, cJSON_GetStringValue(
	    cJSON_GetObjectItem(act, "secret")), password);
	it_free(&r);
	it_post("/api/v1/auth/activate", NULL, body, &r);
	if (r.status != 200) {
		print_error("activate: %ld %s\n", r.status, r.body);
		it_free(&r);
		return (NULL);
	}
	it_free(&r);
	return (it_login(id, password, NULL));
}

/*
 * Fails logins of account (wrong password) until its lane locks: 401s,
 * and 429 login-slow-down answers waited out (Retry-After). Returns how
 * many slow-downs it met; fails the test if no lock comes.
 */
int
it_fail_login_until_locked(const char *account)
{
	struct it_resp	r;
	char		json[256];
	int		i, slowed = 0, locked = 0;

	snprintf(json, sizeof(json), "{\"account\":\"%s\",\"password\":"
	    "\"wrong-pass-1\"}", account);
	for (i = 0; i < 40 && !locked; i++) {
		it_post("/api/v1/auth/login", NULL, json, &r);
		if (r.status == 429 && strcmp(it_str(&r, "code"),
		    "login-slow-down") == 0) {
			slowed++;
			assert_true(atoi(r.retry_after) > 0);
			usleep((useconds_t)atoi(r.retry_after) * 1000000);
		} else if (r.status == 429) {
			it_assert_problem(&r, 429, "account-locked");
			locked = 1;
		} else
			it_assert_problem(&r, 401, "invalid-credentials");
		it_free(&r);
	}
	assert_true(locked);
	return (slowed);
}

/* The loopback address requests come from ("": the system's choice). */
static char	source_address[64];
/* One more request header ("If-Match: \"3\""), "": none. */
static char	extra_header[256];

void
it_set_header(const char *line)
{
	snprintf(extra_header, sizeof(extra_header), "%s",
	    line != NULL ? line : "");
}

void
it_set_source(const char *address)
{
	snprintf(source_address, sizeof(source_address), "%s",
	    address != NULL ? address : "");
}

static void
call_setup(struct it_call *call, const char *method, const char *path,
    const char *token, const char *ctype, const char *body, size_t len,
    struct it_resp *r)
{
	char	url[1024], h[4200];

	memset(r, 0, sizeof(*r));
	memset(call, 0, sizeof(*call));
	call->resp = r;
	snprintf(call->method, sizeof(call->method), "%s", method);
	if (strncmp(path, "http://", 7) != 0)
		snprintf(call->path, sizeof(call->path), "%s", path);
	/* (Bad-input tests send bytes that are not UTF-8: not logged.) */
	if (body != NULL && ctype != NULL &&
	    strcmp(ctype, "application/json") == 0 && len < 4096 &&
	    is_utf8_valid(body, len))
		call->request = strndup(body, len);
	is_buf_init(&call->body);
	/* A path, through nginx; or a whole URL (a service's own port). */
	snprintf(url, sizeof(url), "%s%s", strncmp(path, "http://", 7) == 0 ?
	    "" : base_url, path);
	call->curl = curl_easy_init();
	if (token != NULL) {
		snprintf(h, sizeof(h), "Authorization: Bearer %s", token);
		call->hdrs = curl_slist_append(call->hdrs, h);
	}
	if (ctype != NULL) {
		snprintf(h, sizeof(h), "Content-Type: %s", ctype);
		call->hdrs = curl_slist_append(call->hdrs, h);
	}
	if (extra_header[0] != '\0')
		call->hdrs = curl_slist_append(call->hdrs, extra_header);
	call->hdrs = curl_slist_append(call->hdrs, "Expect:");
	curl_easy_setopt(call->curl, CURLOPT_URL, url);
	if (source_address[0] != '\0')
		curl_easy_setopt(call->curl, CURLOPT_INTERFACE, source_address);
	/* A browser would send one; sessions and login requests show it. */
	curl_easy_setopt(call->curl, CURLOPT_USERAGENT, "is-itest (libcurl)");
	curl_easy_setopt(call->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(call->curl, CURLOPT_HTTPHEADER, call->hdrs);
	if (body != NULL) {
		curl_easy_setopt(call->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(call->curl, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	curl_easy_setopt(call->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(call->curl, CURLOPT_WRITEDATA, &call->body);
	curl_easy_setopt(call->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(call->curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(call->curl, CURLOPT_TIMEOUT, 30L);
}

long
it_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* The status of GET path with tok, the same on n asks (so each worker
 * answers); -1 when the answers differ. */
long
it_status_of(const char *path, const char *tok, int n)
{
	struct it_resp	r;
	long		status = 0;
	int		i;

	for (i = 0; i < n; i++) {
		it_get(path, tok, &r);
		if (status == 0)
			status = r.status;
		else if (r.status != status)
			status = -1;
		it_free(&r);
	}
	return (status);
}

/* POSTs json to path with tok: the status, or the problem code, expected. */
void
it_assert_post(const char *path, const char *tok, const char *json,
    long status, const char *code)
{
	struct it_resp	r;

	it_post(path, tok, json, &r);
	if (code != NULL)
		it_assert_problem(&r, status, code);
	else
		assert_int_equal(r.status, status);
	it_free(&r);
}

/* Fills the response from a finished call and frees the call. */
static void
call_finish(struct it_call *call, CURLcode rc)
{
	struct it_resp	*r = call->resp;

	if (rc == CURLE_OK)
		curl_easy_getinfo(call->curl, CURLINFO_RESPONSE_CODE,
		    &r->status);
	curl_slist_free_all(call->hdrs);
	curl_easy_cleanup(call->curl);
	if (call->body.data == NULL)
		is_buf_append(&call->body, "", 0);
	r->body = call->body.data;
	r->len = call->body.len;
	r->json = cJSON_Parse(call->body.data);
	contract_log(call, r);
	free(call->request);
}

int
it_request(const char *method, const char *path, const char *token,
    const char *ctype, const char *body, size_t len, struct it_resp *r)
{
	struct it_call	call;
	CURLcode	rc;

	call_setup(&call, method, path, token, ctype, body, len, r);
	rc = curl_easy_perform(call.curl);
	call_finish(&call, rc);
	return (rc == CURLE_OK ? 0 : -1);
}

void
it_post_all(int n, const char *path, char *const *tokens,
    char *const *bodies, struct it_resp *out)
{
	it_post_all_within(n, path, tokens, bodies, out, 0);
}

/*
 * n JSON POSTs to path at once, each on its own connection, with
 * tokens[i] and bodies[i]; out[i] is the answer to the i-th (status 0
 * when the request failed). Returns when all are answered, or when
 * timeout_ms (when > 0) has passed: the rest are abandoned, as clients
 * that give up.
 */
void
it_post_all_within(int n, const char *path, char *const *tokens,
    char *const *bodies, struct it_resp *out, long timeout_ms)
{
	struct it_call	*calls, *call;
	CURLM		*multi;
	CURLMsg		*msg;
	int		 i, running, left;

	calls = calloc((size_t)n, sizeof(*calls));
	multi = curl_multi_init();
	for (i = 0; i < n; i++) {
		call_setup(&calls[i], "POST", path, tokens[i],
		    "application/json", bodies[i], strlen(bodies[i]), &out[i]);
		curl_easy_setopt(calls[i].curl, CURLOPT_PRIVATE, &calls[i]);
		curl_easy_setopt(calls[i].curl, CURLOPT_FRESH_CONNECT, 1L);
		if (timeout_ms > 0)
			curl_easy_setopt(calls[i].curl, CURLOPT_TIMEOUT_MS,
			    timeout_ms);
		curl_multi_add_handle(multi, calls[i].curl);
	}
	do {
		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&call);
			curl_multi_remove_handle(multi, call->curl);
			call_finish(call, msg->data.result);
		}
		if (running)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	} while (running);
	curl_multi_cleanup(multi);
	free(calls);
}

int
it_get(const char *path, const char *token, struct it_resp *r)
{
	return (it_request("GET", path, token, NULL, NULL, 0, r));
}

int
it_post(const char *path, const char *token, const char *json,
    struct it_resp *r)
{
	return (it_request("POST", path, token, "application/json", json,
	    json ? strlen(json) : 0, r));
}

void
it_free(struct it_resp *r)
{
	free(r->body);
	cJSON_Delete(r->json);
	memset(r, 0, sizeof(*r));
}

const char *
it_str(struct it_resp *r, const char *name)
{
	const cJSON	*item;

	item = cJSON_GetObjectItemCaseSensitive(r->json, name);
	return (cJSON_IsString(item) ? item->valuestring : NULL);
}

void
it_assert_problem(struct it_resp *r, long status, const char *code)
{
	const char	*got;

	if (r->status != status)
		fail_msg("expected %ld %s, got %ld: %s", status, code,
		    r->status, r->body);
	if (strncmp(r->ctype, "application/problem+json", 24) != 0)
		fail_msg("expected problem+json, got '%s': %s", r->ctype,
		    r->body);
	got = it_str(r, "code");
	if (got == NULL || strcmp(got, code) != 0)
		fail_msg("expected problem %s: %s", code, r->body);
	assert_non_null(it_str(r, "type"));
	assert_non_null(it_str(r, "title"));
}

void
it_unique(char *out, size_t len, const char *prefix)
{
	static const char	 alnum[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	char			*tok;
	size_t			 i, n;

	tok = is_random_token(16);
	n = snprintf(out, len, "%s", prefix);
	for (i = 0; n + 1 < len && i < 8; i++, n++)
		out[n] = alnum[(unsigned char)tok[i] % (sizeof(alnum) - 1)];
	out[n] = '\0';
	free(tok);
}

const char *
it_demo_password(void)
{
	return (is_config_get("demo.password", "Demo@2026pass"));
}

const char *
it_initial_password(void)
{
	return (is_config_get("auth.initial_password", "Welcome@HIT2026"));
}

char *
it_login(const char *account, const char *password, char **refresh)
{
	struct it_resp	 r;
	cJSON		*body;
	char		*json, *token = NULL;

	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "account", account);
	cJSON_AddStringToObject(body, "password", password);
	json = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	it_post("/api/v1/auth/login", NULL, json, &r);
	cJSON_free(json);
	if (r.status == 200 && it_str(&r, "access_token") != NULL) {
		token = strdup(it_str(&r, "access_token"));
		if (refresh != NULL)
			*refresh = strdup(it_str(&r, "refresh_token"));
	} else
		print_error("login %s failed: %ld %s\n", account, r.status,
		    r.body);
	it_free(&r);
	return (token);
}

char *
it_admin_token(void)
{
	return (it_login("A0001", it_demo_password(), NULL));
}

char *
it_new_student(char *id, size_t len, const char *password)
{
	struct it_resp	 r;
	char		 csv[512], json[512], *admin, *first, *token = NULL;

	it_unique(id, len, "T");
	admin = it_admin_token();
	snprintf(csv, sizeof(csv), "student_id,family_name,given_name,school,"
	    "degree,cohort\n%s,TESTER,Ann,School of Computing,master,2024\n",
	    id);
	it_request("POST", "/api/v1/auth/admin/students/import", admin,
	    "text/csv", csv, strlen(csv), &r);
	free(admin);
	if (r.status != 200) {
		print_error("import failed: %ld %s\n", r.status, r.body);
		it_free(&r);
		return (NULL);
	}
	it_free(&r);
	first = it_login(id, it_initial_password(), NULL);
	if (first == NULL)
		return (NULL);
	snprintf(json, sizeof(json), "{\"current_password\":\"%s\","
	    "\"new_password\":\"%s\"}", it_initial_password(), password);
	it_post("/api/v1/auth/me/password", first, json, &r);
	if (r.status == 200 && it_str(&r, "access_token") != NULL)
		token = strdup(it_str(&r, "access_token"));
	else
		print_error("password change failed: %s\n", r.body);
	it_free(&r);
	free(first);
	return (token);
}

/* Polls the development sink for the newest message to recipient and
 * returns the first 6-digit run in it. */
char *
it_sink_code(const char *recipient)
{
	struct it_resp	 r;
	char		 path[512], *admin, *esc, *code = NULL;
	const char	*body, *p;
	cJSON		*first;
	int		 i, k;

	admin = it_admin_token();
	esc = curl_easy_escape(NULL, recipient, 0);
	snprintf(path, sizeof(path), "/api/v1/messaging/dev/sink?to=%s&limit=1",
	    esc);
	curl_free(esc);
	for (i = 0; i < 50 && code == NULL; i++) {
		it_get(path, admin, &r);
		first = cJSON_GetArrayItem(r.json, 0);
		body = first ? cJSON_GetStringValue(
		    cJSON_GetObjectItem(first, "body")) : NULL;
		for (p = body; p != NULL && *p != '\0'; p++) {
			for (k = 0; k < 6 && p[k] >= '0' && p[k] <= '9'; k++)
				;
			if (k == 6) {
				code = strndup(p, 6);
				break;
			}
		}
		it_free(&r);
		if (code == NULL)
			usleep(100000);
	}
	free(admin);
	return (code);
}

/* Lines of the stack's file (below its run folder) that contain needle. */
static int
run_file_count(const char *file, const char *needle)
{
	const char	*run = getenv("IS_TEST_RUN");
	char		 path[512], line[8192];
	FILE		*f;
	int		 n = 0;

	if (run == NULL)
		fail_msg("IS_TEST_RUN must name the stack");
	snprintf(path, sizeof(path), "%s/%s", run, file);
	if ((f = fopen(path, "r")) == NULL)
		fail_msg("cannot read %s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, needle) != NULL)
			n++;
	}
	fclose(f);
	return (n);
}

int
it_log_count(const char *service, const char *needle)
{
	char	file[128];

	snprintf(file, sizeof(file), "logs/%s.log", service);
	return (run_file_count(file, needle));
}

int
it_access_count(const char *needle)
{
	return (run_file_count("nginx/access.log", needle));
}

int
it_close_wait(int port)
{
	char		 line[512];
	FILE		*f;
	unsigned int	 lport, state;
	int		 n = 0;

	if ((f = fopen("/proc/net/tcp", "r")) == NULL)
		fail_msg("cannot read /proc/net/tcp");
	while (fgets(line, sizeof(line), f) != NULL) {
		/* "  sl  local_address rem_address   st ..." */
		if (sscanf(line, " %*d: %*8x:%4x %*8x:%*4x %2x", &lport,
		    &state) == 2 && (int)lport == port && state == 0x08)
			n++;
	}
	fclose(f);
	return (n);
}

int
it_worker_deaths(const char *service)
{
	return (it_log_count(service, "exited with status") +
	    it_log_count(service, "exited due to"));
}

int
it_wait_port(const char *port, int seconds)
{
	struct sockaddr_in	sin;
	int			fd, i, ok = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(port));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < seconds * 20 && !ok; i++) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			break;
		ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		close(fd);
		if (!ok)
			usleep(50000);
	}
	return (ok ? 0 : -1);
}

/*
 * A connection string to the stack's database as role, over the cluster's
 * own socket (which trusts local users): "postgres" for checks that look
 * past every service's rights, is_<service> to try a service's rights.
 * Lives until the next call.
 */
const char *
it_db_conninfo(const char *role)
{
	static char	buf[512];
	const char	*run = getenv("IS_TEST_RUN"), *port = getenv("IS_PG_PORT");

	if (run == NULL || port == NULL)
		fail_msg("IS_TEST_RUN and IS_PG_PORT must name the stack");
	snprintf(buf, sizeof(buf), "host=%s/pgsock port=%s dbname=isys "
	    "user=%s", run, port, role);
	return (buf);
}

struct pg_conn *
it_lock_table(const char *table)
{
	PGconn		*locker;
	PGresult	*res;
	char		 sql[256];

	locker = PQconnectdb(it_db_conninfo("postgres"));
	if (PQstatus(locker) != CONNECTION_OK)
		fail_msg("database: %s", PQerrorMessage(locker));
	snprintf(sql, sizeof(sql), "BEGIN; LOCK TABLE %s IN ACCESS EXCLUSIVE "
	    "MODE", table);
	res = PQexec(locker, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("lock %s: %s", table, PQerrorMessage(locker));
	PQclear(res);
	return (locker);
}

void
it_unlock_table(struct pg_conn *locker)
{
	PQclear(PQexec(locker, "ROLLBACK"));
	PQfinish(locker);
}

/* Runs a one-value SQL query (one text parameter) against the stack's DB. */
long
it_sql_long(const char *sql, const char *param)
{
	PGresult	*res;
	long		 v = -1;

	if (db == NULL) {
		db = PQconnectdb(it_db_conninfo("postgres"));
		if (PQstatus(db) != CONNECTION_OK)
			fail_msg("database: %s", PQerrorMessage(db));
	}
	res = PQexecParams(db, sql, param ? 1 : 0, NULL,
	    param ? (const char *[]){ param } : NULL, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = atol(PQgetvalue(res, 0, 0));
	else
		print_error("sql: %s\n", PQerrorMessage(db));
	PQclear(res);
	return (v);
}

/* Calls the fake WeChat's control API. */
cJSON *
it_wx_fake(const char *path, const char *json)
{
	struct is_buf	 b;
	CURL		*curl;
	char		 url[256];
	struct curl_slist *h = NULL;
	cJSON		*doc;

	snprintf(url, sizeof(url), "%s%s", is_config_get("wechat.api_base", ""),
	    path);
	is_buf_init(&b);
	curl = curl_easy_init();
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fwrite);
	{
		FILE *fp = open_memstream(&b.data, &b.len);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, fp);
		curl_easy_perform(curl);
		fclose(fp);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(curl);
	doc = cJSON_Parse(b.data);
	free(b.data);
	return (doc);
}

/* Scans the QR behind qr_url with WeChat identity openid. */
long
it_wx_scan(const char *qr_url, const char *user, int subscribe)
{
	char	 json[512], *ticket;
	int	 n;
	cJSON	*doc;
	long	 status;

	ticket = curl_easy_unescape(NULL, strstr(qr_url, "ticket=") + 7, 0, &n);
	snprintf(json, sizeof(json), "{\"ticket\":\"%s\",\"user\":\"%s\","
	    "\"subscribe\":%s}", ticket, user, subscribe ? "true" : "false");
	curl_free(ticket);
	doc = it_wx_fake("/fake/scan", json);
	status = doc ? (long)cJSON_GetObjectItem(doc, "status")->valuedouble : -1;
	cJSON_Delete(doc);
	return (status);
}

char *
it_wx_code(const char *user)
{
	char	 json[128], *code;
	cJSON	*doc;

	snprintf(json, sizeof(json), "{\"user\":\"%s\"}", user);
	doc = it_wx_fake("/fake/code", json);
	code = strdup(cJSON_GetObjectItem(doc, "code")->valuestring);
	cJSON_Delete(doc);
	return (code);
}

/* The fake's name for user in one app: "oa_openid", "mp_openid" or
 * "unionid". */
char *
it_wx_id(const char *user, const char *which)
{
	char	 json[128], *id;
	cJSON	*doc;

	snprintf(json, sizeof(json), "{\"user\":\"%s\"}", user);
	doc = it_wx_fake("/fake/ids", json);
	assert_non_null(doc);
	id = strdup(cJSON_GetObjectItem(doc, which)->valuestring);
	cJSON_Delete(doc);
	return (id);
}

int
it_mp_login(const char *openid, struct it_resp *r)
{
	char	json[128], *code;

	code = it_wx_code(openid);
	snprintf(json, sizeof(json), "{\"code\":\"%s\"}", code);
	free(code);
	return (it_post("/api/v1/auth/wechat/miniprogram/login", NULL, json, r));
}

/* Binds openid to the caller; returns the HTTP status of the scan. */
long
it_wx_bind(const char *tok, const char *body, const char *openid)
{
	struct it_resp	r;
	long		status;

	it_post("/api/v1/auth/wechat/bind-ticket", tok, body, &r);
	assert_int_equal(r.status, 201);
	assert_non_null(strstr(it_str(&r, "qr_url"), "showqrcode?ticket="));
	status = it_wx_scan(it_str(&r, "qr_url"), openid, 0);
	it_free(&r);
	return (status);
}

/* Binds a fresh WeChat identity to the account of tok and logs in from
 * the mini-program with it; returns the mini-program access token. */
char *
it_mp_token(const char *tok, char *openid, size_t len)
{
	struct it_resp	 r;
	char		*mp = NULL;

	it_unique(openid, len, "oWX");
	if (it_wx_bind(tok, "{\"confirm_rebind\":true}", openid) != 200)
		return (NULL);
	it_mp_login(openid, &r);
	if (r.status == 200)
		mp = strdup(it_str(&r, "access_token"));
	it_free(&r);
	return (mp);
}

/* Like it_sql_long for a text value; malloc'd, NULL when there is none. */
char *
it_sql_text(const char *sql, const char *param)
{
	PGresult	*res;
	char		*v = NULL;

	if (it_sql_long("SELECT 1", NULL) != 1)
		return (NULL);
	res = PQexecParams(db, sql, param ? 1 : 0, NULL,
	    param ? (const char *[]){ param } : NULL, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    !PQgetisnull(res, 0, 0))
		v = strdup(PQgetvalue(res, 0, 0));
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		print_error("sql: %s\n", PQerrorMessage(db));
	PQclear(res);
	return (v);
}
