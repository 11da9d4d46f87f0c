/*
 * The one error list of apibus. Every failure that can reach a client, and every failure of
 * the bus codec, is a row here: its HTTP status, its DRF-style machine code and the `detail`
 * text a client sees. Functions across apibus return 0 on success or a negated proto_err_t.
 */
#ifndef APIBUS_PROTO_ERRORS_H
#define APIBUS_PROTO_ERRORS_H

#include <stddef.h>

/* X(NAME, http status, code or NULL, detail)
 * A NULL code gives DRF's plain {"detail": ...} body; a code adds "code" (Simple JWT style). */
#define PROTO_ERRORS(X)                                                                                        \
    X(BAD_REQUEST, 400, NULL, "Invalid input.")                                                               \
    X(PARSE_ERROR, 400, NULL, "JSON parse error.")                                                           \
    X(BODY_TOO_DEEP, 400, NULL, "Request body is nested too deeply.")                                        \
    X(NOT_AUTHENTICATED, 401, NULL, "Authentication credentials were not provided.")                        \
    X(TOKEN_NOT_VALID, 401, "token_not_valid", "Token is invalid or expired")                                \
    X(API_KEY_NOT_VALID, 401, "api_key_not_valid", "API key is invalid, expired or revoked.")                \
    X(SESSION_NOT_VALID, 401, "session_not_valid", "Session is invalid or expired.")                         \
    X(PERMISSION_DENIED, 403, NULL, "You do not have permission to perform this action.")                   \
    X(READ_ONLY_KEY, 403, "read_only_key", "This API key is read-only: it lacks the 'write' scope.")          \
    X(NOT_FOUND, 404, NULL, "Not found.")                                                                    \
    X(INVALID_PAGE, 404, NULL, "Invalid page.")                                                              \
    X(METHOD_NOT_ALLOWED, 405, NULL, "Method not allowed.")                                                  \
    X(NOT_ACCEPTABLE, 406, NULL, "Could not satisfy the request Accept header.")                             \
    X(PAYLOAD_TOO_LARGE, 413, NULL, "Request body is too large.")                                            \
    X(UNSUPPORTED_MEDIA_TYPE, 415, NULL, "Unsupported media type in request.")                               \
    X(IDEMPOTENCY_MISMATCH, 422, "idempotency_key_reused",                                                    \
      "This Idempotency-Key was already used with a different request.")                                     \
    X(IDEMPOTENCY_IN_FLIGHT, 409, "idempotency_key_in_use",                                                    \
      "A request with this Idempotency-Key is still being processed; retry it later.")                        \
    X(THROTTLED, 429, NULL, "Request was throttled.")                                                        \
    X(INTERNAL, 500, NULL, "A server error occurred.")                                                       \
    X(NO_MEMORY, 500, NULL, "The server ran out of memory.")                                                 \
    X(STORAGE, 500, NULL, "The storage layer failed.")                                                       \
    X(BAD_REPLY, 502, NULL, "The service sent an invalid reply.")                                            \
    X(REPLY_TOO_LARGE, 502, NULL, "The service reply is too large.")                                         \
    X(UNAVAILABLE, 503, NULL, "Service temporarily unavailable, try again later.")                          \
    X(QUEUE_FULL, 503, NULL, "Too many requests are waiting for this service, try again later.")            \
    X(TIMEOUT, 504, NULL, "The service did not answer in time.")                                             \
    X(CSRF_MISSING, 403, NULL, "CSRF Failed: CSRF token missing.")                                           \
    X(CSRF_INCORRECT, 403, NULL, "CSRF Failed: CSRF token incorrect.")                                       \
    X(CSRF_ORIGIN, 403, NULL, "CSRF Failed: Origin checking failed - the origin is not trusted.")            \
    X(BUSY, 503, NULL, "Too many logins are being checked right now, try again in a moment.")                \
    /* bus codec: a message that fails to decode; a gateway maps these to BAD_REPLY for clients */            \
    X(MSG_TRUNCATED, 502, NULL, "Bus message is truncated.")                                                 \
    X(MSG_TRAILING, 502, NULL, "Bus message has trailing bytes.")                                            \
    X(MSG_TOO_LARGE, 502, NULL, "Bus message is too large.")                                                 \
    X(MSG_TOO_DEEP, 502, NULL, "Bus message is nested too deeply.")                                          \
    X(MSG_BAD_COUNT, 502, NULL, "Bus message declares more elements than it holds.")                         \
    X(MSG_BAD_TYPE, 502, NULL, "Bus message has a field of the wrong type.")                                 \
    X(MSG_BAD_UTF8, 502, NULL, "Bus message has a string that is not UTF-8.")                                \
    X(MSG_MISSING, 502, NULL, "Bus message lacks a required field.")                                         \
    X(MSG_VERSION, 502, NULL, "Bus message has an unsupported major version.")                               \
    X(MSG_INVALID, 502, NULL, "Bus message is not valid msgpack.")                                          \
    X(MSG_BAD_NAME, 502, NULL, "Bus message has a name with control characters or NUL.")

typedef enum en_proto_err_t {
    PROTO_OK = 0,
#define PROTO_ERR_ENUM_(name, status, code, detail) PROTO_ERR_##name,
    PROTO_ERRORS(PROTO_ERR_ENUM_)
#undef PROTO_ERR_ENUM_
    PROTO_ERR_COUNT_
} proto_err_t;

/* The HTTP status of an error; 500 for anything that is not in the list. Accepts err or -err. */
int proto_err_status(int err);
/* The symbolic name ("NOT_FOUND"), for logs. Static storage. */
const char *proto_err_name(int err);
/* The `detail` text. Static storage. */
const char *proto_err_detail(int err);
/* The DRF-style JSON body, e.g. {"detail":"Not found."}. Static storage, NUL-terminated. */
const char *proto_err_body(int err, size_t *len);

#endif
