/*
 * Recovery codes: ten one-time codes a user writes down when turning two-factor on, each
 * usable once in place of an authenticator code. Each carries 50 random bits, so a fast keyed
 * hash (BLAKE2b with a key of the server's OTP key, services/auth/otp_key.h) is enough to store
 * them: nobody can search 2^50 candidates per code through a throttled login, and without the
 * key a copy of the database gives nothing to search offline. Argon2 would make checking ten
 * of them cost ten password hashes.
 */
#ifndef APIBUS_SERVICES_AUTH_RECOVERY_H
#define APIBUS_SERVICES_AUTH_RECOVERY_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_RECOVERY_CODES 10
#define AUTH_RECOVERY_CHARS 10                        /* base32 characters: 50 bits */
#define AUTH_RECOVERY_TEXT (AUTH_RECOVERY_CHARS + 2)  /* "abcde-fghij" and its NUL */
#define AUTH_RECOVERY_HASH_LEN 32
#define AUTH_RECOVERY_KEY_LEN 32

/* A new code as shown to the user: "xxxxx-xxxxx" in lower-case base32. */
void auth_recovery_new(char out[AUTH_RECOVERY_TEXT]);
/* The canonical form of what a user typed (case, spaces and dashes ignored). Returns 0, or -1
 * when it cannot be a recovery code (a 6-digit authenticator code never is). */
int auth_recovery_normalize(const char *s, size_t len, char out[AUTH_RECOVERY_CHARS + 1]);
/* The stored form of a canonical code. */
void auth_recovery_hash(const uint8_t key[AUTH_RECOVERY_KEY_LEN], const char canonical[AUTH_RECOVERY_CHARS + 1],
                        uint8_t out[AUTH_RECOVERY_HASH_LEN]);

#endif
