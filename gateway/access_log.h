/*
 * One line per request on stderr:
 *   2025-01-31T12:00:00.123Z rid=<id> client=<addr> GET /path 200 bytes=123 us=456 role=employees
 * The path is logged without its query string, and no header value other than the request id
 * is ever logged, so tokens, keys and cookies stay out of logs.
 */
#ifndef APIBUS_GATEWAY_ACCESS_LOG_H
#define APIBUS_GATEWAY_ACCESS_LOG_H

#include <h2o.h>

void gw_access_log_register(h2o_pathconf_t *pathconf);

#endif
