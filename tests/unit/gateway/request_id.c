/* tests gateway/request_id.c */
#include <criterion/criterion.h>
#include <string.h>

#include "gateway/request_id.h"

Test(request_id, sanitizing)
{
    cr_assert(gw_request_id_sane("abc-123_x.y", 11));
    cr_assert(gw_request_id_sane("0123456789012345678901234567890123456789012345678901234567890123", 64));
    cr_assert_not(gw_request_id_sane("01234567890123456789012345678901234567890123456789012345678901234", 65));
    cr_assert_not(gw_request_id_sane("", 0));
    cr_assert_not(gw_request_id_sane("a b", 3));
    cr_assert_not(gw_request_id_sane("a\nb", 3));
    cr_assert_not(gw_request_id_sane("a\"b", 3));
    cr_assert_not(gw_request_id_sane("a/b", 3));
    cr_assert_not(gw_request_id_sane("é", strlen("é")));
}

Test(request_id, new_ids_are_sane_and_distinct)
{
    char a[GW_REQUEST_ID_MAX + 1], b[GW_REQUEST_ID_MAX + 1];
    gw_request_id_new(a);
    gw_request_id_new(b);
    cr_assert_eq(strlen(a), 32);
    cr_assert(gw_request_id_sane(a, strlen(a)));
    cr_assert_str_neq(a, b);
}
