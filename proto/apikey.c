#include "proto/apikey.h"

#include <sodium.h>
#include <string.h>

static const char proto__alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static bool proto__is_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

void proto_apikey_new(char out[PROTO_APIKEY_LEN + 1])
{
    /* Django's get_random_string: uniform over 62 characters (randombytes_uniform has no bias) */
    for (size_t i = 0; i < PROTO_APIKEY_LEN; i++)
        out[i] = proto__alnum[randombytes_uniform(sizeof proto__alnum - 1)];
    out[PROTO_KEY_PREFIX_LEN] = '.';
    out[PROTO_APIKEY_LEN] = '\0';
}

bool proto_apikey_prefix_ok(const char *s, size_t len)
{
    if (len != PROTO_KEY_PREFIX_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!proto__is_alnum(s[i]))
            return false;
    return true;
}

bool proto_apikey_parse(const char *key, size_t len, char prefix[PROTO_KEY_PREFIX_LEN + 1])
{
    if (len != PROTO_APIKEY_LEN || key[PROTO_KEY_PREFIX_LEN] != '.' || !proto_apikey_prefix_ok(key, PROTO_KEY_PREFIX_LEN))
        return false;
    for (size_t i = PROTO_KEY_PREFIX_LEN + 1; i < len; i++)
        if (!proto__is_alnum(key[i]))
            return false;
    if (prefix != NULL) {
        memcpy(prefix, key, PROTO_KEY_PREFIX_LEN);
        prefix[PROTO_KEY_PREFIX_LEN] = '\0';
    }
    return true;
}

void proto_apikey_hash(const char *key, size_t len, unsigned char out[PROTO_APIKEY_HASH_LEN])
{
    crypto_hash_sha512(out, (const unsigned char *)key, len);
}

void proto_apikey_stored(const unsigned char hash[PROTO_APIKEY_HASH_LEN], char out[PROTO_APIKEY_STORED_LEN + 1])
{
    size_t tag = sizeof PROTO_APIKEY_HASH_TAG - 1;
    memcpy(out, PROTO_APIKEY_HASH_TAG, tag);
    sodium_bin2hex(out + tag, PROTO_APIKEY_HASH_HEX + 1, hash, PROTO_APIKEY_HASH_LEN);
}

int proto_apikey_parse_stored(const char *s, size_t len, bool tag_optional, unsigned char out[PROTO_APIKEY_HASH_LEN])
{
    size_t tag = sizeof PROTO_APIKEY_HASH_TAG - 1, bin_len = 0;
    if (len >= tag && memcmp(s, PROTO_APIKEY_HASH_TAG, tag) == 0)
        s += tag, len -= tag;
    else if (!tag_optional)
        return -1;
    if (len != PROTO_APIKEY_HASH_HEX)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
            return -1;
    if (sodium_hex2bin(out, PROTO_APIKEY_HASH_LEN, s, len, NULL, &bin_len, NULL) != 0 || bin_len != PROTO_APIKEY_HASH_LEN)
        return -1;
    return 0;
}
