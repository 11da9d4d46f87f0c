/* services/runtime/validate.c: DRF's validation rules and messages, through the dispatcher. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/unit/services/runtime/support.h"

TestSuite(validate, .init = t_open, .fini = t_close);

/* Sends body to POST (or PATCH) and checks the status and the exact JSON body. */
static void expect(const char *method, const char *ct, const char *body, int status, const char *expected)
{
    svc_result_t res;
    const char *path = strcmp(method, "PATCH") == 0 ? "/api/things/7/" : "/api/things/";
    t_call(method, path, NULL, ct, body, NULL, &res);
    json_t *got = t_json(&res), *want = json_loads(expected, 0, NULL);
    cr_assert_not_null(want, "bad expectation %s", expected);
    cr_expect_eq(res.status, status, "status %d for %s", res.status, body);
    cr_expect(got != NULL && json_equal(got, want), "body %.*s, wanted %s", (int)res.body.len, res.body.ptr, expected);
    json_decref(got);
    json_decref(want);
    svc_result_dispose(&res);
}

#define JSON "application/json"
#define FORM "application/x-www-form-urlencoded"

Test(validate, valid_body_is_coerced_and_filtered)
{
    expect("POST", JSON,
           "{\"id\":5,\"name\":\"  Ada  \",\"color\":\"red\",\"salary\":\" 42 \",\"active\":\"yes\","
           "\"email\":\"ada@example.com\",\"score\":\"1.5\",\"when\":\"2024-10-14T21:25:44.5+02:00\","
           "\"created_at\":\"x\",\"unknown\":[1,2]}",
           201,
           "{\"name\":\"Ada\",\"color\":\"red\",\"salary\":42,\"active\":true,\"email\":\"ada@example.com\","
           "\"score\":1.5,\"when\":\"2024-10-14T19:25:44.500000Z\"}");
}

Test(validate, required_fields)
{
    expect("POST", JSON, "{}", 400, "{\"name\":[\"This field is required.\"],\"color\":[\"This field is required.\"]}");
    /* no body at all is an empty dict, as in DRF */
    expect("POST", NULL, NULL, 400, "{\"name\":[\"This field is required.\"],\"color\":[\"This field is required.\"]}");
}

Test(validate, patch_requires_nothing)
{
    expect("PATCH", JSON, "{\"salary\":\"7\"}", 200, "{\"salary\":7}");
    expect("PATCH", JSON, "{}", 200, "{}");
}

Test(validate, null_and_blank)
{
    expect("POST", JSON, "{\"name\":null,\"color\":\"red\",\"email\":null}", 400,
           "{\"name\":[\"This field may not be null.\"]}");
    expect("POST", JSON, "{\"name\":\"   \",\"color\":\"red\"}", 400, "{\"name\":[\"This field may not be blank.\"]}");
    expect("POST", JSON, "{\"name\":\"a\",\"color\":\"red\",\"note\":\"  \",\"email\":null}", 201,
           "{\"name\":\"a\",\"color\":\"red\",\"note\":\"\",\"email\":null}");
}

Test(validate, integers)
{
    expect("POST", JSON, "{\"name\":\"a\",\"color\":\"red\",\"salary\":\"4x\"}", 400,
           "{\"salary\":[\"A valid integer is required.\"]}");
    expect("POST", JSON, "{\"name\":\"a\",\"color\":\"red\",\"salary\":1.5}", 400,
           "{\"salary\":[\"A valid integer is required.\"]}");
    expect("POST", JSON, "{\"name\":\"a\",\"color\":\"red\",\"salary\":true}", 400,
           "{\"salary\":[\"A valid integer is required.\"]}");
    expect("POST", JSON, "{\"name\":\"a\",\"color\":\"red\",\"salary\":2147483648}", 400,
           "{\"salary\":[\"Ensure this value is less than or equal to 2147483647.\"]}");
    expect("POST", JSON, "{\"name\":\"a\",\"color\":\"red\",\"salary\":\"-1\"}", 400,
           "{\"salary\":[\"Ensure this value is greater than or equal to 0.\"]}");
    expect("POST", JSON, "{\"name\":\"a\",\"color\":\"red\",\"salary\":\"99999999999999999999999\"}", 400,
           "{\"salary\":[\"Ensure this value is less than or equal to 2147483647.\"]}");
    expect("POST", JSON, "{\"name\":\"a\",\"color\":\"red\",\"salary\":12.0}", 201,
           "{\"name\":\"a\",\"color\":\"red\",\"salary\":12}");
    expect("POST", JSON, "{\"name\":\"a\",\"color\":\"red\",\"salary\":\"12.00\"}", 201,
           "{\"name\":\"a\",\"color\":\"red\",\"salary\":12}");
}

