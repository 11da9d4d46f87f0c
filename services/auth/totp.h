/*
 * Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP with HMAC-SHA1), as
 * authenticator apps compute them: a 20-byte secret shown as base32, 30-second steps, 6 digits.
 * Pure functions (OpenSSL's HMAC), so the RFC's test vectors are checked in the unit tests.
 */
#ifndef APIBUS_SERVICES_AUTH_TOTP_H
#define APIBUS_SERVICES_AUTH_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_TOTP_SECRET_LEN 20 /* RFC 4226's recommended 160 bits */
#define AUTH_TOTP_SECRET_B32 32 /* its base32 text, without padding */
#define AUTH_TOTP_PERIOD_S 30
#define AUTH_TOTP_DIGITS 6
#define AUTH_TOTP_SKEW 1       /* steps accepted either side of the current one */
#define AUTH_TOTP_CODE_MAX 10  /* HOTP allows up to 9 digits, plus the NUL */

/* The time step of a Unix time (seconds). */
int64_t auth_totp_step(int64_t unix_s);

/* The HOTP value of key at counter, as `digits` (6..9) decimal digits with leading zeros.
 * Returns 0, or -1 when the HMAC failed or digits is out of range. */
int auth_hotp(const uint8_t *key, size_t key_len, uint64_t counter, unsigned digits, char out[AUTH_TOTP_CODE_MAX]);

/* The step in [now_step - AUTH_TOTP_SKEW, now_step + AUTH_TOTP_SKEW] whose 6-digit code is
 * `code`, considering only steps after `after` (the last one accepted: a code is good once).
 * Every candidate is computed and compared in constant time, so timing tells nothing about
 * which one matched. Returns the step, or -1 when none matches. */
int64_t auth_totp_match(const uint8_t *key, size_t key_len, const char *code, size_t code_len, int64_t now_step,
                        int64_t after);

/* RFC 4648 base32 without padding (what otpauth:// URIs carry). encode writes a NUL-terminated
 * text and returns its length, or -1 when out is too small. decode accepts upper or lower case,
 * ignores spaces and '=' and returns the number of bytes, or -1 on a bad character or overflow. */
int auth_base32_encode(const uint8_t *in, size_t len, char *out, size_t cap);
int auth_base32_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/* The provisioning URI authenticator apps scan (Google's Key Uri Format):
 * otpauth://totp/<issuer>:<account>?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30,
 * label and issuer percent-encoded. Returns 0, or -1 when it does not fit in cap. */
int auth_totp_uri(const char *issuer, const char *account, const char *secret_b32, char *out, size_t cap);

#endif
