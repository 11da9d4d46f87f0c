/*
 * The employees service over the real bus: the binary apibus-employees, driven as the gateway
 * drives it, against COMPAT.md's "Employees" section.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "proto/errors.h"
#include "tests/service/harness.h"

#define EMP "/pegasus/employees/api/employees/"
#define DATA "/pegasus/employees/api/employee-data/"
#define NOT_FOUND "{\"detail\":\"Not found.\"}"
#define INVALID_PAGE "{\"detail\":\"Invalid page.\"}"

static harness_t h;
static proto_principal_t user1, user2, user1_key, user1_read_key, anonymous;

static void setup(void)
{
    user1 = harness_jwt(1);
    user2 = harness_jwt(2);
    user1_key = harness_api_key(1, PROTO_SCOPE_ALL);
    user1_read_key = harness_api_key(1, PROTO_SCOPE_READ);
    anonymous = harness_anonymous(0);
    harness_start(&h, "employees");
}

static void teardown(void)
{
    harness_stop(&h);
}

TestSuite(employees, .init = setup, .fini = teardown);

static const harness_reply_t *call(const proto_principal_t *who, const char *method, const char *path, const char *query,
                                   const char *body)
{
    return harness_call(&h, who, method, path, query, body);
}

/* The path of employee id. */
static const char *emp_path(uint64_t id)
{
    static char path[96];

    snprintf(path, sizeof path, EMP "%llu/", (unsigned long long)id);
    return path;
}

static void expect(const harness_reply_t *r, int status, const char *json)
{
    cr_assert_eq(r->status, status, "status %d, expected %d: %.*s", r->status, status, (int)r->body.len, r->body.ptr);
    harness_assert_json(r->json, json);
}

static uint64_t field_int(const harness_reply_t *r, const char *name)
{
    json_t *v = json_object_get(r->json, name);

    cr_assert(json_is_integer(v), "%s is not an integer", name);
    return (uint64_t)json_integer_value(v);
}

static const char *field_str(const harness_reply_t *r, const char *name)
{
    json_t *v = json_object_get(r->json, name);

    cr_assert(json_is_string(v), "%s is not a string", name);
    return json_string_value(v);
}

/* DRF's datetime form: 2024-10-14T21:25:44.123456Z */
static void assert_drf_time(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";

    cr_assert_eq(strlen(s), sizeof shape - 1, "bad datetime %s", s);
    for (size_t i = 0; i < sizeof shape - 1; i++)
        cr_assert(shape[i] == 'd' ? s[i] >= '0' && s[i] <= '9' : s[i] == shape[i], "bad datetime %s", s);
}

/* Asserts an Employee body with exactly the seven fields; returns its id. */
static uint64_t assert_employee(const harness_reply_t *r, uint64_t user, const char *name, const char *dept,
                                int64_t salary)
{
    cr_assert(json_is_object(r->json), "not an object: %.*s", (int)r->body.len, r->body.ptr);
    cr_assert_eq(json_object_size(r->json), 7, "%.*s", (int)r->body.len, r->body.ptr);
    cr_assert_eq(field_int(r, "user"), user);
    cr_assert_str_eq(field_str(r, "name"), name);
    cr_assert_str_eq(field_str(r, "department"), dept);
    cr_assert_eq(field_int(r, "salary"), (uint64_t)salary);
    assert_drf_time(field_str(r, "created_at"));
    assert_drf_time(field_str(r, "updated_at"));
    return field_int(r, "id");
}

static uint64_t create(const proto_principal_t *who, const char *name, const char *dept, int64_t salary)
{
    char body[256];

    snprintf(body, sizeof body, "{\"name\":\"%s\",\"department\":\"%s\",\"salary\":%lld}", name, dept, (long long)salary);
    const harness_reply_t *r = call(who, "POST", EMP, NULL, body);
    cr_assert_eq(r->status, 201, "create: %d %.*s", r->status, (int)r->body.len, r->body.ptr);
    return assert_employee(r, who->user_id, name, dept, salary);
}

