/*
 * The role registry: which service owns which HTTP paths and where its job board listens.
 *
 * The gateway binds one job board per role; every instance of a service connects to its role's
 * board. Endpoints derive from APIBUS_BUS_TRANSPORT (tcp, default, or ipc), APIBUS_BUS_HOST
 * (where services find the gateway, default 127.0.0.1), APIBUS_BUS_BIND (where the gateway binds,
 * default 127.0.0.1), APIBUS_BUS_PORT_BASE (default 7100) and, for ipc, APIBUS_DATA_DIR.
 */
#ifndef APIBUS_PROTO_ROLES_H
#define APIBUS_PROTO_ROLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_ROLE_MAX_PREFIXES 4

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
 * "ipc://<data>/bus/7112.sock") into out, from the environment. Returns 0, or -1 when it does not fit
 * or the environment is invalid (the message is written to stderr). */
int proto_endpoint(unsigned port_offset, proto_side_t side, char *out, size_t cap);

#endif
