/*
 * X-Request-ID: a client's id is passed on when it is sane (1..64 characters of
 * [A-Za-z0-9._-], so it is safe in logs and headers); otherwise the gateway makes one.
 */
#ifndef APIBUS_GATEWAY_REQUEST_ID_H
#define APIBUS_GATEWAY_REQUEST_ID_H

#include <stdbool.h>
#include <stddef.h>

#define GW_REQUEST_ID_MAX 64

bool gw_request_id_sane(const char *id, size_t len);
/* Writes a new random id (32 hex digits) and its NUL into out. */
void gw_request_id_new(char out[GW_REQUEST_ID_MAX + 1]);

#endif
