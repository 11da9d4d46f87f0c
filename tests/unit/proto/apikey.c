/* tests proto/apikey.c: the key format and its stored hash */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "proto/apikey.h"

Test(apikey, new_keys_have_the_format)
{
    cr_assert_geq(sodium_init(), 0);
    char a[PROTO_APIKEY_LEN + 1], b[PROTO_APIKEY_LEN + 1], prefix[PROTO_KEY_PREFIX_LEN + 1];
    proto_apikey_new(a);
    proto_apikey_new(b);
    cr_expect_eq(strlen(a), 41);
    cr_expect(proto_apikey_parse(a, strlen(a), prefix));
    cr_expect_eq(strncmp(prefix, a, 8), 0);
    cr_expect_str_neq(a, b);
    cr_expect_not(proto_apikey_parse(a, 40, NULL));
    a[3] = '-';
    cr_expect_not(proto_apikey_parse(a, strlen(a), NULL));
}

Test(apikey, stored_form_is_djangorestframework_api_keys)
{
    /* sha512 of "abc", as Sha512ApiKeyHasher writes it */
    unsigned char h[PROTO_APIKEY_HASH_LEN], back[PROTO_APIKEY_HASH_LEN];
    char s[PROTO_APIKEY_STORED_LEN + 1];
    proto_apikey_hash("abc", 3, h);
    proto_apikey_stored(h, s);
    cr_expect_str_eq(s, "sha512$$ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c2"
                        "3a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    cr_expect_eq(proto_apikey_parse_stored(s, strlen(s), false, back), 0);
    cr_expect_eq(memcmp(h, back, sizeof h), 0);
    cr_expect_eq(proto_apikey_parse_stored(s + 8, strlen(s) - 8, false, back), -1, "the tag is required");
    cr_expect_eq(proto_apikey_parse_stored(s + 8, strlen(s) - 8, true, back), 0);
    const char *pbkdf2 = "pbkdf2_sha256$260000$salt$hash=";
    cr_expect_eq(proto_apikey_parse_stored(pbkdf2, strlen(pbkdf2), false, back), -1);
}
