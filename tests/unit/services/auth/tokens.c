/* tests services/auth/tokens.c and the claims auth issues (proto/jwt.c) */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto/errors.h"
#include "services/auth/tokens.h"

#define SECRET "auth-unit-test-secret-0123456789abcdef-xyz"

static char dir[] = "/tmp/apibus-auth-tokens-XXXXXX";

static void env_secret(void)
{
    setenv("APIBUS_JWT_SECRET", SECRET, 1);
    unsetenv("APIBUS_JWT_PREVIOUS_SECRET");
}

static proto_jwt_claims_t claims(const char *type, int64_t now)
{
    proto_jwt_claims_t c = {.user_id = 7, .iat = now, .exp = now + 60, .auth_us = now * 1000000 + 123};
    snprintf(c.token_type, sizeof c.token_type, "%s", type);
    return c;
}

Test(tokens, claims_round_trip, .init = env_secret)
{
    auth_tokens_t t;
    char err[256];
    cr_assert_eq(auth_tokens_init(&t, 30, err, sizeof err), 0, "%s", err);
    int64_t now = (int64_t)time(NULL);
    proto_jwt_claims_t c = claims("refresh", now), out;
    c.is_staff = true;
    char *tok = auth_tokens_sign(&t, &c);
    cr_assert_not_null(tok);
    cr_expect_eq(strlen(c.jti), 32, "a jti was made");
    cr_assert_eq(auth_tokens_verify(&t, tok, strlen(tok), "refresh", &out), 0);
    cr_expect_str_eq(out.token_type, "refresh");
    cr_expect_eq(out.user_id, 7);
    cr_expect(out.is_staff);
    cr_expect_eq(out.exp, now + 60);
    cr_expect_eq(out.iat, now);
    cr_expect_eq(out.auth_us, now * 1000000 + 123, "the login time survives, to the microsecond");
    cr_expect_str_eq(out.jti, c.jti);
    cr_expect_eq(auth_tokens_verify(&t, tok, strlen(tok), "access", &out), -PROTO_ERR_TOKEN_NOT_VALID,
                 "a refresh token is not an access token");
    cr_expect_eq(auth_tokens_verify(&t, tok, strlen(tok), NULL, &out), 0, "token/verify/ takes any type");
    free(tok);
    c = claims("access", now - 1000);
    tok = auth_tokens_sign(&t, &c);
    cr_expect_eq(auth_tokens_verify(&t, tok, strlen(tok), "access", &out), -PROTO_ERR_TOKEN_NOT_VALID, "expired");
    free(tok);
    auth_tokens_fini(&t);
}

Test(tokens, rotation_of_the_keyring_file)
{
    char err[256], path[512], kid[PROTO_JWT_KID_LEN + 1];
    cr_assert_not_null(mkdtemp(dir));
    setenv("APIBUS_DATA_DIR", dir, 1);
    unsetenv("APIBUS_JWT_SECRET");
    snprintf(path, sizeof path, "%s/jwt-secret", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s\n", SECRET);
    fclose(f);
    auth_tokens_t t;
    cr_assert_eq(auth_tokens_init(&t, 30, err, sizeof err), 0, "%s", err);
    int64_t now = (int64_t)time(NULL);
    proto_jwt_claims_t c = claims("access", now), out;
    char *old = auth_tokens_sign(&t, &c);
    cr_assert_eq(auth_tokens_rotate(&t, 3600, kid, err, sizeof err), 0, "%s", err);
    c.jti[0] = '\0';
    char *fresh = auth_tokens_sign(&t, &c);
    cr_expect_eq(auth_tokens_verify(&t, old, strlen(old), "access", &out), 0, "the previous key still verifies");
    cr_expect_eq(auth_tokens_verify(&t, fresh, strlen(fresh), "access", &out), 0);
    cr_expect_neq(strstr(fresh, "."), NULL);
    proto_keyring_t kr;
    cr_assert_eq(proto_keyring_load(path, &kr, err, sizeof err), 0, "%s", err);
    cr_expect_eq(kr.num, 2);
    cr_expect_str_eq(kr.keys[1].secret, SECRET, "the old secret is second");
    cr_expect(kr.keys[1].retire_s >= now + 3600 && kr.keys[1].retire_s <= now + 3602);
    char k0[PROTO_JWT_KID_LEN + 1];
    proto_jwt_kid(kr.keys[0].secret, kr.keys[0].len, k0);
    cr_expect_str_eq(k0, kid);
    proto_keyring_wipe(&kr);
    free(old);
    free(fresh);
    auth_tokens_fini(&t);
    setenv("APIBUS_JWT_SECRET", SECRET, 1);
    cr_assert_eq(auth_tokens_init(&t, 30, err, sizeof err), 0, "%s", err);
    cr_expect_eq(auth_tokens_rotate(&t, 3600, kid, err, sizeof err), -1, "keys from the environment are fixed");
    cr_expect(strstr(err, "APIBUS_JWT_SECRET") != NULL, "%s", err);
    auth_tokens_fini(&t);
    unlink(path);
    char lock[600];
    snprintf(lock, sizeof lock, "%s.lock", path);
    unlink(lock);
    rmdir(dir);
}
