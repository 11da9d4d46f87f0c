/*
 * A request for a service: authenticate, wrap it in a JOB envelope, put it on the role's job
 * board, and answer the client when the board reports the outcome.
 */
#ifndef APIBUS_GATEWAY_PROXY_H
#define APIBUS_GATEWAY_PROXY_H

#include <h2o.h>

#include "gateway/server.h"

/* Handles req for board. Always responds (now or later); returns 0 as an h2o handler does. */
int gw_proxy_handle(gw_loop_t *loop, gw_board_t *board, h2o_req_t *req);

#endif
