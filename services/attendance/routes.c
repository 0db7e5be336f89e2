/*
 * The attendance service's endpoint tables (checked against
 * attendance.conf.in at start-up) and what several areas share.
 */
#include "routes.h"

const struct is_endpoint *const	is_service_endpoints[] = {
	att_timetable_endpoints,
	att_class_endpoints,
	att_checkin_endpoints,
	att_leave_endpoints,
	att_rates_endpoints,
	NULL
};

const char *const	att_students[] = { "student", NULL };
const char *const	att_staff[] = { "teacher", "counsellor", "secretary",
			    "io", "finance", "leader", "admin", NULL };
const char *const	att_teachers[] = { "teacher", "admin", NULL };

const struct is_field	att_page_query[] = {
	{ "school_year", IS_F_STRING, 0, 9, 9, ATT_YEAR_RE, NULL },
	{ "semester", IS_F_STRING, 0, 1, 1, ATT_SEMESTER_RE, NULL },
	{ "limit", IS_F_STRING, 0, 1, 3, ATT_LIMIT_RE, NULL },
	{ "offset", IS_F_STRING, 0, 1, 7, ATT_OFFSET_RE, NULL },
	IS_FIELDS_END
};

const struct is_field	att_semester_page_query[] = {
	{ "school_year", IS_F_STRING, 1, 9, 9, ATT_YEAR_RE, NULL },
	{ "semester", IS_F_STRING, 1, 1, 1, ATT_SEMESTER_RE, NULL },
	{ "limit", IS_F_STRING, 0, 1, 3, ATT_LIMIT_RE, NULL },
	{ "offset", IS_F_STRING, 0, 1, 7, ATT_OFFSET_RE, NULL },
	IS_FIELDS_END
};
