/*
 * is-deliverer: sends the messaging outbox. It waits on LISTEN
 * messaging_outbox (and polls each second for retries that came due),
 * claims due rows with FOR UPDATE SKIP LOCKED so several deliverers can run,
 * and sends each through its channel's transport:
 *   sink  development: store the message in messaging.dev_sink
 *   smtp  email over SMTP (libcurl)
 *   http  SMS through an HTTP gateway: POST {"to","text"} with a bearer key
 * Failures are retried with exponential backoff up to messaging.max_attempts,
 * then marked dead. Sensitive bodies (codes) are redacted once sent.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <libpq-fe.h>

#include "iscommon/config.h"
#include "iscommon/delivery.h"
#include "iscommon/log.h"

#define BATCH	20

static volatile sig_atomic_t	running = 1;

static const char *const sql_claim =
    "SELECT id, channel, recipient, subject, body, attempts"
    " FROM messaging.outbox WHERE status IN ('pending', 'failed')"
    " AND next_attempt_at <= now() ORDER BY id"
    " FOR UPDATE SKIP LOCKED LIMIT 20";
static const char *const sql_sent =
    "UPDATE messaging.outbox SET status = 'sent', sent_at = now(),"
    " attempts = attempts + 1, last_error = NULL,"
    " body = CASE WHEN sensitive THEN '[redacted]' ELSE body END"
    " WHERE id = $1::bigint";
static const char *const sql_failed =
    "UPDATE messaging.outbox SET attempts = attempts + 1, last_error = $2,"
    " status = CASE WHEN attempts + 1 >= $3::int THEN 'dead' ELSE 'failed' END,"
    " next_attempt_at = now() + make_interval(secs =>"
    "  $4::int * power(2, attempts)) WHERE id = $1::bigint";
static const char *const sql_sink =
    "INSERT INTO messaging.dev_sink (outbox_id, channel, recipient, subject,"
    " body) VALUES ($1::bigint, $2, $3, $4, $5)";

static void
on_signal(int sig)
{
	(void)sig;
	running = 0;
}

static int
exec_ok(PGconn *db, const char *sql, int n, const char *const *params)
{
	PGresult	*res;
	int		 ok;

	res = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		is_log("error", NULL, "deliverer: %s", PQerrorMessage(db));
	PQclear(res);
	return (ok ? 0 : -1);
}

static int
send_sms_http(const char *to, const char *text, char *err, size_t errlen)
{
	cJSON	*doc;
	char	*body, *resp = NULL, auth[300];
	int	 status;

	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "to", to);
	cJSON_AddStringToObject(doc, "text", text);
	body = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	snprintf(auth, sizeof(auth), "Bearer %s",
	    is_config_get("sms.api_key", ""));
	status = is_http_request(is_config_get("sms.url", ""),
	    "application/json", body, auth, 10, &resp);
	cJSON_free(body);
	free(resp);
	if (status < 200 || status > 299) {
		snprintf(err, errlen, "sms gateway answered %d", status);
		return (-1);
	}
	return (0);
}

/* Sends one message; 0 on success, -1 with err filled. */
static int
deliver(PGconn *db, const char *id, const char *channel, const char *to,
    const char *subject, const char *body, char *err, size_t errlen)
{
	struct is_smtp_conf	 smtp;
	const char		*transport;

	transport = strcmp(channel, "email") == 0 ?
	    is_config_get("messaging.email_transport", "sink") :
	    is_config_get("messaging.sms_transport", "sink");
	if (strcmp(transport, "sink") == 0) {
		if (exec_ok(db, sql_sink, 5, (const char *[]){ id, channel, to,
		    subject, body }) == -1) {
			snprintf(err, errlen, "sink insert failed");
			return (-1);
		}
		return (0);
	}
	if (strcmp(channel, "email") == 0 && strcmp(transport, "smtp") == 0) {
		smtp.url = is_config_get("smtp.url", "smtp://127.0.0.1:25");
		smtp.user = is_config_get("smtp.user", "");
		smtp.password = is_config_get("smtp.password", "");
		smtp.from = is_config_get("smtp.from", "noreply@localhost");
		smtp.timeout_s = 15;
		return (is_smtp_send(&smtp, to, subject, body, err, errlen));
	}
	if (strcmp(channel, "sms") == 0 && strcmp(transport, "http") == 0)
		return (send_sms_http(to, body, err, errlen));
	snprintf(err, errlen, "no transport %s for %s", transport, channel);
	return (-1);
}

