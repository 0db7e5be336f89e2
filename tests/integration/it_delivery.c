/*
 * The delivery outbox end to end with the real protocol clients: email over
 * SMTP to tests/fakes/fake_smtp.py and SMS through the HTTP gateway client
 * to tests/fakes/fake_sms.py, with retries, exponential backoff and dead
 * letters. It runs its own is-deliverer on its own database (created in the
 * test stack's cluster), so the stack's development sink does not compete.
 */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <libpq-fe.h>

#include "itest.h"
#include "iscommon/config.h"

#define SMTP_PORT	"18195"
#define SMS_PORT	"18196"

static PGconn	*db;
static pid_t	 pids[3];
static char	 dir[] = "/tmp/is-delivery-XXXXXX";
static char	 conf_path[256];

static pid_t
spawn(char *const argv[], const char *config)
{
	pid_t	pid;

	if ((pid = fork()) == 0) {
		if (config != NULL)
			setenv("IS_CONFIG", config, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	return (pid);
}

static char *
outbox_value(const char *id, const char *column)
{
	char		 sql[256];
	PGresult	*res;
	char		*v = NULL;

	snprintf(sql, sizeof(sql), "SELECT %s::text FROM messaging.outbox "
	    "WHERE id = $1::bigint", column);
	res = PQexecParams(db, sql, 1, NULL, (const char *[]){ id }, NULL,
	    NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    !PQgetisnull(res, 0, 0))
		v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return (v);
}

static char *
enqueue(const char *channel, const char *to, const char *subject,
    const char *body)
{
	PGresult	*res;
	char		*id;

	res = PQexecParams(db, "SELECT messaging.enqueue($1, $2, $3, $4, NULL, "
	    "true, 'it-delivery')", 4, NULL,
	    (const char *[]){ channel, to, subject, body }, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	id = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return (id);
}

/* Waits up to 20 s for the row to reach status. */
static void
wait_status(const char *id, const char *status)
{
	char	*now = NULL;
	int	 i;

	for (i = 0; i < 200; i++) {
		free(now);
		now = outbox_value(id, "status");
		if (now != NULL && strcmp(now, status) == 0)
			break;
		usleep(100000);
	}
	if (now == NULL || strcmp(now, status) != 0)
		fail_msg("outbox %s: status %s, expected %s", id,
		    now ? now : "(none)", status);
	free(now);
}

static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*buf;
	size_t	 n;

	if ((fp = fopen(path, "r")) == NULL)
		return (NULL);
	buf = calloc(1, 65536);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return (buf);
}

static int
setup(void **state)
{
	const char	*run, *port;
	char		 cmd[2048], conninfo[512], sock[256], smtp_dir[300];
	char		 sms_dir[300], deliverer[] = IS_DELIVERER_BIN;
	const char	*stack_conninfo, *pw;
	FILE		*fp;

	(void)state;
	run = getenv("IS_TEST_RUN");
	port = getenv("IS_PG_PORT");
	assert_non_null(run);
	assert_non_null(port);
	assert_non_null(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(sock, sizeof(sock), "%s/pgsock", run);
	snprintf(cmd, sizeof(cmd), "psql -X -q -h %s -p %s -U postgres -d "
	    "postgres -c 'DROP DATABASE IF EXISTS isys_delivery' -c 'CREATE "
	    "DATABASE isys_delivery OWNER is_migrator' && %s/deploy/migrate.sh "
	    "'host=%s port=%s dbname=isys_delivery user=is_migrator' "
	    ">/dev/null", sock, port, IS_SOURCE_DIR, sock, port);
	assert_int_equal(system(cmd), 0);

	/* The deliverer as it runs: messaging's role, its password. */
	stack_conninfo = is_config_conninfo("messaging");
	assert_non_null(stack_conninfo);
	pw = strstr(stack_conninfo, "password=");
	assert_non_null(pw);
	snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%s "
	    "dbname=isys_delivery user=is_messaging %.*s", port,
	    (int)strcspn(pw, " "), pw);
	snprintf(cmd, sizeof(cmd), "host=%s port=%s dbname=isys_delivery "
	    "user=postgres", sock, port);
	db = PQconnectdb(cmd);
	assert_int_equal(PQstatus(db), CONNECTION_OK);

	snprintf(smtp_dir, sizeof(smtp_dir), "%s/smtp", dir);
	snprintf(sms_dir, sizeof(sms_dir), "%s/sms", dir);
	mkdir(smtp_dir, 0755);
	mkdir(sms_dir, 0755);
	snprintf(conf_path, sizeof(conf_path), "%s/deliverer.conf", dir);
	fp = fopen(conf_path, "w");
	fprintf(fp, "messaging.db_conninfo = %s\n"
	    "messaging.email_transport = smtp\n"
	    "smtp.url = smtp://127.0.0.1:" SMTP_PORT "\n"
	    "smtp.from = noreply@hit.edu.cn\n"
	    "messaging.sms_transport = http\n"
	    "sms.url = http://127.0.0.1:" SMS_PORT "/v1/sms/send\n"
	    "sms.api_key = k-test\n"
	    "messaging.max_attempts = 3\n"
	    "messaging.backoff_base = 1\n", conninfo);
	fclose(fp);

	pids[0] = spawn((char *[]){ "/usr/bin/python3", IS_SOURCE_DIR
	    "/tests/fakes/fake_smtp.py", "--port", SMTP_PORT, "--dir", smtp_dir,
	    NULL }, NULL);
	pids[1] = spawn((char *[]){ "/usr/bin/python3", IS_SOURCE_DIR
	    "/tests/fakes/fake_sms.py", "--port", SMS_PORT, "--dir", sms_dir,
	    "--key", "k-test", "--fail-first", "2", "--fail-always",
	    "13900000000", NULL }, NULL);
	assert_int_equal(it_wait_port(SMTP_PORT, 10), 0);
	assert_int_equal(it_wait_port(SMS_PORT, 10), 0);
	pids[2] = spawn((char *[]){ deliverer, NULL }, conf_path);
	return (0);
}

static int
teardown(void **state)
{
	char	cmd[512];
	int	i;

	(void)state;
	for (i = 2; i >= 0; i--) {
		if (pids[i] > 0) {
			kill(pids[i], SIGTERM);
			waitpid(pids[i], NULL, 0);
		}
	}
	PQfinish(db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return (system(cmd) == 0 ? 0 : -1);
}

static void
test_email_over_smtp(void **state)
{
	char	*id, *body, *mail, *env, path[400];

	(void)state;
	id = enqueue("email", "student@stu.hit.edu.cn", "验证码 Code",
	    "Your code is 424242.");
	wait_status(id, "sent");
	snprintf(path, sizeof(path), "%s/smtp/000001.eml", dir);
	mail = slurp(path);
	assert_non_null(mail);
	assert_non_null(strstr(mail, "To: <student@stu.hit.edu.cn>"));
	assert_non_null(strstr(mail, "From: <noreply@hit.edu.cn>"));
	/* RFC 2047 base64 of the UTF-8 subject. */
	assert_non_null(strstr(mail, "Subject: =?UTF-8?B?6aqM6K+B56CBIENvZGU=?="));
	assert_non_null(strstr(mail, "Content-Type: text/plain; charset=UTF-8"));
	assert_non_null(strstr(mail, "Your code is 424242."));
	snprintf(path, sizeof(path), "%s/smtp/000001.json", dir);
	env = slurp(path);
	assert_non_null(strstr(env, "student@stu.hit.edu.cn"));
	/* Codes do not stay in the database once sent. */
	body = outbox_value(id, "body");
	assert_string_equal(body, "[redacted]");
	free(body);
	free(env);
	free(mail);
	free(id);
}

static void
test_sms_retried_with_backoff(void **state)
{
	char	*id, *attempts, *sent, *err, path[400];

	(void)state;
	id = enqueue("sms", "13812345678", "", "您的验证码是 135790");
	wait_status(id, "sent");
	attempts = outbox_value(id, "attempts");
	assert_string_equal(attempts, "3");	/* 500, 500, then 200 */
	err = outbox_value(id, "last_error");
	assert_null(err);
	snprintf(path, sizeof(path), "%s/sms/sms.jsonl", dir);
	sent = slurp(path);
	assert_non_null(strstr(sent, "\"13812345678\""));
	assert_non_null(strstr(sent, "135790"));
	free(sent);
	free(attempts);
	free(id);
}

static void
test_undeliverable_becomes_dead(void **state)
{
	char	*id, *attempts, *err;

	(void)state;
	id = enqueue("sms", "13900000000", "", "never arrives");
	wait_status(id, "dead");
	attempts = outbox_value(id, "attempts");
	assert_string_equal(attempts, "3");
	err = outbox_value(id, "last_error");
	assert_non_null(strstr(err, "503"));
	free(err);
	free(attempts);
	free(id);
}

/* The development sink (messages and codes kept readable) is never the
 * default: without messaging.dev_sink = 1 the deliverer refuses it. */
static void
test_sink_only_in_development(void **state)
{
	char	 conf[320], deliverer[] = IS_DELIVERER_BIN;
	FILE	*fp;
	pid_t	 pid;
	int	 status = 0, i;

	(void)state;
	snprintf(conf, sizeof(conf), "%s/sink.conf", dir);
	fp = fopen(conf, "w");
	fprintf(fp, "messaging.db_conninfo = host=/nonexistent dbname=none\n");
	fclose(fp);
	pid = spawn((char *[]){ deliverer, NULL }, conf);
	for (i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(50 * 1000);
	if (i == 100) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("the deliverer ran with the sink by default");
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email_over_smtp),
		cmocka_unit_test(test_sms_retried_with_backoff),
		cmocka_unit_test(test_undeliverable_becomes_dead),
		cmocka_unit_test(test_sink_only_in_development),
	};

	it_init();
	return (cmocka_run_group_tests(tests, setup, teardown));
}
