/* tests services/auth/store.c: the user record's stored form */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"
#include "services/auth/store.h"

Test(store, user_record_round_trip)
{
    auth_user_t u = {.id = 9, .is_staff = true, .is_active = true, .created_us = 1, .last_login_us = 2,
                     .valid_after_us = 3};
    strcpy(u.email, "Ada@example.com");
    strcpy(u.first_name, "Ada");
    strcpy(u.last_name, "Lovelace");
    strcpy(u.password, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
    char *data;
    size_t len;
    cr_assert_eq(auth_user_encode(&u, &data, &len), 0);
    auth_user_t back = {.id = 9};
    cr_assert_eq(auth_user_decode(data, len, &back), 0);
    cr_expect_str_eq(back.email, u.email);
    cr_expect_str_eq(back.last_name, "Lovelace");
    cr_expect_str_eq(back.password, u.password);
    cr_expect(back.is_staff && back.is_active && !back.newer);
    cr_expect_eq(back.valid_after_us, 3);
    cr_expect_eq(back.version, AUTH_USER_VERSION);
    for (size_t cut = 0; cut < len; cut++)
        cr_expect_eq(auth_user_decode(data, cut, &back), -PROTO_ERR_STORAGE, "truncated at %zu", cut);
    free(data);
}

Test(store, otp_record_round_trip_and_used_recovery_codes)
{
    auth_otp_t o = {.active = true, .last_step = 57000000, .created_us = 5, .confirmed_us = 6};
    for (size_t i = 0; i < sizeof o.sealed; i++)
        o.sealed[i] = (uint8_t)i;
    for (int i = 0; i < AUTH_RECOVERY_CODES; i++) {
        memset(o.recovery[i], 'a' + i, AUTH_RECOVERY_HASH_LEN);
        o.recovery_left[i] = i != 3;
    }
    char *data;
    size_t len;
    cr_assert_eq(auth_otp_encode(&o, &data, &len), 0);
    auth_otp_t back;
    cr_assert_eq(auth_otp_decode(data, len, &back), 0);
    cr_expect(back.active && !back.newer);
    cr_expect_eq(back.last_step, 57000000);
    cr_expect_eq(back.confirmed_us, 6);
    cr_expect_eq(memcmp(back.sealed, o.sealed, sizeof o.sealed), 0);
    cr_expect(!back.recovery_left[3], "a used code stays used");
    cr_expect(back.recovery_left[9]);
    cr_expect_eq(memcmp(back.recovery[9], o.recovery[9], AUTH_RECOVERY_HASH_LEN), 0);
    for (size_t cut = 0; cut < len; cut++)
        cr_expect_eq(auth_otp_decode(data, cut, &back), -PROTO_ERR_STORAGE, "truncated at %zu", cut);
    free(data);
}
