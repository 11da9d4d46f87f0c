/*
 * libFuzzer target for the fragment announcement (proto/announce.h) and for what schema-svc does
 * with one (schema_registry_announce: parse the fragment JSON, merge it, write YAML and JSON):
 * whoever reaches the fragments port can push anything. Built only with -DAPIBUS_FUZZ=ON and
 * clang (make fuzz).
 *
 * A decoded announcement must keep announce.h's promises (strings inside the input, the str
 * fields valid UTF-8, the required fields present), survive a re-encode and decode unchanged,
 * then go to a fresh registry that already holds one well-formed fragment, so that a hostile
 * fragment is merged against real paths and components (conflicts, shared components). A
 * usable fragment must give a new document (a writer that fails keeps the old one forever), an
 * unusable one a reason in the health report; the document is validated and the report built,
 * before and after the TTL. json_loadb below checks the one buffer ASan cannot.
 *
 * The registry logs every announcement to stderr: make fuzz passes -close_fd_mask=2, which
 * keeps libFuzzer's and the sanitizers' reports.
 */
#include <dlfcn.h>
#include <jansson.h>
#include <sanitizer/asan_interface.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/announce.h"
#include "proto/errors.h"
#include "schema-svc/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* schema-svc/collector.c's cap on one message. */
#define FUZZ_MAX_MESSAGE (8u * 1024u * 1024u)
#define S 1000000LL

/*
 * jansson is a system library, not instrumented: ASan cannot see it read past a buffer we hand
 * it. The registry's only way into it is json_loadb, so this definition (the executable's wins
 * over the shared library's) checks that the whole buffer is addressable, then calls jansson.
 */
json_t *json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error)
{
    static json_t *(*real)(const char *, size_t, size_t, json_error_t *);
    if (real == NULL && (*(void **)&real = dlsym(RTLD_NEXT, "json_loadb")) == NULL)
        abort();
    void *bad = buflen != 0 ? __asan_region_is_poisoned((void *)(uintptr_t)buffer, buflen) : NULL;
    if (bad != NULL) {
        void *frame = __builtin_frame_address(0);
        __asan_report_error(__builtin_return_address(0), frame, frame, bad, 0, 1); /* does not return */
        abort();
    }
    return real(buffer, buflen, flags, error);
}

static const schema_info_t fuzz_info = {.title = "apibus", .version = "0.1.0"};

/* Shaped like a service's fragment: ErrorDetail and jwtAuth as every service declares them
 * (shared, not conflicts), a $ref, a path parameter, an operationId a fragment can collide with. */
static const char fuzz_base[] =
    "{\"service\":\"base\",\"version\":\"1.0.0\",\"fragment\":{\"paths\":{\"/api/base/{id}/\":{\"get\":{"
    "\"operationId\":\"base_retrieve\",\"parameters\":[{\"in\":\"path\",\"name\":\"id\",\"required\":true,"
    "\"schema\":{\"type\":\"integer\"}}],\"security\":[{\"jwtAuth\":[]}],\"responses\":{\"200\":{"
    "\"description\":\"\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":"
    "\"#/components/schemas/Base\"}}}},\"404\":{\"description\":\"\",\"content\":{\"application/json\":{"
    "\"schema\":{\"$ref\":\"#/components/schemas/ErrorDetail\"}}}}}}}},\"components\":{\"schemas\":{"
    "\"Base\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\",\"readOnly\":true}}},"
    "\"ErrorDetail\":{\"description\":\"An error: `detail` says what went wrong; `code` names it when a "
    "client may act on it.\",\"properties\":{\"code\":{\"type\":\"string\"},\"detail\":{\"type\":\"string\"}},"
    "\"required\":[\"detail\"],\"type\":\"object\"}},\"securitySchemes\":{\"jwtAuth\":{\"bearerFormat\":"
    "\"JWT\",\"scheme\":\"bearer\",\"type\":\"http\"}}}}}";

/* Inside [data, data+size): what "strings point into data" means. Absent strings are empty. */
static void fuzz_check_inside(proto_str_t s, const uint8_t *data, size_t size)
{
    if (s.len == 0)
        return;
    uintptr_t p = (uintptr_t)s.ptr, lo = (uintptr_t)data;
    if (s.ptr == NULL || p < lo || s.len > size || p - lo > size - s.len)
        abort();
}

/* A str field: valid UTF-8 (jansson's own check, independent of proto/mp.c's), and no control
 * character or NUL (names go to logs and are kept as C strings). */
static void fuzz_check_name(proto_str_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.ptr[i] < 0x20 || s.ptr[i] == 0x7f)
            abort();
    if (s.len == 0)
        return;
    json_t *j = json_stringn(s.ptr, s.len);
    if (j == NULL)
        abort();
    json_decref(j);
}

