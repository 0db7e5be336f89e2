/* Structured logs: one JSON object a line on stderr. */
#ifndef ISCOMMON_LOG_H
#define ISCOMMON_LOG_H

void	is_log_init(const char *service);
void	is_log_flush(void);
void	is_log(const char *level, const char *request_id, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	is_log_access(const char *request_id, const char *method,
	    const char *path, int status, double ms);

#endif
