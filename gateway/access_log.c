#include "gateway/access_log.h"

#include <stdio.h>
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

static void gw__log_access(h2o_logger_t *self, h2o_req_t *req)
{
    gw_req_t *r = gw_req_get(req);
    char path[GW_LOG_PATH_MAX + 1], when[32], method[16];
    gw__log_path(path, req);

    struct timeval now;
    gettimeofday(&now, NULL);
    struct timeval end = h2o_timeval_is_null(&req->timestamps.response_end_at) ? now : req->timestamps.response_end_at;
    int64_t us = h2o_timeval_is_null(&req->timestamps.request_begin_at) ? 0 : h2o_timeval_subtract(&req->timestamps.request_begin_at, &end);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);

    h2o_iovec_t m = req->input.method;
    size_t ml = 0;
    for (; ml < m.len && ml < sizeof method - 1; ml++)
        method[ml] = m.base[ml] >= 'A' && m.base[ml] <= 'Z' ? m.base[ml] : '?';
    method[ml] = '\0';

    char line[GW_LOG_PATH_MAX + 256];
    int n = snprintf(line, sizeof line, "%s.%03dZ rid=%s client=%s %s %s %d bytes=%zu us=%lld role=%s\n", when,
                     (int)(now.tv_usec / 1000), r->request_id, r->client, ml != 0 ? method : "-", path, req->res.status,
                     req->bytes_sent, (long long)us, r->role != NULL ? r->role->name : "-");
    if (n > 0) {
        /* one write per line, so lines from concurrent writers never interleave */
        ssize_t w = write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        (void)w;
    }
}

void gw_access_log_register(h2o_pathconf_t *pathconf)
{
    h2o_logger_t *logger = h2o_create_logger(pathconf, sizeof *logger);
    logger->log_access = gw__log_access;
}
