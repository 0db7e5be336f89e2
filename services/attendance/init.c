/*
 * Module start-up for attendance: common init, the QR settings, the
 * check-in batcher with its own connections, and the periodic sweep that
 * sends low-attendance warnings.
 */
#include <string.h>

#include "iskore.h"
#include "iscommon/log.h"
#include "attendance.h"

static int	attendance_service_init(void);

struct is_batch	*att_checkin_batch;

const struct is_service		is_this_service = { "attendance", 0,
				    attendance_service_init };

static int
attendance_service_init(void)
{
	att_conf_load(&att_conf);
	if (att_conf.qr_secret == NULL || strlen(att_conf.qr_secret) < 32) {
		is_log("error", NULL, "attendance.qr_secret must be >= 32 chars");
		return (-1);
	}
	att_checkin_batch = is_batch_new("checkin", "SELECT idx, result "
	    "FROM attendance.checkin_batch($1::jsonb)",
	    (int)att_conf.checkin_batch_max, (int)att_conf.checkin_batch_conns);
	/* Students falling below the threshold are warned without asking. */
	is_periodic_add("warnings", "SELECT attendance.warnings_sweep()",
	    att_conf.warnings_interval);
	return (0);
}
