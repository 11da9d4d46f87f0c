/*
 * /healthz: the process answers. /readyz: every role named in APIBUS_REQUIRED_ROLES has a live
 * worker (idle, busy or being pinged), else 503 with the missing roles.
 */
#ifndef APIBUS_GATEWAY_HEALTH_H
#define APIBUS_GATEWAY_HEALTH_H

#include <stdbool.h>

#include <h2o.h>

#include "gateway/server.h"

/* Answers req and returns true when its path is /healthz or /readyz. */
bool gw_health_handle(gw_loop_t *loop, h2o_req_t *req);

#endif
