/*
 * Attendance test fixture shared by the attendance integration tests: a
 * course in its own room with new students enrolled, sessions moved in
 * time with SQL, check-ins and signed codes.
 */
#ifndef ATT_FIXTURE_H
#define ATT_FIXTURE_H

#include "itest.h"

#define PASSWORD	"Str0ng-Pass-2026"
#define ATT		"/api/v1/attendance"
#define ROOM_LAT	45.7500
#define ROOM_LON	126.6300
#define NSTUDENTS	5

struct klass {
	char	 code[16];
	char	 room[16];
	char	 year[16];
	char	 course_id[40];
	char	 ids[NSTUDENTS][16];
	char	*web[NSTUDENTS];	/* web access tokens */
};

/* Tokens of the admin and of teacher T0001, set by att_setup(). */
extern char	*admin;
extern char	*teacher;

int	 att_setup(void **);
int	 att_teardown(void **);
void	 att_import(const char *kind, const char *csv, int expect_rejected);
char	*att_new_staff(const char *role, const char *student);
void	 att_new_class(struct klass *, const char *year, int hours, int n);
void	 att_free_class(struct klass *);
char	*att_add_session(struct klass *, const char *date, const char *start,
	    const char *end, const char *method);
void	 att_move_session(const char *id, int start_min, int length_min);
void	 att_scan(const char *tok, const char *code, double lat, double lon,
	    double acc, struct it_resp *);
const char *att_record_status(struct it_resp *);
long	 att_records_of(const char *session);
void	 att_signed_code(const char *session, long window, char *out, size_t);
char	*att_open_checkin(const char *session);

#endif
