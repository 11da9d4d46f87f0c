#include "services/auth/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char auth__b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int64_t auth_totp_step(int64_t unix_s)
{
    /* floor division, so a clock before 1970 cannot produce a step that repeats */
    return unix_s >= 0 ? unix_s / AUTH_TOTP_PERIOD_S : -((-unix_s + AUTH_TOTP_PERIOD_S - 1) / AUTH_TOTP_PERIOD_S);
}

int auth_hotp(const uint8_t *key, size_t key_len, uint64_t counter, unsigned digits, char out[AUTH_TOTP_CODE_MAX])
{
    static const uint32_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};
    uint8_t msg[8], md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (digits < 6 || digits > 9)
        return -1;
    for (int i = 7; i >= 0; i--, counter >>= 8)
        msg[i] = (uint8_t)counter;
    if (HMAC(EVP_sha1(), key, (int)key_len, msg, sizeof msg, md, &md_len) == NULL || md_len != 20)
        return -1;
    /* RFC 4226 §5.3, dynamic truncation */
    unsigned off = md[19] & 0x0f;
    uint32_t bin = (uint32_t)(md[off] & 0x7f) << 24 | (uint32_t)md[off + 1] << 16 | (uint32_t)md[off + 2] << 8 |
                   (uint32_t)md[off + 3];
    char text[16];
    snprintf(text, sizeof text, "%0*u", (int)digits, bin % pow10[digits]);
    memcpy(out, text, digits + 1);
    sodium_memzero(md, sizeof md);
    return 0;
}

int64_t auth_totp_match(const uint8_t *key, size_t key_len, const char *code, size_t code_len, int64_t now_step,
                        int64_t after)
{
    int64_t found = -1;
    if (code_len != AUTH_TOTP_DIGITS)
        return -1;
    for (int64_t step = now_step - AUTH_TOTP_SKEW; step <= now_step + AUTH_TOTP_SKEW; step++) {
        char want[AUTH_TOTP_CODE_MAX];
        if (step < 0 || auth_hotp(key, key_len, (uint64_t)step, AUTH_TOTP_DIGITS, want) != 0)
            continue;
        bool same = sodium_memcmp(want, code, AUTH_TOTP_DIGITS) == 0;
        /* the latest matching step wins: a code can repeat across steps only by chance */
        if (same && step > after)
            found = step;
    }
    return found;
}

int auth_base32_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    uint32_t buf = 0;
    int bits = 0;
    if ((len * 8 + 4) / 5 + 1 > cap)
        return -1;
    for (size_t i = 0; i < len; i++) {
        buf = buf << 8 | in[i];
        bits += 8;
        while (bits >= 5) {
            out[n++] = auth__b32[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[n++] = auth__b32[(buf << (5 - bits)) & 31];
    out[n] = '\0';
    return (int)n;
}

int auth_base32_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    size_t n = 0;
    uint32_t buf = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == ' ' || c == '=')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        const char *p = c != '\0' ? strchr(auth__b32, c) : NULL;
        if (p == NULL)
            return -1;
        buf = buf << 5 | (uint32_t)(p - auth__b32);
        bits += 5;
        if (bits >= 8) {
            if (n == cap)
                return -1;
            out[n++] = (uint8_t)(buf >> (bits - 8));
            bits -= 8;
        }
    }
    return (int)n;
}

/* RFC 3986 unreserved characters stay; everything else is %XX (a space too, so that no app
 * reads a '+' as a plus sign). */
static int auth__pct(const char *s, char *out, size_t cap, size_t *used)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                     c == '.' || c == '_' || c == '~' || c == '@';
        int w = plain ? snprintf(out + *used, cap - *used, "%c", c) : snprintf(out + *used, cap - *used, "%%%02X", c);
        if (w < 0 || (size_t)w >= cap - *used)
            return -1;
        *used += (size_t)w;
    }
    return 0;
}

static int auth__lit(const char *s, char *out, size_t cap, size_t *used)
{
    int w = snprintf(out + *used, cap - *used, "%s", s);
    if (w < 0 || (size_t)w >= cap - *used)
        return -1;
    *used += (size_t)w;
    return 0;
}

int auth_totp_uri(const char *issuer, const char *account, const char *secret_b32, char *out, size_t cap)
{
    size_t used = 0;
    char tail[64];
    snprintf(tail, sizeof tail, "&algorithm=SHA1&digits=%d&period=%d", AUTH_TOTP_DIGITS, AUTH_TOTP_PERIOD_S);
    if (cap == 0 || auth__lit("otpauth://totp/", out, cap, &used) != 0 || auth__pct(issuer, out, cap, &used) != 0 ||
        auth__lit(":", out, cap, &used) != 0 || auth__pct(account, out, cap, &used) != 0 ||
        auth__lit("?secret=", out, cap, &used) != 0 || auth__lit(secret_b32, out, cap, &used) != 0 ||
        auth__lit("&issuer=", out, cap, &used) != 0 || auth__pct(issuer, out, cap, &used) != 0 ||
        auth__lit(tail, out, cap, &used) != 0)
        return -1;
    return 0;
}