static uint64_t list_count(const proto_principal_t *who)
{
    const harness_reply_t *r = call(who, "GET", EMP, NULL, NULL);

    cr_assert_eq(r->status, 200);
    return field_int(r, "count");
}

/* --- authentication and permission --------------------------------------------------------- */

Test(employees, anonymous_gets_401_everywhere)
{
    static const char *const ops[][2] = {{"GET", EMP}, {"POST", EMP}, {"GET", EMP "1/"}, {"PUT", EMP "1/"},
                                         {"PATCH", EMP "1/"}, {"DELETE", EMP "1/"}, {"GET", DATA}};
    const char *body = "{\"name\":\"a\",\"department\":\"hr\",\"salary\":1}";

    create(&user1, "Jim", "sales", 1);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        const harness_reply_t *r = call(&anonymous, ops[i][0], ops[i][1], NULL, body);
        cr_assert_eq(r->status, 401, "%s %s: %d", ops[i][0], ops[i][1], r->status);
        harness_assert_json(r->json, "{\"detail\":\"Authentication credentials were not provided.\"}");
    }
    cr_assert_eq(list_count(&user1), 1);
}

Test(employees, refused_token_gives_its_reason)
{
    proto_principal_t stale = harness_anonymous(PROTO_ERR_TOKEN_NOT_VALID);

    expect(call(&stale, "GET", EMP, NULL, NULL), 401,
           "{\"detail\":\"Token is invalid or expired\",\"code\":\"token_not_valid\"}");
}

Test(employees, api_key_acts_as_its_user)
{
    uint64_t id = create(&user1_key, "Stanley", "sales", 55000);
    const harness_reply_t *r = call(&user1, "GET", emp_path(id), NULL, NULL);

    cr_assert_eq(r->status, 200);
    assert_employee(r, 1, "Stanley", "sales", 55000);
    cr_assert_eq(call(&user1_key, "DELETE", emp_path(id), NULL, NULL)->status, 204);
}

Test(employees, read_only_key_reads_but_never_writes)
{
    uint64_t id = create(&user1, "Phyllis", "sales", 50000);
    const harness_reply_t *r;

    r = call(&user1_read_key, "GET", EMP, NULL, NULL);
    cr_assert_eq(r->status, 200);
    cr_assert_eq(field_int(r, "count"), 1);
    cr_assert_eq(call(&user1_read_key, "GET", emp_path(id), NULL, NULL)->status, 200);
    cr_assert_eq(call(&user1_read_key, "GET", DATA, NULL, NULL)->status, 200);

    r = call(&user1_read_key, "POST", EMP, NULL, "{\"name\":\"x\",\"department\":\"hr\",\"salary\":1}");
    cr_assert_eq(r->status, 403);
    cr_assert(json_is_string(json_object_get(r->json, "detail")));
    cr_assert_eq(call(&user1_read_key, "PUT", emp_path(id), NULL, "{\"name\":\"x\",\"department\":\"hr\",\"salary\":1}")
                     ->status,
                 403);
    cr_assert_eq(call(&user1_read_key, "PATCH", emp_path(id), NULL, "{\"salary\":1}")->status, 403);
    cr_assert_eq(call(&user1_read_key, "DELETE", emp_path(id), NULL, NULL)->status, 403);

    r = call(&user1, "GET", emp_path(id), NULL, NULL);
    assert_employee(r, 1, "Phyllis", "sales", 50000);
    cr_assert_eq(list_count(&user1), 1);
}

/* --- the operations ------------------------------------------------------------------------- */

