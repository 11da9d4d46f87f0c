#include "services/auth/recovery.h"

#include <sodium.h>
#include <string.h>

static const char auth__alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

void auth_recovery_new(char out[AUTH_RECOVERY_TEXT])
{
    size_t n = 0;
    for (size_t i = 0; i < AUTH_RECOVERY_CHARS; i++) {
        if (i == AUTH_RECOVERY_CHARS / 2)
            out[n++] = '-';
        /* 32 letters: uniform without rejection */
        out[n++] = auth__alphabet[randombytes_uniform(32)];
    }
    out[n] = '\0';
}

int auth_recovery_normalize(const char *s, size_t len, char out[AUTH_RECOVERY_CHARS + 1])
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '-' || c == ' ')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c == '\0' || strchr(auth__alphabet, c) == NULL || n == AUTH_RECOVERY_CHARS)
            return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    return n == AUTH_RECOVERY_CHARS ? 0 : -1;
}

void auth_recovery_hash(const uint8_t key[AUTH_RECOVERY_KEY_LEN], const char canonical[AUTH_RECOVERY_CHARS + 1],
                        uint8_t out[AUTH_RECOVERY_HASH_LEN])
{
    crypto_generichash(out, AUTH_RECOVERY_HASH_LEN, (const unsigned char *)canonical, AUTH_RECOVERY_CHARS, key,
                       AUTH_RECOVERY_KEY_LEN);
}
