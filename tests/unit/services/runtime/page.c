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

/* GET the test list in a page mode, with a base URL of its own (NULL: t_call's). */
static void list_as(t_page_mode_t mode, const char *base_url, const char *query, svc_result_t *res)
{
    proto_request_t req;
    memset(&req, 0, sizeof req);
    req.id = PROTO_STR_LIT("req-1");
    req.budget_ms = 1000;
    req.method = PROTO_STR_LIT("GET");
    req.path = PROTO_STR_LIT("/api/things/");
    req.query = (proto_str_t){query, strlen(query)};
    req.base_url = base_url != NULL ? (proto_str_t){base_url, strlen(base_url)} : PROTO_STR_LIT("http://testserver");
    req.principal = t_user(1);
    t_page_mode = mode;
    svc_handle_request(t_svc, &req, res);
    t_page_mode = T_PAGE_JSON;
}

static void expect_same(const svc_result_t *a, const svc_result_t *b, const char *what)
{
    cr_expect_eq(a->status, b->status, "%s", what);
    cr_expect_str_eq(t_header(a, "content-type"), t_header(b, "content-type"), "%s", what);
    cr_expect(a->body.len == b->body.len && memcmp(a->body.ptr, b->body.ptr, a->body.len) == 0, "%s: %.*s vs %.*s",
              what, (int)a->body.len, a->body.ptr, (int)b->body.len, b->body.ptr);
    /* callers may read a body as a string */
    cr_expect_eq(b->body.ptr[b->body.len], '\0', "%s", what);
}

/* svc_page_reply_raw and svc_page_reply_begin/end write the head without jansson's object: the
 * same bytes as svc_page_reply, escaping and invalid UTF-8 in the links included. */
Test(page, raw_and_in_place_results_give_the_same_bytes)
{
    static const char *const queries[] = {"n=0",          "n=1", "n=250", "n=250&page=2", "n=250&page=last",
                                          "n=100&page=1", "n=250&page=9", "b=x y&n=250&page=2&a=%FF%22"};
    static const char *const bases[] = {NULL, "http://h/\"q\"\\/\n\t\x01\x7f", "http://caf\xc3\xa9.example",
                                        "http://bad\xff.example"};
    static const t_page_mode_t modes[] = {T_PAGE_RAW, T_PAGE_IN_PLACE};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++)
        for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++)
            for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
                char what[160];
                snprintf(what, sizeof what, "mode %d, base %zu, %s", (int)modes[m], b, queries[q]);
                svc_result_t want, got;
                list_as(T_PAGE_JSON, bases[b], queries[q], &want);
                list_as(modes[m], bases[b], queries[q], &got);
                expect_same(&want, &got, what);
                svc_result_dispose(&want);
                svc_result_dispose(&got);
            }
}

Test(page, in_place_misuse_is_500_or_the_first_reply)
{
    svc_result_t res;
    list_as(T_PAGE_NO_PAGE_BEGIN, NULL, "n=3", &res);
    cr_expect_eq(res.status, 500);
    svc_result_dispose(&res);
    list_as(T_PAGE_NO_REPLY_BEGIN, NULL, "n=3", &res);
    cr_expect_eq(res.status, 500);
    svc_result_dispose(&res);
    /* the second reply is dropped (and its body freed: ASan would see a leak) */
    list_as(T_PAGE_TWICE, NULL, "n=3", &res);
    cr_expect_eq(res.status, 400);
    cr_expect(PROTO_STR_EQ(res.body, "{\"non_field_errors\":[\"first\"]}"));
    svc_result_dispose(&res);
    /* a page begun and not ended leaves nothing behind */
    list_as(T_PAGE_ABANDONED, NULL, "n=3", &res);
    cr_expect_eq(res.status, 400);
    cr_expect(PROTO_STR_EQ(res.body, "{\"non_field_errors\":[\"abandoned\"]}"));
    svc_result_dispose(&res);
}

Test(page, in_place_page_keeps_the_reply_limit_and_head)
{
    svc_result_t res;
    list_as(T_PAGE_HUGE, NULL, "n=3", &res);
    cr_expect_eq(res.status, 502);
    svc_result_dispose(&res);
    proto_request_t req;
    memset(&req, 0, sizeof req);
    req.method = PROTO_STR_LIT("HEAD");
    req.path = PROTO_STR_LIT("/api/things/");
    req.query = PROTO_STR_LIT("n=3");
    req.principal = t_user(1);
    t_page_mode = T_PAGE_IN_PLACE;
    svc_handle_request(t_svc, &req, &res);
    t_page_mode = T_PAGE_JSON;
    cr_expect_eq(res.status, 200);
    cr_expect_eq(res.body.len, 0);
    svc_result_dispose(&res);
}
