/*
 * The internal endpoint (ARCHITECTURE §3): a bus socket, never HTTP, bound at
 * PROTO_PORT_INTERNAL, where the `apibus` command (and later services that need another
 * service) send JOB envelopes. The gateway puts each on its role's job board with the system
 * principal and sends the RESULT back. The role is the one named by a "/_internal/<role>/..."
 * path, or else the one owning the path (proto_role_for_path). Whoever can reach the bus is
 * trusted (ARCHITECTURE §3): that is why it listens on loopback or the suite's private network.
 */
#ifndef APIBUS_GATEWAY_INTERNAL_H
#define APIBUS_GATEWAY_INTERNAL_H

#include <stddef.h>

#include <h2o.h>

#include "proto/roles.h"

#define GW_INTERNAL_PREFIX "/_internal/"

struct st_gw_loop_t;

typedef struct st_gw_internal_t {
    struct st_gw_loop_t *loop;
    int sock;
    h2o_socket_t *watch;
    size_t max_msg;
    uint64_t requests;
} gw_internal_t;

/* The role a path addresses: "/_internal/<role>/..." names it, any other path is routed by
 * prefix. NULL when none. Pure; exposed for the unit tests. */
const proto_role_t *gw_internal_role(const char *path, size_t len);

int gw_internal_init(gw_internal_t *in, struct st_gw_loop_t *loop, h2o_loop_t *h2o_loop, size_t max_msg);
void gw_internal_dispose(gw_internal_t *in);

#endif
