#include "gateway/health.h"

#include <stdio.h>
#include <string.h>

#include "gateway/http_reply.h"

static void gw__readyz(gw_loop_t *loop, h2o_req_t *req)
{
    char body[512];
    size_t n = (size_t)snprintf(body, sizeof body, "{\"status\":\"unavailable\",\"missing\":[");
    size_t missing = 0;
    for (size_t i = 0; i < proto_num_roles; i++) {
        /* a publisher of events counts once this gateway has caught up with it: before that it
         * could still accept tokens the publisher has voided */
        /* API keys are usable once auth's user list has been read (who is deactivated) */
        if (!loop->server->config.required_roles[i] ||
            (gw_board_live_workers(loop->boards[i]) != 0 &&
             (!proto_roles[i].events || loop->events.publishers[i].seq.synced) &&
             (strcmp(proto_roles[i].name, "keys") != 0 || loop->keys.users_known)))
            continue;
        if (n < sizeof body)
            n += (size_t)snprintf(body + n, sizeof body - n, "%s\"%s\"", missing != 0 ? "," : "", proto_roles[i].name);
        missing++;
    }
    if (missing == 0) {
        gw_reply_json(req, 200, H2O_STRLIT("{\"status\":\"ok\"}"));
        return;
    }
    if (n < sizeof body)
        n += (size_t)snprintf(body + n, sizeof body - n, "]}");
    if (n >= sizeof body)
        n = sizeof body - 1;
    gw_reply_json(req, 503, body, n);
}

bool gw_health_handle(gw_loop_t *loop, h2o_req_t *req)
{
    h2o_iovec_t p = req->path_normalized;
    if (h2o_memis(p.base, p.len, H2O_STRLIT("/healthz"))) {
        gw_reply_json(req, 200, H2O_STRLIT("{\"status\":\"ok\"}"));
        return true;
    }
    if (h2o_memis(p.base, p.len, H2O_STRLIT("/readyz"))) {
        gw__readyz(loop, req);
        return true;
    }
    return false;
}
