/* tests gateway/map.c: insert, replace, remove with backward shift, growth. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "gateway/map.h"

Test(map, basic)
{
    gw_map_t m = {0};
    int a, b;
    cr_assert_null(gw_map_get(&m, 1));
    cr_assert_eq(gw_map_put(&m, 1, &a), 0);
    cr_assert_eq(gw_map_put(&m, 2, &b), 0);
    cr_assert_eq(gw_map_get(&m, 1), &a);
    cr_assert_eq(gw_map_put(&m, 1, &b), 0);
    cr_assert_eq(gw_map_get(&m, 1), &b);
    cr_assert_eq(m.size, 2);
    cr_assert_eq(gw_map_remove(&m, 1), &b);
    cr_assert_null(gw_map_get(&m, 1));
    cr_assert_null(gw_map_remove(&m, 1));
    cr_assert_eq(gw_map_put(&m, 0, &a), -1, "0 is not a key");
    gw_map_dispose(&m);
    gw_map_dispose(&m);
}

Test(map, many_with_removals)
{
    gw_map_t m = {0};
    static int values[5000];
    for (uint64_t k = 1; k <= 5000; k++)
        cr_assert_eq(gw_map_put(&m, k << 32 | 7, &values[k - 1]), 0);
    for (uint64_t k = 1; k <= 5000; k += 2)
        cr_assert_eq(gw_map_remove(&m, k << 32 | 7), &values[k - 1]);
    cr_assert_eq(m.size, 2500);
    for (uint64_t k = 1; k <= 5000; k++) {
        void *v = gw_map_get(&m, k << 32 | 7);
        if (k % 2 == 1)
            cr_assert_null(v, "key %lu still there", (unsigned long)k);
        else
            cr_assert_eq(v, &values[k - 1], "key %lu lost", (unsigned long)k);
    }
    gw_map_dispose(&m);
}
