/* tests services/auth/recovery.c and otp_key.c: recovery codes, their hashes, sealed secrets */
#include <criterion/criterion.h>
#include <string.h>

#include "services/auth/otp_key.h"
#include "services/auth/recovery.h"

Test(recovery, new_codes_have_the_shown_form_and_differ)
{
    char a[AUTH_RECOVERY_TEXT], b[AUTH_RECOVERY_TEXT], canonical[AUTH_RECOVERY_CHARS + 1];
    auth_recovery_new(a);
    auth_recovery_new(b);
    cr_expect_eq(strlen(a), 11);
    cr_expect_eq(a[5], '-');
    cr_expect_str_neq(a, b);
    cr_expect_eq(auth_recovery_normalize(a, strlen(a), canonical), 0);
    cr_expect_eq(strlen(canonical), AUTH_RECOVERY_CHARS);
}

Test(recovery, normalize_ignores_case_spaces_and_dashes)
{
    char c[AUTH_RECOVERY_CHARS + 1];
    cr_assert_eq(auth_recovery_normalize("ABCDE-FGH23", 11, c), 0);
    cr_expect_str_eq(c, "abcdefgh23");
    cr_assert_eq(auth_recovery_normalize(" abcde fgh23 ", 13, c), 0);
    cr_expect_str_eq(c, "abcdefgh23");
    cr_expect_eq(auth_recovery_normalize("123456", 6, c), -1, "an authenticator code is not a recovery code");
    cr_expect_eq(auth_recovery_normalize("abcde-fgh21", 11, c), -1, "1 is not in the alphabet");
    cr_expect_eq(auth_recovery_normalize("abcde-fgh234", 12, c), -1, "too long");
}

Test(recovery, hashes_depend_on_the_key)
{
    uint8_t k1[AUTH_RECOVERY_KEY_LEN] = {1}, k2[AUTH_RECOVERY_KEY_LEN] = {2}, h1[32], h2[32], h3[32];
    auth_recovery_hash(k1, "abcdefgh23", h1);
    auth_recovery_hash(k1, "abcdefgh23", h2);
    auth_recovery_hash(k2, "abcdefgh23", h3);
    cr_expect_eq(memcmp(h1, h2, 32), 0);
    cr_expect_neq(memcmp(h1, h3, 32), 0);
}

Test(recovery, sealed_secret_opens_only_for_its_user_and_key)
{
    cr_assert_geq(sodium_init(), 0);
    uint8_t master[crypto_kdf_KEYBYTES] = {7}, other[crypto_kdf_KEYBYTES] = {8};
    auth_otp_keys_t k, k2;
    auth_otp_keys_derive(&k, master);
    auth_otp_keys_derive(&k2, other);
    cr_expect_neq(memcmp(k.seal, k.recovery, sizeof k.seal), 0, "two different subkeys");
    uint8_t secret[AUTH_TOTP_SECRET_LEN], back[AUTH_TOTP_SECRET_LEN], sealed[AUTH_OTP_SEALED_LEN],
        again[AUTH_OTP_SEALED_LEN];
    memcpy(secret, "12345678901234567890", sizeof secret);
    auth_otp_seal(&k, 42, secret, sealed);
    auth_otp_seal(&k, 42, secret, again);
    cr_expect_neq(memcmp(sealed, again, sizeof sealed), 0, "a fresh nonce each time");
    cr_expect_null(memmem(sealed, sizeof sealed, secret, sizeof secret), "not in the clear");
    cr_assert_eq(auth_otp_open(&k, 42, sealed, back), 0);
    cr_expect_eq(memcmp(back, secret, sizeof secret), 0);
    cr_expect_eq(auth_otp_open(&k, 43, sealed, back), -1, "another user's record");
    cr_expect_eq(auth_otp_open(&k2, 42, sealed, back), -1, "another key");
    sealed[30] ^= 1;
    cr_expect_eq(auth_otp_open(&k, 42, sealed, back), -1, "changed bytes");
}
