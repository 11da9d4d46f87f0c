/*
 * Writing responses. Every error the gateway sends is DRF-style JSON from proto/errors.h;
 * gateway/filter.c turns h2o's own plain-text errors into JSON too.
 */
#ifndef APIBUS_GATEWAY_HTTP_REPLY_H
#define APIBUS_GATEWAY_HTTP_REPLY_H

#include <stddef.h>

#include <h2o.h>

#include "proto/envelope.h"

/* The reason phrase of a status ("OK", "Not Found", ...; "Unknown" for others). Static. */
const char *gw_http_reason(int status);

/* Sends body (copied) as application/json with status. */
void gw_reply_json(h2o_req_t *req, int status, const char *body, size_t len);
/* Sends the error's status and body (err may be negative). */
void gw_reply_error(h2o_req_t *req, int err);
/* Sends a service's reply: status, its headers minus hop-by-hop and gateway-owned ones
 * (CORS, X-Request-ID, Content-Length), and its body. Copies everything it keeps. */
void gw_reply_from_service(h2o_req_t *req, const proto_reply_t *reply);

#endif
