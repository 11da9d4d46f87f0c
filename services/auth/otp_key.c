#include "services/auth/otp_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUTH_OTP_KEY_MIN_CHARS 32
#define AUTH_OTP_KEY_HEX (2 * crypto_kdf_KEYBYTES)
#define AUTH_OTP_KDF_CONTEXT "apibusOT" /* crypto_kdf_CONTEXTBYTES */

enum { AUTH_OTP_SUBKEY_SEAL = 1, AUTH_OTP_SUBKEY_RECOVERY = 2 };

void auth_otp_keys_derive(auth_otp_keys_t *k, const uint8_t master[crypto_kdf_KEYBYTES])
{
    crypto_kdf_derive_from_key(k->seal, sizeof k->seal, AUTH_OTP_SUBKEY_SEAL, AUTH_OTP_KDF_CONTEXT, master);
    crypto_kdf_derive_from_key(k->recovery, sizeof k->recovery, AUTH_OTP_SUBKEY_RECOVERY, AUTH_OTP_KDF_CONTEXT,
                               master);
}

static int auth__key_read(const char *path, uint8_t master[crypto_kdf_KEYBYTES], char *err, size_t cap)
{
    char text[AUTH_OTP_KEY_HEX + 4];
    size_t bin_len = 0;
    int rc = -1;
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        snprintf(err, cap, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    if (n == AUTH_OTP_KEY_HEX && sodium_hex2bin(master, crypto_kdf_KEYBYTES, text, n, NULL, &bin_len, NULL) == 0 &&
        bin_len == crypto_kdf_KEYBYTES)
        rc = 0;
    else
        snprintf(err, cap, "%s must hold %d hex digits", path, AUTH_OTP_KEY_HEX);
    sodium_memzero(text, sizeof text);
    return rc;
}

/* A new key file, made whole under a temporary name and linked into place: of several instances
 * starting at once, the first link wins and the others read its key. */
static int auth__key_make(const char *path, char *err, size_t cap)
{
    char tmp[4200], hex[AUTH_OTP_KEY_HEX + 2];
    uint8_t raw[crypto_kdf_KEYBYTES];
    int rc = -1;
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, cap, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    crypto_kdf_keygen(raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    hex[AUTH_OTP_KEY_HEX] = '\n';
    if (write(fd, hex, AUTH_OTP_KEY_HEX + 1) != AUTH_OTP_KEY_HEX + 1 || fsync(fd) != 0)
        snprintf(err, cap, "cannot write %s: %s", tmp, strerror(errno));
    else if (link(tmp, path) != 0 && errno != EEXIST)
        snprintf(err, cap, "cannot create %s: %s", path, strerror(errno));
    else
        rc = 0;
    close(fd);
    unlink(tmp);
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(hex, sizeof hex);
    return rc;
}

int auth_otp_keys_load(auth_otp_keys_t *k, char *err, size_t cap)
{
    uint8_t master[crypto_kdf_KEYBYTES];
    const char *env = getenv("APIBUS_AUTH_OTP_KEY");
    if (env != NULL && *env != '\0') {
        if (strlen(env) < AUTH_OTP_KEY_MIN_CHARS) {
            snprintf(err, cap, "APIBUS_AUTH_OTP_KEY must have at least %d characters", AUTH_OTP_KEY_MIN_CHARS);
            return -1;
        }
        crypto_generichash(master, sizeof master, (const unsigned char *)env, strlen(env), NULL, 0);
    } else {
        const char *dir = getenv("APIBUS_DATA_DIR");
        char path[4096];
        int n = snprintf(path, sizeof path, "%s/otp-key", dir != NULL && *dir != '\0' ? dir : "./var");
        if (n < 0 || (size_t)n >= sizeof path) {
            snprintf(err, cap, "APIBUS_DATA_DIR is too long");
            return -1;
        }
        if (access(path, F_OK) != 0 && auth__key_make(path, err, cap) != 0)
            return -1;
        if (auth__key_read(path, master, err, cap) != 0)
            return -1;
    }
    auth_otp_keys_derive(k, master);
    sodium_memzero(master, sizeof master);
    return 0;
}

static void auth__ad(uint64_t user_id, uint8_t ad[16])
{
    memcpy(ad, "apibusOT", 8); /* a domain label, then the user the secret belongs to */
    for (int i = 15; i >= 8; i--, user_id >>= 8)
        ad[i] = (uint8_t)user_id;
}

void auth_otp_seal(const auth_otp_keys_t *k, uint64_t user_id, const uint8_t secret[AUTH_TOTP_SECRET_LEN],
                   uint8_t out[AUTH_OTP_SEALED_LEN])
{
    uint8_t ad[16];
    auth__ad(user_id, ad);
    randombytes_buf(out, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL, secret,
                                               AUTH_TOTP_SECRET_LEN, ad, sizeof ad, NULL, out, k->seal);
}

int auth_otp_open(const auth_otp_keys_t *k, uint64_t user_id, const uint8_t in[AUTH_OTP_SEALED_LEN],
                  uint8_t secret[AUTH_TOTP_SECRET_LEN])
{
    uint8_t ad[16];
    auth__ad(user_id, ad);
    const size_t nonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(secret, NULL, NULL, in + nonce, AUTH_OTP_SEALED_LEN - nonce, ad,
                                                        sizeof ad, in, k->seal);
    return rc == 0 ? 0 : -1;
}