Test(employees, create_retrieve_update_patch_destroy)
{
    const harness_reply_t *r;
    char created_at[32], updated_at[32];
    uint64_t id;

    r = call(&user1, "POST", EMP, NULL, "{\"name\":\"Michael Scott\",\"department\":\"sales\",\"salary\":60000}");
    cr_assert_eq(r->status, 201);
    id = assert_employee(r, 1, "Michael Scott", "sales", 60000);
    cr_assert_eq(id, 1);
    snprintf(created_at, sizeof created_at, "%s", field_str(r, "created_at"));
    cr_assert_str_eq(field_str(r, "updated_at"), created_at);
    cr_assert_str_eq(json_object_iter_key(json_object_iter(r->json)), "id", "fields in the serializer's order");

    r = call(&user1, "GET", emp_path(id), NULL, NULL);
    cr_assert_eq(r->status, 200);
    cr_assert_eq(assert_employee(r, 1, "Michael Scott", "sales", 60000), id);
    cr_assert_str_eq(field_str(r, "created_at"), created_at);

    r = call(&user1, "PUT", emp_path(id), NULL, "{\"name\":\"Michael G. Scott\",\"department\":\"hr\",\"salary\":1}");
    cr_assert_eq(r->status, 200);
    cr_assert_eq(assert_employee(r, 1, "Michael G. Scott", "hr", 1), id);
    cr_assert_str_eq(field_str(r, "created_at"), created_at);
    cr_assert_geq(strcmp(field_str(r, "updated_at"), created_at), 0);
    snprintf(updated_at, sizeof updated_at, "%s", field_str(r, "updated_at"));

    r = call(&user1, "PATCH", emp_path(id), NULL, "{\"salary\":75000}");
    cr_assert_eq(r->status, 200);
    assert_employee(r, 1, "Michael G. Scott", "hr", 75000);
    cr_assert_geq(strcmp(field_str(r, "updated_at"), updated_at), 0);

    r = call(&user1, "PATCH", emp_path(id), NULL, "{}");
    cr_assert_eq(r->status, 200);
    assert_employee(r, 1, "Michael G. Scott", "hr", 75000);

    r = call(&user1, "GET", emp_path(id), NULL, NULL);
    assert_employee(r, 1, "Michael G. Scott", "hr", 75000);

    r = call(&user1, "DELETE", emp_path(id), NULL, NULL);
    cr_assert_eq(r->status, 204);
    cr_assert_eq(r->body.len, 0);
    expect(call(&user1, "GET", emp_path(id), NULL, NULL), 404, NOT_FOUND);
    expect(call(&user1, "DELETE", emp_path(id), NULL, NULL), 404, NOT_FOUND);
    expect(call(&user1, "PATCH", emp_path(id), NULL, "{\"salary\":1}"), 404, NOT_FOUND);
    expect(call(&user1, "PUT", emp_path(id), NULL, "{\"name\":\"a\",\"department\":\"hr\",\"salary\":1}"), 404,
           NOT_FOUND);
    cr_assert_eq(list_count(&user1), 0);
}

Test(employees, lookups_that_are_not_ids_are_404)
{
    create(&user1, "Toby", "hr", 40000);
    expect(call(&user1, "GET", EMP "abc/", NULL, NULL), 404, NOT_FOUND);
    expect(call(&user1, "GET", EMP "0/", NULL, NULL), 404, NOT_FOUND);
    expect(call(&user1, "GET", EMP "-1/", NULL, NULL), 404, NOT_FOUND);
    expect(call(&user1, "GET", EMP "99999999999999999999999/", NULL, NULL), 404, NOT_FOUND);
}

Test(employees, ids_are_not_reused_after_delete)
{
    uint64_t a = create(&user1, "a", "hr", 1);
    uint64_t b = create(&user2, "b", "hr", 1);

    cr_assert_gt(b, a);
    cr_assert_eq(call(&user2, "DELETE", emp_path(b), NULL, NULL)->status, 204);
    uint64_t c = create(&user1, "c", "hr", 1);
    cr_assert_gt(c, b);
    cr_assert_eq(call(&user1, "DELETE", emp_path(c), NULL, NULL)->status, 204);
    cr_assert_eq(call(&user1, "DELETE", emp_path(a), NULL, NULL)->status, 204);
    cr_assert_gt(create(&user1, "d", "hr", 1), c);
}

