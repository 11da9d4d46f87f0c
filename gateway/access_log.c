#include "gateway/access_log.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "gateway/server.h"

#define GW_LOG_PATH_MAX 256

/* Copies a path into the log: no query, no spaces or control bytes (a client could forge
 * log lines with them), bounded. */
static size_t gw__log_path(char *out, h2o_req_t *req)
{
    h2o_iovec_t p = req->path_normalized;
    if (p.base == NULL || p.len == 0)
        p = req->input.path;
    size_t n = 0;
    for (size_t i = 0; i < p.len && n < GW_LOG_PATH_MAX; i++) {
        unsigned char c = (unsigned char)p.base[i];
        if (c == '?')
            break;
        out[n++] = c <= 0x20 || c >= 0x7f || c == '"' ? '?' : (char)c;
    }
    if (n == 0)
        out[n++] = '-';
    out[n] = '\0';
    return n;
}

void gw_access_log_flush(gw_access_log_t *log)
{
    if (log->len == 0)
        return;
    ssize_t w = write(STDERR_FILENO, log->data, log->len);
    (void)w; /* a log that cannot be written must not stop requests */
    log->len = 0;
}

/* "2025-01-31T12:00:00", formatted once a second. */
static const char *gw__log_when(gw_access_log_t *log, time_t sec)
{
    if (sec != log->second || log->when[0] == '\0') {
        struct tm tm;
        gmtime_r(&sec, &tm);
        strftime(log->when, sizeof log->when, "%Y-%m-%dT%H:%M:%S", &tm);
        log->second = sec;
    }
    return log->when;
}

static void gw__log_access(h2o_logger_t *self, h2o_req_t *req)
{
    gw_access_log_t *log = &gw_loop_of(req)->access_log;
    gw_req_t *r = gw_req_get(req);
    char path[GW_LOG_PATH_MAX + 1], method[16];
    gw__log_path(path, req);

    struct timeval now;
    gettimeofday(&now, NULL);
    struct timeval end = h2o_timeval_is_null(&req->timestamps.response_end_at) ? now : req->timestamps.response_end_at;
    int64_t us = h2o_timeval_is_null(&req->timestamps.request_begin_at) ? 0 : h2o_timeval_subtract(&req->timestamps.request_begin_at, &end);

    h2o_iovec_t m = req->input.method;
    size_t ml = 0;
    for (; ml < m.len && ml < sizeof method - 1; ml++)
        method[ml] = m.base[ml] >= 'A' && m.base[ml] <= 'Z' ? m.base[ml] : '?';
    method[ml] = '\0';

    char line[GW_LOG_PATH_MAX + 256];
    int n = snprintf(line, sizeof line, "%s.%03dZ rid=%s client=%s %s %s %d bytes=%zu us=%lld role=%s\n",
                     gw__log_when(log, now.tv_sec), (int)(now.tv_usec / 1000), r->request_id, r->client,
                     ml != 0 ? method : "-", path, req->res.status, req->bytes_sent, (long long)us,
                     r->role != NULL ? r->role->name : "-");
    if (n <= 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (log->len + len > sizeof log->data)
        gw_access_log_flush(log);
    memcpy(log->data + log->len, line, len);
    log->len += len;
}

void gw_access_log_register(h2o_pathconf_t *pathconf)
{
    h2o_logger_t *logger = h2o_create_logger(pathconf, sizeof *logger);
    logger->log_access = gw__log_access;
}
