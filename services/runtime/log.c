#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "services/runtime/internal.h"

static const char *svc__log_service = "apibus";

void svc__log_set_service(const char *name)
{
    svc__log_service = name;
}

void svc_log(const char *level, const char *fmt, ...)
{
    /* One fprintf per line: stdio locks the stream per call, so lines from threads never mix. */
    char msg[1024], stamp[32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    svc_format_time(svc_now_us(), stamp);
    fprintf(stderr, "%s %s %s %s\n", stamp, svc__log_service, level, msg);
}
