/* tests gateway/auth.c: the Authorization header to principal. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/auth.h"
#include "proto/errors.h"
#include "tests/support/support.h"

static gw_jwt_verifier_t v;
static gw_auth_t auth;

static void setup(void)
{
    char err[256];
    cr_assert_eq(gw_jwt_init(&v, TS_SECRET, strlen(TS_SECRET), NULL, 0, 30, err, sizeof err), 0, "%s", err);
    gw_auth_init(&auth, &v);
}

TestSuite(auth, .init = setup);

static void authenticate(const char *header, proto_principal_t *p)
{
    gw_auth_authenticate(&auth, header, header != NULL ? strlen(header) : 0, (int64_t)time(NULL), p, NULL);
}

Test(auth, anonymous_without_header)
{
    proto_principal_t p;
    authenticate(NULL, &p);
    cr_assert_eq(p.cred, PROTO_CRED_NONE);
    cr_assert_eq(p.auth_error, 0);
    cr_assert_eq(p.user_id, 0);
}

Test(auth, bearer_valid_then_cached)
{
    char *tok = ts_jwt_access(5), header[2048];
    snprintf(header, sizeof header, "Bearer %s", tok);
    proto_principal_t p;
    authenticate(header, &p);
    cr_assert_eq(p.cred, PROTO_CRED_JWT);
    cr_assert_eq(p.user_id, 5);
    cr_assert_eq(p.scope, PROTO_SCOPE_ALL);
    cr_assert_eq(p.auth_error, 0);
    /* the keyword is case-insensitive; the second time comes from the cache */
    snprintf(header, sizeof header, "bearer %s", tok);
    authenticate(header, &p);
    cr_assert_eq(p.user_id, 5);
    cr_assert_eq(auth.cache_hits, 1);
    free(tok);
}

/* Many users at once: the second round of 3,000 distinct tokens comes wholly from the cache
 * (a direct-mapped table of the same size would lose some of them to collisions). */
Test(auth, bearer_cache_holds_thousands_of_tokens)
{
    enum { N = 3000 };
    static char headers[N][2048];
    for (int i = 0; i < N; i++) {
        char *tok = ts_jwt_access(1000 + i);
        snprintf(headers[i], sizeof headers[i], "Bearer %s", tok);
        free(tok);
    }
    proto_principal_t p;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            authenticate(headers[i], &p);
            cr_assert_eq(p.user_id, 1000 + (uint64_t)i, "token %d, round %d", i, round);
        }
    }
    cr_assert_eq(auth.cache_hits, N);
}

/* Emptied (a keyring reload does it), the cache fills again from a full verify. */
Test(auth, bearer_cache_cleared_reverifies)
{
    char *tok = ts_jwt_access(7), header[2048];
    snprintf(header, sizeof header, "Bearer %s", tok);
    free(tok);
    proto_principal_t p;
    authenticate(header, &p);
    memset(auth.cache, 0, sizeof auth.cache);
    authenticate(header, &p);
    cr_assert_eq(p.user_id, 7);
    cr_assert_eq(auth.cache_hits, 0);
    authenticate(header, &p);
    cr_assert_eq(auth.cache_hits, 1);
}

Test(auth, bearer_invalid_is_anonymous_with_reason)
{
    proto_principal_t p;
    authenticate("Bearer not.a.token", &p);
    cr_assert_eq(p.cred, PROTO_CRED_NONE);
    cr_assert_eq(p.user_id, 0);
    cr_assert_eq(p.auth_error, PROTO_ERR_TOKEN_NOT_VALID);
    authenticate("Bearer", &p);
    cr_assert_eq(p.auth_error, PROTO_ERR_TOKEN_NOT_VALID);
    authenticate("Bearer a b", &p);
    cr_assert_eq(p.auth_error, PROTO_ERR_TOKEN_NOT_VALID);
}

Test(auth, api_key_refused_without_a_key_cache)
{
    proto_principal_t p;
    authenticate("Api-Key abcdefgh.0123456789abcdef0123456789abcdef", &p);
    cr_assert_eq(p.cred, PROTO_CRED_NONE);
    cr_assert_eq(p.auth_error, PROTO_ERR_API_KEY_NOT_VALID);
}

Test(auth, unknown_scheme_is_plain_anonymous)
{
    proto_principal_t p;
    authenticate("Basic dXNlcjpwYXNz", &p);
    cr_assert_eq(p.cred, PROTO_CRED_NONE);
    cr_assert_eq(p.auth_error, 0);
}
