/*
 * The server's OTP key, and the TOTP secrets sealed with it. A TOTP secret must be readable by
 * the server (it computes the codes), so it cannot be hashed like a password; it is encrypted
 * instead (XChaCha20-Poly1305, bound to its user id), with a key kept outside the database, so a
 * copy of the LMDB files or a backup alone reveals no secret. Recovery codes are hashed with a
 * second key derived from the same one.
 *
 * The key comes from APIBUS_AUTH_OTP_KEY (any text of at least 32 characters, hashed to 32
 * bytes), or else from the file $APIBUS_DATA_DIR/otp-key (64 hex digits), which the first auth
 * instance to start makes and every other instance sharing the data directory reads. Losing it
 * loses every enrolment: users then need `apibus user 2fa-reset`.
 */
#ifndef APIBUS_SERVICES_AUTH_OTP_KEY_H
#define APIBUS_SERVICES_AUTH_OTP_KEY_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "services/auth/recovery.h"
#include "services/auth/totp.h"

#define AUTH_OTP_SEALED_LEN                                                                                      \
    (crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + AUTH_TOTP_SECRET_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)

typedef struct st_auth_otp_keys_t {
    uint8_t seal[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    uint8_t recovery[AUTH_RECOVERY_KEY_LEN];
} auth_otp_keys_t;

/* Loads (or, with neither the variable nor the file, makes) the key and derives both subkeys.
 * Returns 0, or -1 with a one-line reason (never the key) in err. */
int auth_otp_keys_load(auth_otp_keys_t *k, char *err, size_t err_cap);
/* Derives both subkeys from a 32-byte master key (exposed for the unit tests). */
void auth_otp_keys_derive(auth_otp_keys_t *k, const uint8_t master[crypto_kdf_KEYBYTES]);

/* Encrypts secret for user_id with a random nonce: out = nonce | ciphertext | tag. */
void auth_otp_seal(const auth_otp_keys_t *k, uint64_t user_id, const uint8_t secret[AUTH_TOTP_SECRET_LEN],
                   uint8_t out[AUTH_OTP_SEALED_LEN]);
/* Decrypts; -1 when the data was changed, belongs to another user, or the key is another. */
int auth_otp_open(const auth_otp_keys_t *k, uint64_t user_id, const uint8_t in[AUTH_OTP_SEALED_LEN],
                  uint8_t secret[AUTH_TOTP_SECRET_LEN]);

#endif
