/* One JSON object a line, so logs can be shipped and queried as data. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "iscommon/log.h"

static char	service_name[32] = "is";
static char	stream_buf[64 * 1024];

static void	emit(cJSON *);

/*
 * Lines are block-buffered (one write per 64 KiB, not one per request);
 * services call is_log_flush() from a timer so a quiet service still shows
 * its last lines within a second. Errors are flushed at once.
 */
void
is_log_init(const char *service)
{
	snprintf(service_name, sizeof(service_name), "%s", service);
	setvbuf(stderr, stream_buf, _IOFBF, sizeof(stream_buf));
}

void
is_log_flush(void)
{
	fflush(stderr);
}

static void
emit(cJSON *obj)
{
	struct timeval	 tv;
	struct tm	 tm;
	char		 ts[96], *line;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)tv.tv_usec / 1000);
	cJSON_AddStringToObject(obj, "ts", ts);
	cJSON_AddStringToObject(obj, "service", service_name);
	cJSON_AddNumberToObject(obj, "pid", getpid());
	if ((line = cJSON_PrintUnformatted(obj)) != NULL) {
		fprintf(stderr, "%s\n", line);
		cJSON_free(line);
	}
	cJSON_Delete(obj);
}

void
is_log(const char *level, const char *request_id, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];
	cJSON	*obj;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "level", level);
	if (request_id != NULL && *request_id != '\0')
		cJSON_AddStringToObject(obj, "request_id", request_id);
	cJSON_AddStringToObject(obj, "msg", msg);
	emit(obj);
	if (strcmp(level, "error") == 0)
		fflush(stderr);
}

void
is_log_access(const char *request_id, const char *method, const char *path,
    int status, double ms)
{
	cJSON	*obj;

	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "level", "info");
	cJSON_AddStringToObject(obj, "msg", "request");
	if (request_id != NULL && *request_id != '\0')
		cJSON_AddStringToObject(obj, "request_id", request_id);
	cJSON_AddStringToObject(obj, "method", method);
	cJSON_AddStringToObject(obj, "path", path);
	cJSON_AddNumberToObject(obj, "status", status);
	cJSON_AddNumberToObject(obj, "ms", ms);
	emit(obj);
}
