/*
 * Argon2id password hashing (libsodium) on its own pool of low-priority threads, so that a
 * login flood cannot take the CPU from token refreshes and session checks (ARCHITECTURE §4).
 *
 * The pool is bounded: at most max_waiting hashes are queued or running at once. A request
 * beyond that is refused at once with -PROTO_ERR_BUSY (503 + Retry-After) instead of holding a
 * worker thread, so the service always has workers free for requests that need no hash.
 * Parameters: on or above OWASP's line (services/auth/config.h; default m = 7 MiB, t = 5), p = 1
 * (libsodium's Argon2id is single-lane).
 */
#ifndef APIBUS_SERVICES_AUTH_HASHER_H
#define APIBUS_SERVICES_AUTH_HASHER_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_HASH_MAX crypto_pwhash_STRBYTES /* the encoded hash, with its NUL */

typedef struct st_auth_hasher_t auth_hasher_t;

/* Starts threads running at the given nice value (the rest of the process keeps its own).
 * Returns 0 or -PROTO_ERR_INTERNAL. */
int auth_hasher_start(uint64_t memory, uint64_t ops, unsigned threads, unsigned max_waiting, int nice,
                      auth_hasher_t **out);
/* Finishes queued work, stops the threads. NULL is a no-op. */
void auth_hasher_stop(auth_hasher_t *h);

/* Hashes password into out (an encoded "$argon2id$..." string). Blocks the caller until done.
 * Returns 0, -PROTO_ERR_BUSY when the pool is full, -PROTO_ERR_NO_MEMORY when hashing failed. */
int auth_hasher_hash(auth_hasher_t *h, const char *password, size_t len, char out[AUTH_HASH_MAX]);
/* Checks password against an encoded hash; *ok says whether it matches, *rehash whether the
 * hash used weaker parameters than the current ones. Returns 0 or -PROTO_ERR_BUSY. */
int auth_hasher_verify(auth_hasher_t *h, const char *encoded, const char *password, size_t len, bool *ok,
                       bool *rehash);

#endif
