/*
 * Rotating check-in codes. A code is "ISA1.<session>.<window>.<mac>":
 * window = floor(time / rotate_seconds) and mac = the first 128 bits of
 * HMAC-SHA256(secret, "ISA1.<session>.<window>") in hex. The teacher's
 * screen fetches a fresh code every window; a code is accepted in its own
 * window and the next accept_windows - 1, so a photo forwarded later fails
 * and nothing needs storing per code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "attendance.h"
#include "iscommon/crypto.h"
#include "iscommon/strutil.h"

#define QR_PREFIX	"ISA1."
#define QR_MAC_HEX	32

long
att_qr_window(time_t now, long rotate_seconds)
{
	if (rotate_seconds <= 0)
		rotate_seconds = 1;
	return ((long)(now / rotate_seconds));
}

static int
qr_mac(const char *secret, const char *session_id, long window,
    char mac[QR_MAC_HEX + 1])
{
	char	msg[96], full[65];

	snprintf(msg, sizeof(msg), QR_PREFIX "%s.%ld", session_id, window);
	if (is_hmac_hex(secret, msg, full) == -1)
		return (-1);
	memcpy(mac, full, QR_MAC_HEX);
	mac[QR_MAC_HEX] = '\0';
	return (0);
}

int
att_qr_make(const char *secret, const char *session_id, long window,
    char *out, size_t len)
{
	char	mac[QR_MAC_HEX + 1];
	int	n;

	if (!is_uuid_valid(session_id) || qr_mac(secret, session_id, window,
	    mac) == -1)
		return (-1);
	n = snprintf(out, len, QR_PREFIX "%s.%ld.%s", session_id, window, mac);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

int
att_qr_verify(const char *secret, const char *payload, time_t now,
    long rotate_seconds, long accept_windows, char session_id[37])
{
	char		 mac[QR_MAC_HEX + 1], *end;
	const char	*p, *dot;
	long		 window, current;

	if (strncmp(payload, QR_PREFIX, strlen(QR_PREFIX)) != 0)
		return (ATT_QR_INVALID);
	p = payload + strlen(QR_PREFIX);
	if (strlen(p) < 36 || p[36] != '.')
		return (ATT_QR_INVALID);
	memcpy(session_id, p, 36);
	session_id[36] = '\0';
	if (!is_uuid_valid(session_id))
		return (ATT_QR_INVALID);
	p += 37;
	if (*p < '0' || *p > '9')
		return (ATT_QR_INVALID);
	window = strtol(p, &end, 10);
	if (*end != '.' || end - p > 18)
		return (ATT_QR_INVALID);
	dot = end + 1;
	if (strlen(dot) != QR_MAC_HEX)
		return (ATT_QR_INVALID);
	if (qr_mac(secret, session_id, window, mac) == -1 ||
	    !is_secure_streq(mac, dot))
		return (ATT_QR_INVALID);
	current = att_qr_window(now, rotate_seconds);
	if (window > current || window <= current - accept_windows)
		return (ATT_QR_EXPIRED);
	return (ATT_QR_OK);
}

char *
att_qr_svg(const char *payload)
{
	QRcode		*qr;
	struct is_buf	 b;
	int		 x, y, margin = 4, size;

	if ((qr = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8,
	    1)) == NULL)
		return (NULL);
	size = qr->width + 2 * margin;
	is_buf_init(&b);
	is_buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>"
	    "<path fill=\"#000\" d=\"", size, size);
	for (y = 0; y < qr->width; y++) {
		for (x = 0; x < qr->width; x++) {
			if (qr->data[y * qr->width + x] & 1)
				is_buf_printf(&b, "M%d %dh1v1h-1z", x + margin,
				    y + margin);
		}
	}
	is_buf_printf(&b, "\"/></svg>");
	QRcode_free(qr);
	return (b.data);
}
