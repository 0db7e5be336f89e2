/* attendance settings. */
#include "attendance.h"
#include "iscommon/config.h"

struct att_conf	att_conf;

void
att_conf_load(struct att_conf *c)
{
	c->qr_secret = is_config_get("attendance.qr_secret", NULL);
	c->qr_rotate_seconds = is_config_int("attendance.qr_rotate_seconds", 10);
	c->qr_accept_windows = is_config_int("attendance.qr_accept_windows", 2);
	c->evidence_max = is_config_int("attendance.evidence_max", 5242880);
	c->checkin_batch_max = is_config_int("attendance.checkin_batch_max",
	    64);
	c->checkin_batch_conns = is_config_int("attendance.checkin_batch_conns",
	    2);
	c->warnings_interval = is_config_int("attendance.warnings_interval",
	    3600);
	if (c->checkin_batch_max < 1 || c->checkin_batch_max > 1000)
		c->checkin_batch_max = 64;
	if (c->checkin_batch_conns < 1 || c->checkin_batch_conns > 32)
		c->checkin_batch_conns = 2;
	if (c->qr_rotate_seconds < 1)
		c->qr_rotate_seconds = 1;
	if (c->qr_accept_windows < 1)
		c->qr_accept_windows = 1;
}
