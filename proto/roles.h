/*
 * The role registry: which service owns which HTTP paths and where its job board listens.
 *
 * The gateway binds one job board per role; every instance of a service connects to its role's
 * board on every gateway. Endpoints derive from APIBUS_BUS_TRANSPORT (tcp, default, or ipc),
 * APIBUS_BUS_HOST (where services find the gateways, default 127.0.0.1), APIBUS_BUS_BIND (where
 * the gateway binds, default 127.0.0.1), APIBUS_BUS_PORT_BASE (default 7100) and, for ipc,
 * APIBUS_DATA_DIR.
 *
 * Several gateways: APIBUS_BUS_HOST may be a comma list of `host[:base]` entries, one per
 * gateway, e.g. "gw-a,gw-b" or "127.0.0.1:7100,127.0.0.1:7200" (an IPv6 address in brackets:
 * "[fd00::1]:7100"). An entry without a base uses APIBUS_BUS_PORT_BASE. A service takes jobs from
 * and publishes events to every gateway listed; the first one is also "the" gateway of
 * single-endpoint uses (the `apibus` command, the fragment push). A single host without a base,
 * the default, means exactly what it always did. Lists need tcp: with ipc the endpoints are files
 * of the shared data folder, so there is only ever one gateway, and a list is refused.
 */
#ifndef APIBUS_PROTO_ROLES_H
#define APIBUS_PROTO_ROLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_ROLE_MAX_PREFIXES 4
/* Most gateways APIBUS_BUS_HOST may list, and room for one endpoint. */
#define PROTO_MAX_GATEWAYS 16
#define PROTO_ENDPOINT_MAX 320

typedef struct st_proto_role_t {
    const char *name;         /* "employees": also the service binary's suffix (apibus-employees) */
    unsigned port_offset;     /* bus port = APIBUS_BUS_PORT_BASE + port_offset */
    const char *prefixes[PROTO_ROLE_MAX_PREFIXES]; /* HTTP path prefixes it owns; NULL-terminated */
    bool events;              /* publishes events (proto/events.h): gateways resync from it */
} proto_role_t;

extern const proto_role_t proto_roles[];
extern const size_t proto_num_roles;

/* Fixed endpoints that are not job boards. */
#define PROTO_PORT_INTERNAL 0  /* internal requests: the `apibus` command, service-to-service */
#define PROTO_PORT_EVENTS 1    /* events published by auth and keys to gateways */
#define PROTO_PORT_FRAGMENTS 2 /* OpenAPI fragments pushed to schema-svc */

const proto_role_t *proto_role_by_name(const char *name);
/* The role whose longest prefix matches path, or NULL. */
const proto_role_t *proto_role_for_path(const char *path, size_t len);

typedef enum en_proto_side_t { PROTO_SIDE_BIND, PROTO_SIDE_CONNECT } proto_side_t;

/* Writes the nanomsg endpoint for a port offset ("tcp://127.0.0.1:7112" or
 * "ipc://<data>/bus/7112.sock") into out, from the environment. The connect side of a gateway
 * list is its first gateway. Returns 0, or -1 when it does not fit or the environment is invalid
 * (the message is written to stderr). */
int proto_endpoint(unsigned port_offset, proto_side_t side, char *out, size_t cap);
/* The connect endpoints of a port offset on every gateway of APIBUS_BUS_HOST, in its order, into
 * out[0..*count-1] (one for ipc or a single host). Returns 0, or -1 when the list is malformed
 * (an empty entry, a bad base, a gateway listed twice, an IPv6 address without brackets), has
 * more than max entries, asks for several gateways with ipc, or an endpoint does not fit; the
 * message is written to stderr. */
int proto_endpoints(unsigned port_offset, char out[][PROTO_ENDPOINT_MAX], size_t max, size_t *count);

#endif
