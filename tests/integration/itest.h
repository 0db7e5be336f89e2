/*
 * Integration-test helpers: HTTP through nginx with libcurl, JSON with
 * cJSON, direct SQL checks with libpq. Tests find the stack through
 * IS_TEST_URL and IS_TEST_CONFIG (set by ctest from tests/CMakeLists.txt).
 */
#ifndef ITEST_H
#define ITEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

struct it_resp {
	long	 status;
	char	*body;
	size_t	 len;
	cJSON	*json;
	char	 ctype[128];
	int	 cache_controls;	/* Cache-Control headers received */
	char	 cache_control[64];
	char	 retry_after[32];
	char	 request_id[80];
	char	 etag[64];
	char	 disposition[128];
	int	 nosniff;		/* X-Content-Type-Options: nosniff */
};

void	 it_init(void);
int	 it_request(const char *method, const char *path, const char *token,
	    const char *ctype, const char *body, size_t len,
	    struct it_resp *r);
int	 it_get(const char *path, const char *token, struct it_resp *r);
int	 it_post(const char *path, const char *token, const char *json,
	    struct it_resp *r);
/* n POSTs at once (curl multi); out[i] answers the i-th. */
void	 it_post_all(int n, const char *path, char *const *tokens,
	    char *const *bodies, struct it_resp *out);
/* The same, abandoning what is not answered within timeout_ms. */
void	 it_post_all_within(int n, const char *path, char *const *tokens,
	    char *const *bodies, struct it_resp *out, long timeout_ms);
void	 it_free(struct it_resp *);
/* POSTs json: answered status, or this problem (code not NULL). */
void	 it_assert_post(const char *path, const char *tok, const char *json,
	    long status, const char *code);
/* The status of GET path with tok on n asks; -1 when they differ. */
long	 it_status_of(const char *path, const char *tok, int n);
/* A monotonic clock in milliseconds, for bounded waits. */
long	 it_now_ms(void);
/* Requests come from this loopback address (127.0.0.2...), NULL: default.
 * nginx and the lockout count per client address. */
void	 it_set_source(const char *address);
const char *it_str(struct it_resp *, const char *name);
/* A header every following request sends ("If-Match: \"3\""); NULL: none. */
void	 it_set_header(const char *line);

/* Asserts r is problem+json with this status and code. */
void	 it_assert_problem(struct it_resp *, long status, const char *code);

/* A fresh random ID like "Z7K3Q9XA" (letters/digits, 8). */
void	 it_unique(char *out, size_t len, const char *prefix);
char	*it_login(const char *account, const char *password, char **refresh);
int	 it_fail_login_until_locked(const char *account);
char	*it_new_staff(const char *admin, const char *json, const char *id,
	    const char *password);
char	*it_admin_token(void);
/* Imports one student and gives it password; returns its access token. */
char	*it_new_student(char *id, size_t len, const char *password);
char	*it_sink_code(const char *recipient);
const char *it_db_conninfo(const char *role);
/* A connection holding table in ACCESS EXCLUSIVE mode until
 * it_unlock_table(): what needs the table waits inside PostgreSQL. */
struct pg_conn;
struct pg_conn *it_lock_table(const char *table);
void	 it_unlock_table(struct pg_conn *);
/* Lines of a service's log (.run/<instance>/logs/<service>.log) that
 * contain needle; its workers that died (Kore logs their exit). */
int	 it_log_count(const char *service, const char *needle);
int	 it_worker_deaths(const char *service);
/* Waits (at most seconds) until a TCP port on 127.0.0.1 accepts. */
int	 it_wait_port(const char *port, int seconds);
/* Lines of nginx's access log that contain needle. */
int	 it_access_count(const char *needle);
/* Sockets of a local TCP port the peer closed and we not yet (CLOSE_WAIT). */
int	 it_close_wait(int port);
long	 it_sql_long(const char *sql, const char *param);
char	*it_sql_text(const char *sql, const char *param);
const char *it_demo_password(void);
const char *it_initial_password(void);

/* The fake WeChat server (tests/fakes/fake_wechat.py). */
cJSON	*it_wx_fake(const char *path, const char *json);
long	 it_wx_scan(const char *qr_url, const char *user, int subscribe);
char	*it_wx_code(const char *user);
char	*it_wx_id(const char *user, const char *which);
int	 it_mp_login(const char *user, struct it_resp *r);
long	 it_wx_bind(const char *tok, const char *body, const char *user);
char	*it_mp_token(const char *tok, char *user, size_t len);

#endif
