#include "proto/session.h"

#include <sodium.h>
#include <string.h>

void proto_session_new(char out[PROTO_SESSION_ID_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, PROTO_SESSION_ID_LEN + 1, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

bool proto_session_id_sane(const char *s, size_t len)
{
    if (len != PROTO_SESSION_ID_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

void proto_session_hash(const char *id, size_t len, unsigned char out[PROTO_SESSION_HASH_LEN])
{
    crypto_hash_sha256(out, (const unsigned char *)id, len);
}

void proto_session_csrf(const char *id, size_t len, char out[PROTO_CSRF_LEN + 1])
{
    static const char label[] = "apibus csrf token v1";
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)id, len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, sizeof label - 1);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2base64(out, PROTO_CSRF_LEN + 1, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool proto_session_csrf_ok(const char *id, size_t id_len, const char *token, size_t token_len)
{
    char expected[PROTO_CSRF_LEN + 1];
    if (token_len != PROTO_CSRF_LEN)
        return false;
    proto_session_csrf(id, id_len, expected);
    return sodium_memcmp(expected, token, PROTO_CSRF_LEN) == 0;
}

bool proto_cookie_get(const char *h, size_t len, const char *name, const char **value, size_t *value_len)
{
    size_t nlen = strlen(name), i = 0;
    while (i < len) {
        while (i < len && (h[i] == ' ' || h[i] == ';' || h[i] == '\t'))
            i++;
        size_t start = i;
        while (i < len && h[i] != ';')
            i++;
        size_t end = i;
        while (end > start && (h[end - 1] == ' ' || h[end - 1] == '\t'))
            end--;
        if (end - start > nlen && memcmp(h + start, name, nlen) == 0 && h[start + nlen] == '=') {
            const char *v = h + start + nlen + 1;
            size_t vl = end - start - nlen - 1;
            /* a quoted value is the value without its quotes */
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
                v++, vl -= 2;
            *value = v;
            *value_len = vl;
            return true;
        }
    }
    return false;
}
