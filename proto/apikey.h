/*
 * API keys as djangorestframework-api-key 3.x makes them (ARCHITECTURE §6, COMPAT "API keys"):
 * "<prefix>.<secret>", 8 and 32 letters and digits, 41 characters in all, shown once. Only
 * "sha512$$" + hex(SHA-512 of the whole key) is stored (the library's Sha512ApiKeyHasher: no
 * salt, the key has 190 bits of entropy), so keys exported from a Pegasus database verify here.
 * The gateway hashes the key it receives and sends the keys service the prefix and the hash,
 * never the key; the keys service compares hashes in constant time.
 */
#ifndef APIBUS_PROTO_APIKEY_H
#define APIBUS_PROTO_APIKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/principal.h"

#define PROTO_APIKEY_SECRET_LEN 32
#define PROTO_APIKEY_LEN (PROTO_KEY_PREFIX_LEN + 1 + PROTO_APIKEY_SECRET_LEN) /* 41 */
#define PROTO_APIKEY_HASH_LEN 64                                            /* SHA-512 */
#define PROTO_APIKEY_HASH_HEX (2 * PROTO_APIKEY_HASH_LEN)
#define PROTO_APIKEY_HASH_TAG "sha512$$"
#define PROTO_APIKEY_STORED_LEN (sizeof PROTO_APIKEY_HASH_TAG - 1 + PROTO_APIKEY_HASH_HEX) /* 136 */

/* A new random key (NUL-terminated); its prefix is out[0..7]. */
void proto_apikey_new(char out[PROTO_APIKEY_LEN + 1]);
/* Whether key (not NUL-terminated) has the shape of a key; copies its prefix (NUL-terminated)
 * when prefix is not NULL. */
bool proto_apikey_parse(const char *key, size_t len, char prefix[PROTO_KEY_PREFIX_LEN + 1]);
/* Whether s is a prefix: 8 letters and digits. */
bool proto_apikey_prefix_ok(const char *s, size_t len);
/* SHA-512 of the whole key. */
void proto_apikey_hash(const char *key, size_t len, unsigned char out[PROTO_APIKEY_HASH_LEN]);
/* The stored form of a hash: "sha512$$<128 lower-case hex digits>" (NUL-terminated). */
void proto_apikey_stored(const unsigned char hash[PROTO_APIKEY_HASH_LEN], char out[PROTO_APIKEY_STORED_LEN + 1]);
/* Reads a stored form (or bare hex when tag_optional) back into a hash. 0, or -1 when it is not
 * "sha512$$" and 128 hex digits (a Django pbkdf2_sha256$... hash, for one, is refused). */
int proto_apikey_parse_stored(const char *s, size_t len, bool tag_optional, unsigned char out[PROTO_APIKEY_HASH_LEN]);

#endif
