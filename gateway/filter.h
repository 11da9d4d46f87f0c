/*
 * The response filter, applied to every response (proxied, static, the gateway's own and h2o's
 * own errors): X-Request-ID, the CORS headers for an allowed origin, and a JSON body for any
 * error that is not JSON yet.
 */
#ifndef APIBUS_GATEWAY_FILTER_H
#define APIBUS_GATEWAY_FILTER_H

#include <h2o.h>

void gw_filter_register(h2o_pathconf_t *pathconf);

#endif
