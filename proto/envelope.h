/*
 * The bus envelope: what the gateway and the services say to each other.
 *
 * Every bus message is one msgpack map. Keys (all short strings):
 *   "v"  major version (PROTO_VERSION)     "k"  kind: ready | job | result | ping
 *   "j"  job id (gateway epoch << 32 | counter; echoed in the result)
 * A job (the HTTP request, or an internal operation):
 *   "id" request id   "op" internal operation name or absent   "t" remaining time budget, ms
 *   "m" method   "p" path   "q" query string (without '?')   "h" map of the few headers a service needs
 *   "ip" client address   "base" public base URL, e.g. "http://localhost:8000"   "pr" principal map
 *   "b" body (bin)
 * A result: "s" HTTP status   "h" headers   "b" body (bin).
 * Principal map: "uid" "cred" "staff" "scope" "kp" (key prefix) "ae" (auth error).
 *
 * Unknown keys are skipped, so a newer gateway and an older service interoperate during a
 * rolling upgrade; a message with another major version is refused (-PROTO_ERR_MSG_VERSION).
 */
#ifndef APIBUS_PROTO_ENVELOPE_H
#define APIBUS_PROTO_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/mp.h"
#include "proto/principal.h"

#define PROTO_VERSION 1
#define PROTO_MAX_HEADERS 16

typedef enum en_proto_kind_t {
    PROTO_KIND_READY = 1,  /* worker -> gateway: give me work */
    PROTO_KIND_JOB = 2,    /* gateway -> worker */
    PROTO_KIND_RESULT = 3, /* worker -> gateway: the reply to a job; also the worker's next READY */
    PROTO_KIND_PING = 4    /* gateway -> idle worker: are you alive? the answer is a READY */
} proto_kind_t;

typedef struct st_proto_header_t {
    proto_str_t name; /* lower-case */
    proto_str_t value;
} proto_header_t;

typedef struct st_proto_request_t {
    proto_str_t id;
    proto_str_t op; /* empty for HTTP requests */
    uint32_t budget_ms;
    proto_str_t method, path, query;
    proto_header_t headers[PROTO_MAX_HEADERS];
    size_t num_headers;
    proto_str_t client;
    proto_str_t base_url;
    proto_principal_t principal;
    proto_str_t body;
} proto_request_t;

typedef struct st_proto_reply_t {
    uint16_t status;
    proto_header_t headers[PROTO_MAX_HEADERS];
    size_t num_headers;
    proto_str_t body;
} proto_reply_t;

typedef struct st_proto_msg_t {
    uint32_t version;
    proto_kind_t kind;
    uint64_t job_id;
    proto_request_t req; /* kind == PROTO_KIND_JOB */
    proto_reply_t reply; /* kind == PROTO_KIND_RESULT */
} proto_msg_t;

/* A growable output buffer (malloc'ed). proto_buf_dispose(NULL) and of a zeroed buffer are no-ops. */
typedef struct st_proto_buf_t {
    char *data;
    size_t size;
    size_t capacity;
} proto_buf_t;

void proto_buf_dispose(proto_buf_t *buf);
/* Appends len bytes to the proto_buf_t at buf, growing it. Returns 0, or -1 when out of memory.
 * Its signature is msgpack-c's write callback: msgpack_packer_init(&pk, &buf, proto_buf_append). */
int proto_buf_append(void *buf, const char *bytes, size_t len);

/* Appends the encoding of msg to out (out may start zeroed). Only the fields of msg->kind are
 * written. Returns 0 or -PROTO_ERR_NO_MEMORY. */
int proto_encode(const proto_msg_t *msg, proto_buf_t *out);
/* Encoding into memory the caller sized, e.g. a transport buffer that is sent without another
 * copy (proto/bus.h): proto_encoded_len gives the exact length proto_encode would append, and
 * proto_encode_into writes those bytes into dst (room for cap) and sets *len. Both return 0 or
 * -PROTO_ERR_INTERNAL (more than PROTO_MAX_HEADERS headers); proto_encode_into returns
 * -PROTO_ERR_NO_MEMORY when cap is too small (dst then holds a partial encoding). */
int proto_encoded_len(const proto_msg_t *msg, size_t *len);
int proto_encode_into(const proto_msg_t *msg, void *dst, size_t cap, size_t *len);

/* Decodes exactly one message of at most max_len bytes. Every pointer in *msg points into data,
 * which must outlive msg. Never allocates. Returns 0 or -PROTO_ERR_MSG_*. */
int proto_decode(const void *data, size_t len, size_t max_len, proto_msg_t *msg);

/* The value of a header (name lower-case), or an empty string when absent. */
proto_str_t proto_header_get(const proto_header_t *headers, size_t num, const char *name);

#endif