Test(validate, strings_enums_booleans_emails_numbers)
{
    char body[400];
    snprintf(body, sizeof body, "{\"name\":\"%0101d\",\"color\":\"blue\"}", 0);
    expect("POST", JSON, body, 400,
           "{\"name\":[\"Ensure this field has no more than 100 characters.\"],"
           "\"color\":[\"\\\"blue\\\" is not a valid choice.\"]}");
    /* 100 characters of two bytes each are fine */
    char name[220] = "";
    for (int i = 0; i < 100; i++)
        strcat(name, "\xc3\xa9");
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"color\":\"red\"}", name);
    svc_result_t res;
    t_call("POST", "/api/things/", NULL, JSON, body, NULL, &res);
    cr_expect_eq(res.status, 201);
    svc_result_dispose(&res);
    expect("POST", JSON, "{\"name\":[\"a\"],\"color\":3,\"active\":\"maybe\",\"email\":\"nope\",\"score\":\"x\"}", 400,
           "{\"name\":[\"Not a valid string.\"],\"color\":[\"\\\"3\\\" is not a valid choice.\"],"
           "\"active\":[\"Must be a valid boolean.\"],\"email\":[\"Enter a valid email address.\"],"
           "\"score\":[\"A valid number is required.\"]}");
    expect("POST", JSON, "{\"name\":42,\"color\":\"green\",\"active\":0}", 201,
           "{\"name\":\"42\",\"color\":\"green\",\"active\":false}");
    expect("POST", JSON, "{\"name\":\"a\\u0000b\",\"color\":\"red\"}", 400,
           "{\"name\":[\"Null characters are not allowed.\"]}");
    expect("POST", JSON, "{\"name\":\"a\",\"color\":\"red\",\"when\":\"yesterday\"}", 400,
           "{\"when\":[\"Datetime has wrong format. Use one of these formats instead: "
           "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].\"]}");
}

Test(validate, form_bodies)
{
    expect("POST", FORM "; charset=utf-8", "name=Ada+L%C3%B6w&color=red&salary=42&unknown=1&name=Bob", 201,
           "{\"name\":\"Bob\",\"color\":\"red\",\"salary\":42,\"active\":false}");
    expect("POST", FORM, "name=%FF&color=red", 400, "{\"name\":[\"Not a valid string.\"]}");
    /* an empty optional number in a form is "not given" */
    expect("POST", FORM, "name=a&color=red&salary=", 201, "{\"name\":\"a\",\"color\":\"red\",\"active\":false}");
}

Test(validate, body_errors)
{
    svc_result_t res;
    t_call("POST", "/api/things/", NULL, JSON, "{\"name\":", NULL, &res);
    cr_expect_eq(res.status, 400);
    json_t *j = t_json(&res);
    const char *detail = json_string_value(json_object_get(j, "detail"));
    cr_expect(detail != NULL && strncmp(detail, "JSON parse error - ", 19) == 0, "%.*s", (int)res.body.len, res.body.ptr);
    json_decref(j);
    svc_result_dispose(&res);

    expect("POST", JSON, "[1]", 400, "{\"non_field_errors\":[\"Invalid data. Expected a dictionary, but got list.\"]}");
    expect("POST", "text/plain", "name=a", 415, "{\"detail\":\"Unsupported media type \\\"text/plain\\\" in request.\"}");
    /* no content type and a body: JSON */
    expect("POST", NULL, "{\"name\":\"a\",\"color\":\"red\"}", 201, "{\"name\":\"a\",\"color\":\"red\"}");

    char deep[200] = "{\"name\":";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    expect("POST", JSON, deep, 400, "{\"detail\":\"Request body is nested too deeply.\"}");
    /* invalid UTF-8 in JSON is a parse error */
    t_call("POST", "/api/things/", NULL, JSON, "{\"name\":\"\xff\",\"color\":\"red\"}", NULL, &res);
    cr_expect_eq(res.status, 400);
    svc_result_dispose(&res);
}
