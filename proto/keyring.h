/*
 * The JWT keyring file shared by auth (which signs and rotates) and the gateway (which
 * verifies): $APIBUS_DATA_DIR/jwt-secret. One secret per line, no other text:
 *
 *   <current secret>
 *   <previous secret> <unix seconds until which it is still accepted>
 *   ...
 *
 * A file of one line is the original single-secret format (`make run` writes it), so older
 * files keep working. Secrets are at least PROTO_SECRET_MIN bytes without whitespace; each is
 * named in tokens by its kid (proto/jwt.h). `apibus jwt rotate` (through auth) writes a new
 * current line and keeps the old one until every token it signed has expired.
 *
 * The file holds secrets: it is written 0600 with an atomic rename, and no function here
 * prints a secret.
 */
#ifndef APIBUS_PROTO_KEYRING_H
#define APIBUS_PROTO_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_KEYRING_MAX 4
#define PROTO_SECRET_MIN 32
#define PROTO_SECRET_MAX 1024

typedef struct st_proto_keyring_entry_t {
    char secret[PROTO_SECRET_MAX + 1];
    size_t len;
    int64_t retire_s; /* 0 for the current secret; else accepted until this time */
} proto_keyring_entry_t;

typedef struct st_proto_keyring_t {
    proto_keyring_entry_t keys[PROTO_KEYRING_MAX]; /* [0] is the current secret */
    size_t num;
} proto_keyring_t;

/* Parses the file's text. Returns 0, or -1 with a reason (never the secret) in err. */
int proto_keyring_parse(const char *text, size_t len, proto_keyring_t *out, char *err, size_t err_cap);
/* Reads and parses path. Returns 0, or -1 with the reason in err (errno ENOENT when absent). */
int proto_keyring_load(const char *path, proto_keyring_t *out, char *err, size_t err_cap);
/* Writes kr to path atomically (temporary file, fsync, rename), mode 0600. 0 or -1. */
int proto_keyring_save(const char *path, const proto_keyring_t *kr, char *err, size_t err_cap);
/* The keyring's path from APIBUS_DATA_DIR (default ./var). 0, or -1 when it does not fit. */
int proto_keyring_path(char *out, size_t cap);
/* Wipes the secrets from memory. NULL is a no-op. */
void proto_keyring_wipe(proto_keyring_t *kr);

#endif
