/*
 * The service tier's stand-in for the gateway: binds the role's job board on a free loopback
 * port, runs the real service binary as a child process against it, and sends JOB envelopes
 * with an injected principal, as the gateway would after authenticating.
 *
 * Every function fails the current Criterion test itself (cr_assert), so tests stay short.
 */
#ifndef APIBUS_TESTS_SERVICE_HARNESS_H
#define APIBUS_TESTS_SERVICE_HARNESS_H

#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/bus.h"
#include "proto/envelope.h"
#include "proto/principal.h"

#define HARNESS_MAX_WORKERS 64
#define HARNESS_BASE_URL "http://testserver"

typedef struct st_harness_reply_t {
    int status;
    json_t *json;      /* the body parsed, or NULL when empty or not JSON */
    proto_str_t body;  /* raw body, points into the message */
    proto_msg_t msg;   /* the decoded RESULT (headers: proto_header_get) */
    void *raw_;
} harness_reply_t;

typedef struct st_harness_t {
    const char *role;
    char binary[PATH_MAX];
    char data_dir[64];
    int board;
    pid_t child;
    uint64_t next_job;
    proto_bus_hdr_t idle[HARNESS_MAX_WORKERS]; /* workers waiting for a job, one per pipe */
    size_t num_idle;
    harness_reply_t last; /* owned: replaced by the next call */
} harness_t;

/* Binds the board for role (e.g. "employees"), starts $APIBUS_BUILD_DIR/services/<role>/apibus-<role>
 * with a fresh data directory, and waits for its first READY. */
void harness_start(harness_t *h, const char *role);
/* Stops the child (SIGTERM), closes the board and removes the data directory. */
void harness_stop(harness_t *h);
/* Kills the child with sig, waits until its connections are gone, and starts it again on the
 * same data directory. */
void harness_restart(harness_t *h, int sig);

/* Sends one request as `who` and waits for its RESULT. body may be NULL; a body is sent as
 * application/json. query is without '?', may be NULL. The reply stays valid until the next
 * call on h. */
const harness_reply_t *harness_call(harness_t *h, const proto_principal_t *who, const char *method, const char *path,
                                    const char *query, const char *body);

/* Principals as the gateway makes them. */
proto_principal_t harness_anonymous(int auth_error);
proto_principal_t harness_jwt(uint64_t user_id);
proto_principal_t harness_api_key(uint64_t user_id, uint32_t scope);

/* Asserts that j equals the JSON text expected (exact types: 1 and 1.0 differ). */
void harness_assert_json(const json_t *j, const char *expected);

#endif
