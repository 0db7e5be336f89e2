/*
 * Module start-up for attendance: common init, the QR settings, the
 * check-in batcher with its own connections, and the periodic sweep that
 * sends low-attendance warnings.
 */
#include <string.h>

#include "iskore.h"
#include "iscommon/log.h"
#include "attendance.h"

int	is_attendance_init(int);
int	atte_root(struct http_request *);

static int	attendance_service_init(void);

struct is_batch	*att_checkin_batch;

static const struct is_service service = { "attendance", 0,
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

int
is_attendance_init(int state)
{
	if (state == KORE_MODULE_UNLOAD)
		return (KORE_RESULT_OK);
	return (is_service_init(&service));
}

/* Anything else under /api/v1/attendance/ needs a token, then is 404. */
int
atte_root(struct http_request *req)
{
	struct is_ctx	*c = is_ctx_get(req);

	if (is_authenticate(req, c, 0) == -1)
		return (KORE_RESULT_OK);
	return (is_reply_problem(req, "not-found", NULL));
}
