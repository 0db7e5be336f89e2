/*
 * Outbound delivery clients used by the messaging deliverer: SMTP over
 * libcurl and an HTTP SMS gateway; plus a generic JSON-over-HTTP GET used by
 * the WeChat client.
 */
#ifndef ISCOMMON_DELIVERY_H
#define ISCOMMON_DELIVERY_H

#include <stddef.h>

struct is_smtp_conf {
	const char	*url;		/* smtp://host:port or smtps:// */
	const char	*user;
	const char	*password;
	const char	*from;
	long		 timeout_s;
};

/* Sends one plain-text UTF-8 mail; 0 on success, -1 with err filled. */
int	is_smtp_send(const struct is_smtp_conf *, const char *to,
	    const char *subject, const char *body, char *err, size_t errlen);

/*
 * POSTs (body != NULL) or GETs url; returns the HTTP status (or -1) and the
 * response body in *resp (malloc'd, NUL-terminated).
 */
int	is_http_request(const char *url, const char *content_type,
	    const char *body, const char *auth_header, long timeout_s,
	    char **resp);

#endif
