/*
 * The attendance service: timetable, QR check-in, leave, corrections,
 * rates, reports and warnings. Most rules live in its SQL functions
 * (sql/functions/); this side verifies tokens and QR codes, validates
 * input and sniffs uploads. Endpoints: routes.h.
 */
#ifndef ATTENDANCE_H
#define ATTENDANCE_H

#include <stddef.h>
#include <time.h>

#define ATT_QR_MAX	160

struct att_conf {
	const char	*qr_secret;
	long		 qr_rotate_seconds;	/* a code's lifetime window */
	long		 qr_accept_windows;	/* current + previous ones */
	long		 evidence_max;		/* bytes */
	long		 checkin_batch_max;	/* check-ins per statement */
	long		 checkin_batch_conns;	/* batches in flight, per worker */
	long		 warnings_interval;	/* seconds between sweeps; 0: none */
};

extern struct att_conf		 att_conf;
extern struct is_batch		*att_checkin_batch;

void	att_conf_load(struct att_conf *);

/* qr.c: rotating, signed check-in codes. */
#define ATT_QR_OK		0
#define ATT_QR_INVALID		-1	/* malformed or forged */
#define ATT_QR_EXPIRED		-2	/* genuine but from an old window */

long	att_qr_window(time_t now, long rotate_seconds);
int	att_qr_make(const char *secret, const char *session_id, long window,
	    char *out, size_t len);
int	att_qr_verify(const char *secret, const char *payload, time_t now,
	    long rotate_seconds, long accept_windows, char session_id[37]);
/* An SVG image of the payload as a QR code (libqrencode); malloc'd. */
char	*att_qr_svg(const char *payload);

/* upload.c: what an upload is, judged by its first bytes. */
const char	*att_sniff_type(const void *data, size_t len);

#endif
