/*
 * One line per request on stderr:
 *   2025-01-31T12:00:00.123Z rid=<id> client=<addr> GET /path 200 bytes=123 us=456 role=employees
 * The path is logged without its query string, and no header value other than the request id
 * is ever logged, so tokens, keys and cookies stay out of logs.
 */
#ifndef APIBUS_GATEWAY_ACCESS_LOG_H
#define APIBUS_GATEWAY_ACCESS_LOG_H

#include <h2o.h>
#include <limits.h>
#include <time.h>

/* Lines wait here until the event loop's turn ends, or until the next one would not fit: one
 * write(2) for all the requests of a turn (under load, tens of them) instead of one each. At most
 * PIPE_BUF bytes, because a write that small to a pipe is atomic: lines never interleave with
 * those of the other processes sharing the pipe (run-local, docker logs). What a crash loses is
 * the lines of the turn it interrupts. */
typedef struct st_gw_access_log_t {
    char data[PIPE_BUF];
    size_t len;
    time_t second; /* the second `when` was formatted for */
    char when[32];
} gw_access_log_t;

/* Logs every request of the pathconf into the log of the request's loop (gw_loop_t). */
void gw_access_log_register(h2o_pathconf_t *pathconf);
/* Writes what is waiting; the loop calls it at the end of every turn. */
void gw_access_log_flush(gw_access_log_t *log);

#endif
