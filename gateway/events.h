/*
 * The gateway's event endpoint (ARCHITECTURE §3, tech notes §5): a SUB socket bound at
 * PROTO_PORT_EVENTS that every publishing service instance connects a PUB to. Events are hints:
 * for each publishing role (proto_role_t.events) the gateway resyncs "everything since the last
 * event applied" over the role's job board at start, when it sees a gap, and every
 * APIBUS_EVENTS_RESYNC_MS; so no authentication decision depends on one PUB message arriving.
 * Any service (auth, keys) publishes through services/runtime/events.c and gets this
 * for free; what an event does is in gw__apply (gateway/events.c).
 */
#ifndef APIBUS_GATEWAY_EVENTS_H
#define APIBUS_GATEWAY_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <h2o.h>

#include "gateway/call.h"
#include "gateway/revocations.h"
#include "proto/events.h"

#define GW_EVENTS_MAX_ROLES 16

struct st_gw_loop_t;

typedef struct st_gw_publisher_t {
    struct st_gw_events_t *events;
    size_t role; /* index in proto_roles */
    gw_seq_t seq;
    gw_call_t *call;        /* the resync in flight */
    int64_t next_resync_ms; /* monotonic */
} gw_publisher_t;

typedef struct st_gw_events_t {
    struct st_gw_loop_t *loop;
    int sock;
    h2o_socket_t *watch;
    gw_revocations_t revocations;
    gw_publisher_t publishers[GW_EVENTS_MAX_ROLES]; /* indexed as proto_roles */
    uint32_t resync_ms;
    uint64_t received, applied, gaps, resyncs;
} gw_events_t;

/* Binds the SUB socket and schedules the first resyncs. 0, or -1 with the reason on stderr. */
int gw_events_init(gw_events_t *ev, struct st_gw_loop_t *loop, h2o_loop_t *h2o_loop, uint32_t resync_ms);
/* Starts the resyncs that are due; call from the loop's tick. */
void gw_events_tick(gw_events_t *ev);
void gw_events_dispose(gw_events_t *ev);

#endif