Test(employees, users_see_only_their_own)
{
    uint64_t id = create(&user1, "Creed", "finance", 1000);
    const harness_reply_t *r;

    expect(call(&user2, "GET", emp_path(id), NULL, NULL), 404, NOT_FOUND);
    expect(call(&user2, "PUT", emp_path(id), NULL, "{\"name\":\"x\",\"department\":\"hr\",\"salary\":1}"), 404,
           NOT_FOUND);
    expect(call(&user2, "PATCH", emp_path(id), NULL, "{\"name\":\"x\"}"), 404, NOT_FOUND);
    expect(call(&user2, "DELETE", emp_path(id), NULL, NULL), 404, NOT_FOUND);
    expect(call(&user2, "GET", EMP, NULL, NULL), 200, "{\"count\":0,\"next\":null,\"previous\":null,\"results\":[]}");
    expect(call(&user2, "GET", DATA, NULL, NULL), 200,
           "{\"total_costs\":[],\"average_salaries\":[],\"headcounts\":[]}");
    /* an API key of user 2 is user 2 */
    proto_principal_t key2 = harness_api_key(2, PROTO_SCOPE_ALL);
    expect(call(&key2, "GET", emp_path(id), NULL, NULL), 404, NOT_FOUND);

    r = call(&user1, "GET", emp_path(id), NULL, NULL);
    cr_assert_eq(r->status, 200);
    assert_employee(r, 1, "Creed", "finance", 1000);
}

/* --- validation ------------------------------------------------------------------------------ */

Test(employees, validation_errors_are_drf_shaped)
{
    uint64_t id = create(&user1, "Kelly", "marketing", 40000);

    expect(call(&user1, "POST", EMP, NULL, "{}"), 400,
           "{\"name\":[\"This field is required.\"],\"department\":[\"This field is required.\"],"
           "\"salary\":[\"This field is required.\"]}");
    expect(call(&user1, "POST", EMP, NULL, "{\"name\":\"a\",\"department\":\"hr\",\"salary\":\"abc\"}"), 400,
           "{\"salary\":[\"A valid integer is required.\"]}");
    expect(call(&user1, "POST", EMP, NULL, "{\"name\":\"a\",\"department\":\"hr\",\"salary\":-1}"), 400,
           "{\"salary\":[\"Ensure this value is greater than or equal to 0.\"]}");
    expect(call(&user1, "POST", EMP, NULL, "{\"name\":\"a\",\"department\":\"hr\",\"salary\":2147483648}"), 400,
           "{\"salary\":[\"Ensure this value is less than or equal to 2147483647.\"]}");
    expect(call(&user1, "POST", EMP, NULL, "{\"name\":\"a\",\"department\":\"x\",\"salary\":1}"), 400,
           "{\"department\":[\"\\\"x\\\" is not a valid choice.\"]}");
    expect(call(&user1, "POST", EMP, NULL, "{\"name\":\"\",\"department\":\"hr\",\"salary\":1}"), 400,
           "{\"name\":[\"This field may not be blank.\"]}");

    char body[512];
    char name[102];
    memset(name, 'n', 101);
    name[101] = '\0';
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"department\":\"hr\",\"salary\":1}", name);
    expect(call(&user1, "POST", EMP, NULL, body), 400,
           "{\"name\":[\"Ensure this field has no more than 100 characters.\"]}");
    name[100] = '\0';
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"department\":\"hr\",\"salary\":2147483647}", name);
    cr_assert_eq(call(&user1, "POST", EMP, NULL, body)->status, 201);

    /* PUT needs every writable field; PATCH none */
    expect(call(&user1, "PUT", emp_path(id), NULL, "{\"name\":\"Kelly K\"}"), 400,
           "{\"department\":[\"This field is required.\"],\"salary\":[\"This field is required.\"]}");
    expect(call(&user1, "PATCH", emp_path(id), NULL, "{\"salary\":\"lots\"}"), 400,
           "{\"salary\":[\"A valid integer is required.\"]}");

    /* nothing invalid was stored */
    const harness_reply_t *r = call(&user1, "GET", emp_path(id), NULL, NULL);
    assert_employee(r, 1, "Kelly", "marketing", 40000);
    cr_assert_eq(list_count(&user1), 2);
}

