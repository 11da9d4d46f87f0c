/* services/runtime/reply.c: svc_buf_t, the buffer bodies are written in place with. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "services/runtime/internal.h"

Test(reply, buf_appends_and_stays_nul_terminated)
{
    svc_buf_t b = {0};
    svc_buf_append(&b, "", 0);
    cr_assert_not_null(b.data);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(b.data[0], '\0');
    char expect[5000];
    for (size_t i = 0; i < sizeof expect; i++) {
        char c = (char)('a' + i % 26);
        expect[i] = c;
        svc_buf_append(&b, &c, 1);
        cr_assert_eq(b.data[b.len], '\0');
        cr_assert_gt(b.cap, b.len);
    }
    cr_assert_eq(b.len, sizeof expect);
    cr_assert(memcmp(b.data, expect, sizeof expect) == 0);
    svc_buf_append(&b, "\0x", 2); /* bytes, not a C string */
    cr_assert_eq(b.len, sizeof expect + 2);
    cr_assert_eq(b.data[b.len - 1], 'x');
    free(b.data);
}

Test(reply, buf_reserve_allocates_once)
{
    svc_buf_t b = {0};
    svc_buf_append(&b, "[", 1);
    svc__buf_reserve(&b, 100000);
    char *data = b.data;
    cr_assert_geq(b.cap, 100000 + 2);
    char chunk[1000];
    memset(chunk, '7', sizeof chunk);
    for (int i = 0; i < 100; i++)
        svc_buf_append(&b, chunk, sizeof chunk);
    cr_assert_eq(b.data, data, "no reallocation within what was reserved");
    cr_assert_eq(b.len, 100001);
    cr_assert_eq(b.data[b.len], '\0');
    free(b.data);
}
