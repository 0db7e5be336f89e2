/*
 * Attendance endpoints, declared per area (endpoint.h):
 *   routes_timetable.c  courses, sessions of a course, timetable imports,
 *                       the conversion policy
 *   routes_class.c      running a class: open and close check-in, the QR
 *                       code, the live view, roll calls and sheets
 *   routes_checkin.c    the QR check-in (batched)
 *   routes_leave.c      evidence uploads, leave, corrections, the audit
 *   routes_rates.c      rates, the monthly report, warnings
 * routes.c lists the tables and holds what several areas share.
 */
#ifndef ATT_ROUTES_H
#define ATT_ROUTES_H

#include "iskore.h"

#define ATT_PREFIX	"/api/v1/attendance/"

#define ATT_YEAR_RE	"^[0-9]{4}-[0-9]{4}$"
#define ATT_SEMESTER_RE	"^[12]$"
#define ATT_LOGIN_RE	"^[A-Za-z0-9]{4,20}$"
#define ATT_UUID_RE	"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-" \
			"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
#define ATT_LIMIT_RE	"^[1-9][0-9]{0,2}$"
#define ATT_OFFSET_RE	"^[0-9]+$"

/* Who may call (NULL-terminated role lists). */
extern const char *const	att_students[];
extern const char *const	att_staff[];
extern const char *const	att_teachers[];

/* Query strings several areas accept. */
extern const struct is_field	att_page_query[];
extern const struct is_field	att_semester_page_query[];

extern const struct is_endpoint	att_timetable_endpoints[];
extern const struct is_endpoint	att_class_endpoints[];
extern const struct is_endpoint	att_checkin_endpoints[];
extern const struct is_endpoint	att_leave_endpoints[];
extern const struct is_endpoint	att_rates_endpoints[];

#endif
