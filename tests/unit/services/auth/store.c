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
