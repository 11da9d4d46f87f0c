/*
 * Who is asking. The gateway authenticates (turns credentials into a principal); the service
 * that owns the data authorizes (checks the principal against the route's permission).
 */
#ifndef APIBUS_PROTO_PRINCIPAL_H
#define APIBUS_PROTO_PRINCIPAL_H

#include <stdbool.h>
#include <stdint.h>

#define PROTO_KEY_PREFIX_LEN 8

typedef enum en_proto_cred_t {
    PROTO_CRED_NONE = 0, /* anonymous */
    PROTO_CRED_JWT = 1,  /* Authorization: Bearer <access token> */
    PROTO_CRED_SESSION = 2,
    PROTO_CRED_API_KEY = 3,
    PROTO_CRED_SYSTEM = 4 /* the `apibus` command and service-to-service calls on the internal endpoint */
} proto_cred_t;

/* Scope bits of an API key. A key without PROTO_SCOPE_WRITE may use safe methods only. */
#define PROTO_SCOPE_READ 0x1u
#define PROTO_SCOPE_WRITE 0x2u
#define PROTO_SCOPE_ALL (PROTO_SCOPE_READ | PROTO_SCOPE_WRITE)

typedef struct st_proto_principal_t {
    uint64_t user_id; /* 0 when anonymous */
    proto_cred_t cred;
    bool is_staff;
    uint32_t scope;                               /* PROTO_SCOPE_* ; PROTO_SCOPE_ALL for JWT and sessions */
    char key_prefix[PROTO_KEY_PREFIX_LEN + 1];    /* API key prefix when cred == PROTO_CRED_API_KEY, else "" */
    int auth_error; /* 0, or the proto_err_t explaining why presented credentials were refused:
                     * such a request is anonymous, and a route that needs a user answers 401 with it */
} proto_principal_t;

#endif
