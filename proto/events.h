/*
 * Events: facts that services publish to gateways (ARCHITECTURE §3), e.g. "tokens of user 7
 * from before T are void". Each publisher numbers its events 1, 2, 3, ... in its own store, so
 * a gateway that sees a gap, starts, or simply every few seconds asks the publisher for
 * "everything since N" (an internal request) and never depends on one PUB message arriving
 * (tech notes §5). Applying an event is idempotent: seeing one twice changes nothing.
 *
 * Wire form (a PUB message, and each element of a resync reply), JSON:
 *   {"publisher":"auth","seq":12,"type":"user.valid_after","user_id":7,"at_us":1700000000000000,"key":"..."}
 * A resync reply (GET /_internal/<role>/events/?since=N, answered by the runtime):
 *   {"publisher":"auth","head":14,"events":[...],"more":false}
 * Unknown types are skipped by gateways (a newer publisher during a rolling upgrade).
 */
#ifndef APIBUS_PROTO_EVENTS_H
#define APIBUS_PROTO_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* X(NAME, wire name): what happened, and which fields carry it. */
#define PROTO_EVENT_TYPES(X)                                                                                     \
    X(USER_VALID_AFTER, "user.valid_after") /* user_id: its tokens and sessions from before at_us are void */    \
    X(SESSION_REVOKED, "session.revoked")   /* key: hex SHA-256 of the session id (logout) */                     \
    X(KEYRING_CHANGED, "jwt.keyring")       /* the JWT keyring file changed: reload it */                         \
    X(KEY_REVOKED, "key.revoked")           /* key: the API key's prefix (user_id: its owner): refuse it */      \
    X(USER_DEACTIVATED, "user.deactivated") /* user_id: refuse everything of the user, its API keys included */

typedef enum en_proto_event_type_t {
    PROTO_EVENT_UNKNOWN = 0,
#define PROTO_EVENT_ENUM_(name, wire) PROTO_EVENT_##name,
    PROTO_EVENT_TYPES(PROTO_EVENT_ENUM_)
#undef PROTO_EVENT_ENUM_
    PROTO_EVENT_COUNT_
} proto_event_type_t;

#define PROTO_EVENT_KEY_MAX 128
#define PROTO_EVENT_MAX_MSG 4096 /* a PUB message is never larger */
#define PROTO_EVENTS_PATH_FMT "/_internal/%s/events/"

typedef struct st_proto_event_t {
    uint64_t seq;
    proto_event_type_t type;
    uint64_t user_id;
    int64_t at_us;
    char key[PROTO_EVENT_KEY_MAX + 1];
} proto_event_t;

const char *proto_event_type_name(proto_event_type_t type);
proto_event_type_t proto_event_type_parse(const char *name);

/* The JSON object of one event (new reference; NULL only out of memory). */
json_t *proto_event_to_json(const char *publisher, const proto_event_t *ev);
/* Reads one event object. Unknown types give type PROTO_EVENT_UNKNOWN (with seq set). Returns 0,
 * or -1 when the object is malformed (no seq, wrong types, a key too long). */
int proto_event_from_json(const json_t *obj, proto_event_t *ev);

/* A PUB message: the event's JSON text. *out is malloc'ed. 0 or -1. */
int proto_event_encode(const char *publisher, const proto_event_t *ev, char **out, size_t *len);
/* Decodes a PUB message; publisher is copied into pub (cap bytes). 0 or -1. */
int proto_event_decode(const void *data, size_t len, char *pub, size_t pub_cap, proto_event_t *ev);

#endif
