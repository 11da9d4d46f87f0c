/* services/runtime/route.c and dispatch.c: templates, 404, 405 with Allow, replies. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/unit/services/runtime/support.h"

TestSuite(route, .init = t_open, .fini = t_close);

static int status_of(const char *method, const char *path)
{
    svc_result_t res;
    t_call(method, path, NULL, NULL, NULL, NULL, &res);
    int status = res.status;
    svc_result_dispose(&res);
    return status;
}

Test(route, templates_capture_one_segment)
{
    svc_result_t res;
    t_call("GET", "/api/things/42/", NULL, NULL, NULL, NULL, &res);
    cr_assert_eq(res.status, 200);
    cr_assert_eq(res.body.len, strlen("{\"id\":42}"));
    cr_assert(memcmp(res.body.ptr, "{\"id\":42}", res.body.len) == 0);
    cr_assert_str_eq(t_header(&res, "content-type"), "application/json");
    svc_result_dispose(&res);
}

Test(route, unknown_paths_are_404)
{
    cr_expect_eq(status_of("GET", "/api/things"), 404); /* trailing slash is significant */
    cr_expect_eq(status_of("GET", "/api/things//"), 404);
    cr_expect_eq(status_of("GET", "/api/things/1/2/"), 404);
    cr_expect_eq(status_of("GET", "/api/nothing/"), 404);
    cr_expect_eq(status_of("GET", ""), 404);
    /* a non-numeric id is DRF's 404 */
    cr_expect_eq(status_of("GET", "/api/things/abc/"), 404);
    cr_expect_eq(status_of("GET", "/api/things/-1/"), 404);
}

Test(route, wrong_method_is_405_with_allow)
{
    svc_result_t res;
    t_call("PUT", "/api/things/1/", NULL, NULL, NULL, NULL, &res);
    cr_assert_eq(res.status, 405);
    cr_assert_str_eq(t_header(&res, "allow"), "GET, HEAD, PATCH, DELETE");
    json_t *j = t_json(&res);
    cr_assert_str_eq(json_string_value(json_object_get(j, "detail")), "Method \"PUT\" not allowed.");
    json_decref(j);
    svc_result_dispose(&res);
    cr_expect_eq(status_of("DELETE", "/api/things/"), 405);
}

Test(route, head_is_get_without_body)
{
    svc_result_t res;
    t_call("HEAD", "/api/things/3/", NULL, NULL, NULL, NULL, &res);
    cr_assert_eq(res.status, 200);
    cr_assert_eq(res.body.len, 0);
    svc_result_dispose(&res);
}

Test(route, delete_replies_empty)
{
    svc_result_t res;
    t_call("DELETE", "/api/things/3/", NULL, NULL, NULL, NULL, &res);
    cr_assert_eq(res.status, 204);
    cr_assert_eq(res.body.len, 0);
    cr_assert_str_eq(t_header(&res, "content-type"), "");
    svc_result_dispose(&res);
}

Test(route, silent_handler_is_500_and_huge_reply_is_502)
{
    cr_expect_eq(status_of("GET", "/api/silent/"), 500);
    svc_result_t res;
    t_call("GET", "/api/huge/", NULL, NULL, NULL, NULL, &res);
    cr_expect_eq(res.status, 502);
    cr_expect(res.body.len < 200);
    svc_result_dispose(&res);
}

Test(route, result_encodes_as_envelope)
{
    svc_result_t res;
    proto_buf_t buf = {0};
    proto_msg_t msg;
    t_call("GET", "/api/things/9/", NULL, NULL, NULL, NULL, &res);
    cr_assert_eq(svc_result_encode(&res, 77, &buf), 0);
    cr_assert_eq(proto_decode(buf.data, buf.size, buf.size, &msg), 0);
    cr_assert_eq(msg.kind, PROTO_KIND_RESULT);
    cr_assert_eq(msg.job_id, 77);
    cr_assert_eq(msg.reply.status, 200);
    cr_assert(PROTO_STR_EQ(msg.reply.body, "{\"id\":9}"));
    proto_buf_dispose(&buf);
    svc_result_dispose(&res);
}
