/* services/runtime/page.c: DRF's PageNumberPagination. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/services/runtime/support.h"

TestSuite(page, .init = t_open, .fini = t_close);

/* GET the test list with query; returns the parsed body (or NULL) and the status. */
static json_t *list(const char *query, int *status)
{
    svc_result_t res;
    t_call("GET", "/api/things/", query, NULL, NULL, NULL, &res);
    *status = res.status;
    json_t *j = t_json(&res);
    svc_result_dispose(&res);
    return j;
}

static const char *str(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_string(v) ? json_string_value(v) : "(null)";
}

Test(page, first_page_and_links)
{
    int st;
    json_t *j = list("n=250", &st);
    cr_assert_eq(st, 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "count")), 250);
    cr_assert_eq(json_array_size(json_object_get(j, "results")), 100);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(j, "results"), 0)), 1);
    cr_assert_str_eq(str(j, "next"), "http://testserver/api/things/?n=250&page=2");
    cr_assert(json_is_null(json_object_get(j, "previous")));
    json_decref(j);
}

Test(page, middle_and_last_pages)
{
    int st;
    json_t *j = list("page=2&n=250&b=x+y", &st);
    cr_assert_eq(st, 200);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(j, "results"), 0)), 101);
    /* keys sorted and re-encoded as DRF's replace_query_param does; page 1 has no parameter */
    cr_assert_str_eq(str(j, "next"), "http://testserver/api/things/?b=x+y&n=250&page=3");
    cr_assert_str_eq(str(j, "previous"), "http://testserver/api/things/?b=x+y&n=250");
    json_decref(j);
    j = list("n=250&page=last", &st);
    cr_assert_eq(st, 200);
    cr_assert_eq(json_array_size(json_object_get(j, "results")), 50);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(j, "results"), 0)), 201);
    cr_assert(json_is_null(json_object_get(j, "next")));
    cr_assert_str_eq(str(j, "previous"), "http://testserver/api/things/?n=250&page=2");
    json_decref(j);
}

Test(page, empty_list_has_page_one)
{
    int st;
    json_t *j = list("n=0", &st);
    cr_assert_eq(st, 200);
    cr_assert_eq(json_integer_value(json_object_get(j, "count")), 0);
    cr_assert_eq(json_array_size(json_object_get(j, "results")), 0);
    json_decref(j);
    json_decref(list("n=0&page=1", &st));
    cr_assert_eq(st, 200);
    json_decref(list("n=0&page=last", &st));
    cr_assert_eq(st, 200);
    json_decref(list("n=100&page=1", &st));
    cr_assert_eq(st, 200);
}

Test(page, invalid_pages_are_404)
{
    const char *bad[] = {"n=0&page=2", "n=250&page=4", "n=250&page=0", "n=250&page=abc", "n=250&page=", "n=250&page=1.5",
                         "n=250&page=-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st;
        json_t *j = list(bad[i], &st);
        cr_expect_eq(st, 404, "%s", bad[i]);
        cr_expect_str_eq(str(j, "detail"), "Invalid page.", "%s", bad[i]);
        json_decref(j);
    }
}

Test(page, raw_results_give_the_same_bytes)
{
    static const char *const queries[] = {"n=0",          "n=1", "n=250", "n=250&page=2", "n=250&page=last",
                                          "n=100&page=1", "n=250&page=9", "b=x y&n=250&page=2&a=%FF%22"};
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        svc_result_t a, b;
        t_page_raw = false;
        t_call("GET", "/api/things/", queries[i], NULL, NULL, NULL, &a);
        t_page_raw = true;
        t_call("GET", "/api/things/", queries[i], NULL, NULL, NULL, &b);
        t_page_raw = false;
        cr_expect_eq(a.status, b.status, "%s", queries[i]);
        cr_expect_str_eq(t_header(&a, "content-type"), t_header(&b, "content-type"), "%s", queries[i]);
        cr_expect(a.body.len == b.body.len && memcmp(a.body.ptr, b.body.ptr, a.body.len) == 0, "%s: %.*s vs %.*s",
                  queries[i], (int)a.body.len, a.body.ptr, (int)b.body.len, b.body.ptr);
        svc_result_dispose(&a);
        svc_result_dispose(&b);
    }
}
