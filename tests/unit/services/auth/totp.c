/* tests services/auth/totp.c: RFC 6238 Appendix B and RFC 4226 Appendix D vectors, base32, URIs */
#include <criterion/criterion.h>
#include <string.h>

#include "services/auth/totp.h"

static const uint8_t rfc_key[] = "12345678901234567890"; /* the RFCs' 20-byte ASCII SHA-1 secret */

Test(totp, rfc6238_appendix_b_sha1_eight_digits)
{
    static const struct {
        int64_t time;
        const char *code;
    } vectors[] = {
        {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
        {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
    };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        char code[AUTH_TOTP_CODE_MAX];
        int64_t step = auth_totp_step(vectors[i].time);
        cr_assert_eq(auth_hotp(rfc_key, 20, (uint64_t)step, 8, code), 0);
        cr_expect_str_eq(code, vectors[i].code, "T = %lld", (long long)vectors[i].time);
    }
    cr_expect_eq(auth_totp_step(59), 1);
    cr_expect_eq(auth_totp_step(1111111109), 0x23523EC);
    cr_expect_eq(auth_totp_step(20000000000), 0x27BC86AA);
}

Test(totp, rfc4226_appendix_d_six_digits)
{
    static const char *const want[] = {"755224", "287082", "359152", "969429", "338314",
                                       "254676", "287922", "162583", "399871", "520489"};
    for (uint64_t c = 0; c < 10; c++) {
        char code[AUTH_TOTP_CODE_MAX];
        cr_assert_eq(auth_hotp(rfc_key, 20, c, 6, code), 0);
        cr_expect_str_eq(code, want[c], "counter %llu", (unsigned long long)c);
    }
    char code[AUTH_TOTP_CODE_MAX];
    cr_expect_eq(auth_hotp(rfc_key, 20, 0, 5, code), -1, "fewer than 6 digits is refused");
    cr_expect_eq(auth_hotp(rfc_key, 20, 0, 10, code), -1);
}

Test(totp, match_accepts_one_step_of_skew_and_refuses_replays)
{
    char code[AUTH_TOTP_CODE_MAX];
    int64_t now = 1000;
    for (int64_t d = -1; d <= 1; d++) {
        cr_assert_eq(auth_hotp(rfc_key, 20, (uint64_t)(now + d), 6, code), 0);
        cr_expect_eq(auth_totp_match(rfc_key, 20, code, 6, now, -1), now + d, "skew %lld", (long long)d);
        cr_expect_eq(auth_totp_match(rfc_key, 20, code, 6, now, now + d), -1, "the same step again: a replay");
        cr_expect_eq(auth_totp_match(rfc_key, 20, code, 6, now, now + 1), -1, "older than the last accepted step");
    }
    auth_hotp(rfc_key, 20, (uint64_t)(now + 2), 6, code);
    cr_expect_eq(auth_totp_match(rfc_key, 20, code, 6, now, -1), -1, "two steps ahead");
    auth_hotp(rfc_key, 20, (uint64_t)(now - 2), 6, code);
    cr_expect_eq(auth_totp_match(rfc_key, 20, code, 6, now, -1), -1, "two steps behind");
    auth_hotp(rfc_key, 20, (uint64_t)now, 6, code);
    cr_expect_eq(auth_totp_match(rfc_key, 20, code, 5, now, -1), -1, "a prefix is not the code");
}

Test(totp, base32_round_trip_and_rfc4648_vectors)
{
    char out[64];
    uint8_t back[64];
    cr_expect_eq(auth_base32_encode((const uint8_t *)"foobar", 6, out, sizeof out), 10);
    cr_expect_str_eq(out, "MZXW6YTBOI");
    cr_expect_eq(auth_base32_encode((const uint8_t *)"f", 1, out, sizeof out), 2);
    cr_expect_str_eq(out, "MY");
    cr_expect_eq(auth_base32_encode(rfc_key, 20, out, sizeof out), AUTH_TOTP_SECRET_B32);
    cr_expect_str_eq(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    cr_expect_eq(auth_base32_decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", 39, back, sizeof back), 20);
    cr_expect_eq(memcmp(back, rfc_key, 20), 0);
    cr_expect_eq(auth_base32_decode("MZXW6YTBOI======", 16, back, sizeof back), 6);
    cr_expect_eq(memcmp(back, "foobar", 6), 0);
    cr_expect_eq(auth_base32_decode("MZ1W", 4, back, sizeof back), -1, "1 is not base32");
    cr_expect_eq(auth_base32_decode("MZXW6YTBOI", 10, back, 3), -1, "overflow");
    cr_expect_eq(auth_base32_encode(rfc_key, 20, out, 32), -1, "no room for the NUL");
}

Test(totp, otpauth_uri)
{
    char uri[512];
    cr_assert_eq(auth_totp_uri("apibus", "ada@example.com", "GEZDGNBV", uri, sizeof uri), 0);
    cr_expect_str_eq(uri, "otpauth://totp/apibus:ada@example.com?secret=GEZDGNBV&issuer=apibus&algorithm=SHA1&digits=6"
                          "&period=30");
    cr_assert_eq(auth_totp_uri("Acme Corp", "a+b&c@example.com", "GEZDGNBV", uri, sizeof uri), 0);
    cr_expect_str_eq(uri, "otpauth://totp/Acme%20Corp:a%2Bb%26c@example.com?secret=GEZDGNBV&issuer=Acme%20Corp"
                          "&algorithm=SHA1&digits=6&period=30");
    cr_expect_eq(auth_totp_uri("apibus", "ada@example.com", "GEZDGNBV", uri, 40), -1, "too small");
}
