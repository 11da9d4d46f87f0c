/* tests services/keys/store.c: the key record's stored form */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"
#include "services/keys/store.h"

Test(store, record_round_trip)
{
    keys_record_t r = {.id = 4, .user_id = 7, .created_us = 1, .expiry_us = 2, .revoked = true, .revoked_us = 3,
                       .last_used_us = 5, .scope = PROTO_SCOPE_READ};
    strcpy(r.prefix, "AbCd1234");
    strcpy(r.hashed_key, "sha512$$00ff");
    strcpy(r.name, "Ada's key");
    char *data;
    size_t len;
    cr_assert_eq(keys_record_encode(&r, &data, &len), 0);
    keys_record_t back = {.id = 4};
    cr_assert_eq(keys_record_decode(data, len, &back), 0);
    cr_expect_str_eq(back.prefix, "AbCd1234");
    cr_expect_str_eq(back.hashed_key, "sha512$$00ff");
    cr_expect_str_eq(back.name, "Ada's key");
    cr_expect_eq(back.user_id, 7);
    cr_expect_eq(back.expiry_us, 2);
    cr_expect(back.revoked && !back.newer);
    cr_expect_eq(back.last_used_us, 5);
    cr_expect_eq(back.scope, PROTO_SCOPE_READ);
    cr_expect_eq(back.version, KEYS_RECORD_VERSION);
    for (size_t cut = 0; cut < len; cut++)
        cr_expect_eq(keys_record_decode(data, cut, &back), -PROTO_ERR_STORAGE, "truncated at %zu", cut);
    free(data);
}