/* Claims and sends one batch; returns how many rows it handled. */
static int
process_batch(PGconn *db)
{
	PGresult	*res;
	char		 err[256], max[16], base[16];
	int		 i, n;

	if (exec_ok(db, "BEGIN", 0, NULL) == -1)
		return (-1);
	res = PQexec(db, sql_claim);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		is_log("error", NULL, "deliverer: %s", PQerrorMessage(db));
		PQclear(res);
		(void)exec_ok(db, "ROLLBACK", 0, NULL);
		return (-1);
	}
	snprintf(max, sizeof(max), "%ld",
	    is_config_int("messaging.max_attempts", 6));
	snprintf(base, sizeof(base), "%ld",
	    is_config_int("messaging.backoff_base", 5));
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		const char *id = PQgetvalue(res, i, 0);
		err[0] = '\0';
		if (deliver(db, id, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 3), PQgetvalue(res, i, 4), err,
		    sizeof(err)) == 0) {
			(void)exec_ok(db, sql_sent, 1, (const char *[]){ id });
		} else {
			is_log("warn", NULL, "delivery %s failed: %s", id, err);
			(void)exec_ok(db, sql_failed, 4,
			    (const char *[]){ id, err, max, base });
		}
	}
	PQclear(res);
	if (exec_ok(db, "COMMIT", 0, NULL) == -1)
		return (-1);
	return (n);
}

static void
wait_for_work(PGconn *db)
{
	PGnotify	*note;
	fd_set		 rfds;
	struct timeval	 tv;
	int		 fd;

	fd = PQsocket(db);
	FD_ZERO(&rfds);
	FD_SET(fd, &rfds);
	tv.tv_sec = 1;
	tv.tv_usec = 0;
	if (select(fd + 1, &rfds, NULL, NULL, &tv) > 0) {
		PQconsumeInput(db);
		while ((note = PQnotifies(db)) != NULL)
			PQfreemem(note);
	}
}

int
main(void)
{
	const char	*path, *base;
	char		 conninfo[1024];
	PGconn		*db = NULL;

	is_log_init("deliverer");
	if ((path = getenv("IS_CONFIG")) != NULL && is_config_load(path) == -1) {
		is_log("error", NULL, "cannot read %s", path);
		return (1);
	}
	/* The sink keeps messages, codes included, readable: a development
	 * stack's (messaging.dev_sink = 1), never by default. */
	if ((strcmp(is_config_get("messaging.email_transport", "sink"),
	    "sink") == 0 || strcmp(is_config_get("messaging.sms_transport",
	    "sink"), "sink") == 0) &&
	    is_config_int("messaging.dev_sink", 0) != 1) {
		is_log("error", NULL, "transport \"sink\" without "
		    "messaging.dev_sink = 1: set messaging.email_transport = "
		    "smtp and messaging.sms_transport = http");
		is_log_flush();
		return (1);
	}
	/* messaging's own role; named in pg_stat_activity. */
	if ((base = is_config_conninfo("messaging")) == NULL) {
		is_log("error", NULL, "messaging.db_conninfo is not set");
		return (1);
	}
	if ((size_t)snprintf(conninfo, sizeof(conninfo),
	    "%s application_name=is-deliverer", base) >= sizeof(conninfo)) {
		is_log("error", NULL, "messaging.db_conninfo is too long");
		return (1);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	while (running) {
		if (db == NULL || PQstatus(db) != CONNECTION_OK) {
			if (db != NULL)
				PQfinish(db);
			db = PQconnectdb(conninfo);
			if (PQstatus(db) != CONNECTION_OK ||
			    exec_ok(db, "LISTEN messaging_outbox", 0, NULL)) {
				is_log("error", NULL, "deliverer: no database");
				sleep(1);
				continue;
			}
			is_log("info", NULL, "deliverer ready");
		}
		while (running && process_batch(db) == BATCH)
			;
		if (running)
			wait_for_work(db);
	}
	PQfinish(db);
	curl_global_cleanup();
	return (0);
}