/* The Pegasus front end sends salary as a string; clients send records back unchanged. */
Test(employees, string_salary_and_read_only_fields)
{
    const harness_reply_t *r;
    uint64_t id;

    r = call(&user1, "POST", EMP, NULL, "{\"name\":\"Erin\",\"department\":\"hr\",\"salary\":\"5000\"}");
    cr_assert_eq(r->status, 201);
    id = assert_employee(r, 1, "Erin", "hr", 5000);

    r = call(&user1, "PATCH", emp_path(id), NULL, "{\"salary\":\"6000\"}");
    cr_assert_eq(r->status, 200);
    assert_employee(r, 1, "Erin", "hr", 6000);

    r = call(&user1, "POST", EMP, NULL,
             "{\"id\":999,\"user\":2,\"name\":\"Gabe\",\"department\":\"sales\",\"salary\":1,"
             "\"created_at\":\"2000-01-01T00:00:00.000000Z\",\"nickname\":\"G\"}");
    cr_assert_eq(r->status, 201);
    uint64_t gabe = assert_employee(r, 1, "Gabe", "sales", 1);
    cr_assert_neq(gabe, 999);
    cr_assert_str_neq(field_str(r, "created_at"), "2000-01-01T00:00:00.000000Z");

    r = call(&user1, "PUT", emp_path(gabe), NULL,
             "{\"id\":5,\"user\":2,\"name\":\"Gabe L\",\"department\":\"sales\",\"salary\":2}");
    cr_assert_eq(r->status, 200);
    cr_assert_eq(assert_employee(r, 1, "Gabe L", "sales", 2), gabe);
    expect(call(&user2, "GET", EMP, NULL, NULL), 200, "{\"count\":0,\"next\":null,\"previous\":null,\"results\":[]}");
}

/* --- pagination ------------------------------------------------------------------------------ */