static int fuzz_same(proto_str_t a, proto_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static void fuzz_check_decoded(const proto_announce_t *a, const uint8_t *data, size_t size)
{
    fuzz_check_inside(a->service, data, size);
    fuzz_check_inside(a->version, data, size);
    fuzz_check_inside(a->instance, data, size);
    fuzz_check_inside(a->fragment, data, size);
    /* distinct msgpack values, so they cannot add up to more than the input */
    if (a->service.len + a->version.len + a->instance.len + a->fragment.len > size)
        abort();
    if (a->service.len == 0 || a->instance.len == 0 || (!a->stopping && a->fragment.len == 0))
        abort();
    fuzz_check_name(a->service);
    fuzz_check_name(a->version);
    fuzz_check_name(a->instance);
    /* a message over the limit is refused whatever it holds */
    proto_announce_t over;
    if (proto_announce_decode(data, size, size - 1, &over) != -PROTO_ERR_MSG_TOO_LARGE)
        abort();

    proto_buf_t buf = {0};
    proto_announce_t again;
    if (proto_announce_encode(a, &buf) != 0 || proto_announce_decode(buf.data, buf.size, buf.size, &again) != 0)
        abort();
    if (!fuzz_same(a->service, again.service) || !fuzz_same(a->version, again.version) ||
        !fuzz_same(a->instance, again.instance) || !fuzz_same(a->fragment, again.fragment) ||
        a->started_us != again.started_us || a->stopping != again.stopping)
        abort();
    proto_buf_dispose(&buf);
}

typedef enum en_fuzz_expect_t { FUZZ_NOTHING, FUZZ_USABLE, FUZZ_UNUSABLE } fuzz_expect_t;

/* What the registry must make of a fragment for a service other than base (the registry keeps
 * a name up to its first NUL): a usable one (it parses and names that service) goes into a new
 * document; an unusable one leaves a reason in the health report. */
static fuzz_expect_t fuzz_expect(const proto_announce_t *a)
{
    size_t name_len = strnlen(a->service.ptr, a->service.len);
    if (a->stopping || (name_len == 4 && memcmp(a->service.ptr, "base", 4) == 0))
        return FUZZ_NOTHING;
    schema_fragment_t f;
    char err[256];
    if (schema_fragment_parse(a->fragment.ptr, a->fragment.len, &f, err, sizeof err) != 0)
        return FUZZ_UNUSABLE;
    int usable = strlen(f.service) == name_len && memcmp(f.service, a->service.ptr, name_len) == 0;
    schema_fragment_dispose(&f);
    return usable ? FUZZ_USABLE : FUZZ_UNUSABLE;
}

static void fuzz_check_doc(schema_registry_t *r)
{
    const schema_doc_t *doc = schema_registry_lock(r);
    if (doc == NULL || doc->yaml == NULL || doc->json == NULL || strlen(doc->json) != doc->json_len ||
        strlen(doc->yaml) != doc->yaml_len)
        abort();
    json_t *problems = schema_doc_validate(doc->document);
    if (!json_is_array(problems))
        abort();
    json_decref(problems);
    schema_registry_unlock(r);
}

/* The report exists; when the fragment of `service` (name_len bytes) was unusable, its entry
 * says why. */
static void fuzz_check_health(schema_registry_t *r, int64_t now_us, const char *service, size_t name_len,
                              int want_error)
{
    json_t *health = schema_registry_health(r, now_us), *s;
    size_t i;
    int found = !want_error;
    if (health == NULL)
        abort();
    json_array_foreach(json_object_get(health, "services"), i, s) {
        const char *name = json_string_value(json_object_get(s, "service"));
        if (want_error && name != NULL && strlen(name) == name_len && memcmp(name, service, name_len) == 0)
            found = json_is_string(json_object_get(s, "error"));
    }
    if (!found)
        abort();
    json_decref(health);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    proto_announce_t a;
    if (proto_announce_decode(data, size, FUZZ_MAX_MESSAGE, &a) != 0)
        return 0;
    fuzz_check_decoded(&a, data, size);

    schema_registry_t *r;
    if (schema_registry_create(&fuzz_info, 10 * S, &r) != 0)
        abort();
    proto_announce_t base = {.service = PROTO_STR_LIT("base"), .version = PROTO_STR_LIT("1.0.0"),
                             .instance = PROTO_STR_LIT("base:1"), .started_us = 1 * S,
                             .fragment = {fuzz_base, sizeof fuzz_base - 1}};
    schema_registry_announce(r, &base, 1 * S);
    uint64_t builds = schema_registry_builds(r);
    fuzz_expect_t expect = fuzz_expect(&a);
    size_t name_len = strnlen(a.service.ptr, a.service.len);
    schema_registry_announce(r, &a, 2 * S);
    if (expect == FUZZ_USABLE && schema_registry_builds(r) != builds + 1)
        abort();
    fuzz_check_doc(r);
    fuzz_check_health(r, 3 * S, a.service.ptr, name_len, expect == FUZZ_UNUSABLE);
    schema_registry_tick(r, 60 * S); /* every instance silent: forgotten unless chosen */
    fuzz_check_doc(r);
    fuzz_check_health(r, 60 * S, a.service.ptr, name_len, 0);
    schema_registry_destroy(r);
    return 0;
}
