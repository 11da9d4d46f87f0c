/*
 * Internal requests the gateway itself sends to a role's job board, with the system principal:
 * event resyncs and session checks. They queue with the HTTP jobs and take the same deadline.
 */
#ifndef APIBUS_GATEWAY_CALL_H
#define APIBUS_GATEWAY_CALL_H

#include <stddef.h>

#include "gateway/board.h"

typedef struct st_gw_call_t gw_call_t;
/* err 0 and the reply (valid during the call only), or a negative proto error and NULL. */
typedef void (*gw_call_cb)(void *arg, int err, const proto_reply_t *reply);

/* Sends method path?query with a JSON body (may be NULL). cb runs exactly once, on the loop
 * thread, unless the call is cancelled. Returns the call, or NULL with *err set (cb never runs). */
gw_call_t *gw_call_start(gw_board_t *board, const char *method, const char *path, const char *query,
                         const char *body, gw_call_cb cb, void *arg, int *err);
/* cb will not run; the call's memory is released. NULL is a no-op. */
void gw_call_cancel(gw_call_t *call);

#endif
