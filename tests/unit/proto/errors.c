/* tests proto/errors.c: the one error list */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "proto/errors.h"

Test(errors, bodies_are_valid_drf_json)
{
    for (int e = 1; e < PROTO_ERR_COUNT_; e++) {
        size_t len;
        const char *body = proto_err_body(-e, &len);
        cr_assert_eq(strlen(body), len);
        json_error_t jerr;
        json_t *j = json_loadb(body, len, 0, &jerr);
        cr_assert_not_null(j, "%s: %s", proto_err_name(e), jerr.text);
        cr_assert_str_eq(json_string_value(json_object_get(j, "detail")), proto_err_detail(e));
        json_decref(j);
        int status = proto_err_status(e);
        cr_assert(status >= 400 && status <= 599, "%s has status %d", proto_err_name(e), status);
    }
}

Test(errors, drf_and_simplejwt_bodies_match_pegasus)
{
    cr_assert_str_eq(proto_err_body(PROTO_ERR_INVALID_PAGE, NULL), "{\"detail\":\"Invalid page.\"}");
    cr_assert_str_eq(proto_err_body(-PROTO_ERR_TOKEN_NOT_VALID, NULL),
                     "{\"detail\":\"Token is invalid or expired\",\"code\":\"token_not_valid\"}");
    cr_assert_str_eq(proto_err_body(PROTO_ERR_NOT_AUTHENTICATED, NULL),
                     "{\"detail\":\"Authentication credentials were not provided.\"}");
    cr_assert_eq(proto_err_status(PROTO_ERR_NOT_FOUND), 404);
    cr_assert_eq(proto_err_status(-PROTO_ERR_TIMEOUT), 504);
}

Test(errors, unknown_codes_map_to_internal)
{
    cr_assert_eq(proto_err_status(100000), 500);
    cr_assert_str_eq(proto_err_name(-100000), "INTERNAL");
}
