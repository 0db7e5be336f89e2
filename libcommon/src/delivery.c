/*
 * Outbound protocol clients over libcurl: SMTP for email and plain HTTP for
 * the SMS gateway and WeChat's API. All are blocking: callers run them off
 * the event loop (the deliverer process, or a Kore task).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "iscommon/delivery.h"
#include "iscommon/strutil.h"

#define MAX_RESPONSE	(1024 * 1024)

struct upload {
	const char	*data;
	size_t		 len;
	size_t		 off;
};

static size_t	read_cb(char *, size_t, size_t, void *);
static size_t	write_cb(char *, size_t, size_t, void *);

static size_t
read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct upload	*u = arg;
	size_t		 n;

	n = size * nmemb;
	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return (n);
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct is_buf	*b = arg;

	if (b->len + size * nmemb > MAX_RESPONSE)
		return (0);
	if (is_buf_append(b, ptr, size * nmemb) == -1)
		return (0);
	return (size * nmemb);
}

int
is_smtp_send(const struct is_smtp_conf *c, const char *to,
    const char *subject, const char *body, char *err, size_t errlen)
{
	CURL			*curl;
	struct curl_slist	*rcpt = NULL;
	struct is_buf		 msg;
	struct upload		 up;
	char			 date[64], id[64];
	time_t			 now;
	CURLcode		 rc;

	if (strpbrk(to, "\r\n<>") != NULL || strpbrk(subject, "\r\n") != NULL) {
		snprintf(err, errlen, "header injection refused");
		return (-1);
	}
	now = time(NULL);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
	    gmtime(&now));
	snprintf(id, sizeof(id), "%ld.%d", (long)now, rand());
	is_buf_init(&msg);
	is_buf_printf(&msg, "Date: %s\r\nTo: <%s>\r\nFrom: <%s>\r\n"
	    "Message-ID: <%s@is-system>\r\nSubject: =?UTF-8?B?", date, to,
	    c->from, id);
	{
		/* RFC 2047 encoded-word keeps non-ASCII subjects intact. */
		static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+/";
		const unsigned char *s = (const unsigned char *)subject;
		size_t n = strlen(subject), i;
		char q[4];
		for (i = 0; i < n; i += 3) {
			unsigned v = s[i] << 16 |
			    (i + 1 < n ? s[i + 1] << 8 : 0) |
			    (i + 2 < n ? s[i + 2] : 0);
			q[0] = b64[(v >> 18) & 63];
			q[1] = b64[(v >> 12) & 63];
			q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
			q[3] = i + 2 < n ? b64[v & 63] : '=';
			is_buf_append(&msg, q, 4);
		}
	}
	is_buf_printf(&msg, "?=\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n", body);
	up.data = msg.data;
	up.len = msg.len;
	up.off = 0;

	if ((curl = curl_easy_init()) == NULL) {
		is_buf_free(&msg);
		snprintf(err, errlen, "curl init failed");
		return (-1);
	}
	rcpt = curl_slist_append(rcpt, to);
	curl_easy_setopt(curl, CURLOPT_URL, c->url);
	if (c->user != NULL && *c->user != '\0') {
		curl_easy_setopt(curl, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, c->password);
		curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	}
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, c->from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(curl, CURLOPT_READDATA, &up);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, c->timeout_s);
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(curl);
	is_buf_free(&msg);
	return (rc == CURLE_OK ? 0 : -1);
}

int
is_http_request(const char *url, const char *content_type, const char *body,
    const char *auth_header, long timeout_s, char **resp)
{
	CURL			*curl;
	struct curl_slist	*hdrs = NULL;
	struct is_buf		 b;
	char			 h[512];
	long			 status = -1;
	CURLcode		 rc;

	*resp = NULL;
	if ((curl = curl_easy_init()) == NULL)
		return (-1);
	is_buf_init(&b);
	if (content_type != NULL) {
		snprintf(h, sizeof(h), "Content-Type: %s", content_type);
		hdrs = curl_slist_append(hdrs, h);
	}
	if (auth_header != NULL) {
		snprintf(h, sizeof(h), "Authorization: %s", auth_header);
		hdrs = curl_slist_append(hdrs, h);
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	if (body != NULL)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK) {
		is_buf_free(&b);
		return (-1);
	}
	if (b.data == NULL)
		is_buf_append(&b, "", 0);
	*resp = b.data;
	return ((int)status);
}