static void assert_page(const harness_reply_t *r, uint64_t count, const char *next, const char *previous,
                        const uint64_t *ids, size_t n)
{
    json_t *results = json_object_get(r->json, "results");

    cr_assert_eq(r->status, 200, "status %d: %.*s", r->status, (int)r->body.len, r->body.ptr);
    cr_assert_eq(json_object_size(r->json), 4);
    cr_assert_eq(field_int(r, "count"), count);
    if (next == NULL)
        cr_assert(json_is_null(json_object_get(r->json, "next")));
    else
        cr_assert_str_eq(field_str(r, "next"), next);
    if (previous == NULL)
        cr_assert(json_is_null(json_object_get(r->json, "previous")));
    else
        cr_assert_str_eq(field_str(r, "previous"), previous);
    cr_assert_eq(json_array_size(results), n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(json_integer_value(json_object_get(json_array_get(results, i), "id")), (json_int_t)ids[i],
                     "result %zu", i);
}

Test(employees, pagination_over_250_rows)
{
    uint64_t ids[250];
    const char *url = HARNESS_BASE_URL EMP;

    for (size_t i = 0; i < 250; i++) {
        ids[i] = create(&user1, "Temp", "engineering", (int64_t)i);
        if (i % 50 == 0)
            create(&user2, "Other", "hr", 1);
    }

    assert_page(call(&user1, "GET", EMP, NULL, NULL), 250, HARNESS_BASE_URL EMP "?page=2", NULL, ids, 100);
    assert_page(call(&user1, "GET", EMP, "page=1", NULL), 250, HARNESS_BASE_URL EMP "?page=2", NULL, ids, 100);
    assert_page(call(&user1, "GET", EMP, "page=2", NULL), 250, HARNESS_BASE_URL EMP "?page=3", url, ids + 100, 100);
    assert_page(call(&user1, "GET", EMP, "page=3", NULL), 250, NULL, HARNESS_BASE_URL EMP "?page=2", ids + 200, 50);
    assert_page(call(&user1, "GET", EMP, "page=last", NULL), 250, NULL, HARNESS_BASE_URL EMP "?page=2", ids + 200,
                50);
    /* other parameters are kept; DRF re-encodes the query sorted by name */
    assert_page(call(&user1, "GET", EMP, "page=2&foo=bar", NULL), 250, HARNESS_BASE_URL EMP "?foo=bar&page=3",
                HARNESS_BASE_URL EMP "?foo=bar", ids + 100, 100);

    expect(call(&user1, "GET", EMP, "page=0", NULL), 404, INVALID_PAGE);
    expect(call(&user1, "GET", EMP, "page=4", NULL), 404, INVALID_PAGE);
    expect(call(&user1, "GET", EMP, "page=999", NULL), 404, INVALID_PAGE);
    expect(call(&user1, "GET", EMP, "page=abc", NULL), 404, INVALID_PAGE);

    /* user 2's rows never show up in user 1's pages, nor the reverse */
    const harness_reply_t *r = call(&user2, "GET", EMP, NULL, NULL);
    cr_assert_eq(field_int(r, "count"), 5);
    cr_assert(json_is_null(json_object_get(r->json, "next")));

    /* an empty list has one (empty) page */
    proto_principal_t user3 = harness_jwt(3);
    expect(call(&user3, "GET", EMP, NULL, NULL), 200, "{\"count\":0,\"next\":null,\"previous\":null,\"results\":[]}");
    expect(call(&user3, "GET", EMP, "page=2", NULL), 404, INVALID_PAGE);
}

/* --- aggregate ------------------------------------------------------------------------------- */

Test(employees, aggregate_per_department)
{
    expect(call(&user1, "GET", DATA, NULL, NULL), 200,
           "{\"total_costs\":[],\"average_salaries\":[],\"headcounts\":[]}");

    create(&user1, "s", "sales", 1);
    create(&user1, "m", "marketing", 60000);
    create(&user1, "h1", "hr", 66000);
    create(&user1, "h2", "hr", 66001);
    uint64_t gone = create(&user1, "e", "engineering", 10);
    create(&user2, "theirs", "finance", 100);
    cr_assert_eq(call(&user1, "DELETE", emp_path(gone), NULL, NULL)->status, 204);

    /* departments in the model's order: hr, finance, engineering, marketing, sales */
    expect(call(&user1, "GET", DATA, NULL, NULL), 200,
           "{\"total_costs\":[[\"hr\",132001],[\"marketing\",60000],[\"sales\",1]],"
           "\"average_salaries\":[[\"hr\",66000.5],[\"marketing\",60000.0],[\"sales\",1.0]],"
           "\"headcounts\":[[\"hr\",2],[\"marketing\",1],[\"sales\",1]]}");
    expect(call(&user2, "GET", DATA, NULL, NULL), 200,
           "{\"total_costs\":[[\"finance\",100]],\"average_salaries\":[[\"finance\",100.0]],"
           "\"headcounts\":[[\"finance\",1]]}");
}

/* --- durability ------------------------------------------------------------------------------ */

Test(employees, acknowledged_writes_survive_sigkill)
{
    uint64_t a = create(&user1, "Ryan", "sales", 30000);
    uint64_t b = create(&user1, "Kelly", "sales", 40000);
    const harness_reply_t *r;

    cr_assert_eq(call(&user1, "DELETE", emp_path(b), NULL, NULL)->status, 204);
    cr_assert_eq(call(&user1, "PATCH", emp_path(a), NULL, "{\"name\":\"Ryan Howard\"}")->status, 200);
    harness_restart(&h, SIGKILL);

    r = call(&user1, "GET", emp_path(a), NULL, NULL);
    cr_assert_eq(r->status, 200);
    assert_employee(r, 1, "Ryan Howard", "sales", 30000);
    expect(call(&user1, "GET", emp_path(b), NULL, NULL), 404, NOT_FOUND);
    cr_assert_eq(list_count(&user1), 1);
    /* the sequence survived too */
    cr_assert_gt(create(&user1, "Devon", "hr", 1), b);
}
