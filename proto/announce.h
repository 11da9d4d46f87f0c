/*
 * The fragment announcement: what a service instance pushes to schema-svc at start, every
 * APIBUS_FRAGMENT_PUSH_MS, and once more when it stops (ARCHITECTURE §3 "Fragments").
 *
 * One msgpack map:
 *   "v"    major version (PROTO_VERSION)     "svc"  service (role) name, e.g. "employees"
 *   "ver"  the service's version             "inst" instance id, unique while it runs ("host:pid")
 *   "st"   start time of the instance, microseconds since the epoch (the newest instance's
 *          fragment wins during a rolling restart)
 *   "bye"  true when the instance is stopping (absent otherwise)
 *   "f"    the fragment: the JSON text `apibus-<svc> --print-fragment` prints (bin)
 * Unknown keys are skipped, as in the envelope.
 */
#ifndef APIBUS_PROTO_ANNOUNCE_H
#define APIBUS_PROTO_ANNOUNCE_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/envelope.h"

typedef struct st_proto_announce_t {
    proto_str_t service, version, instance;
    uint64_t started_us;
    bool stopping;
    proto_str_t fragment; /* may be empty when stopping */
} proto_announce_t;

/* Appends the encoding to out (which may start zeroed). Returns 0 or -PROTO_ERR_NO_MEMORY. */
int proto_announce_encode(const proto_announce_t *a, proto_buf_t *out);
/* Decodes one message of at most max_len bytes as hostile input; strings point into data.
 * Returns 0 or -PROTO_ERR_MSG_* (a missing service, instance or, unless stopping, fragment
 * is -PROTO_ERR_MSG_MISSING; a service, instance or version with a control character or NUL is
 * -PROTO_ERR_MSG_BAD_NAME). */
int proto_announce_decode(const void *data, size_t len, size_t max_len, proto_announce_t *a);

#endif
