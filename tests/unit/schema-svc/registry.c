/* tests schema-svc/registry.c with announcements a hostile sender can decode into (found by
 * tests/fuzz/announce.c) */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

#include "schema-svc/schema.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define S 1000000LL

static const schema_info_t info = {.title = "apibus", .version = "0.1.0"};

typedef json_t *(*test_loadb_t)(const char *, size_t, size_t, json_error_t *);

/* jansson is not instrumented, so ASan cannot see it read past a buffer: this definition (the
 * executable's wins over the library's) checks that the registry hands it only its own bytes. */
json_t *json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error)
{
    static test_loadb_t real;
    if (real == NULL)
        real = (test_loadb_t)dlsym(RTLD_NEXT, "json_loadb");
    cr_assert_not_null(real);
#ifdef TEST_ASAN
    cr_assert(buflen == 0 || __asan_region_is_poisoned((void *)(uintptr_t)buffer, buflen) == NULL,
              "json_loadb is told %zu bytes, more than the buffer holds", buflen);
#endif
    return real(buffer, buflen, flags, error);
}

static json_t *service_health(schema_registry_t *r, const char *name, int64_t now)
{
    json_t *h = schema_registry_health(r, now), *s, *found = NULL;
    size_t i;
    json_array_foreach(json_object_get(h, "services"), i, s) {
        if (strcmp(json_string_value(json_object_get(s, "service")), name) == 0)
            found = json_incref(s);
    }
    json_decref(h);
    cr_assert_not_null(found, "no health entry for %s", name);
    return found;
}

/* A message without "ver" decodes (the version is optional) to {NULL, 0}: the registry gave that
 * NULL to strndup, undefined behaviour (UBSan: "null pointer passed as argument 1"). */
Test(registry, announcement_without_version)
{
    static const char text[] = "{\"service\":\"emp\",\"version\":\"1\",\"fragment\":{}}";
    proto_announce_t a = {.service = PROTO_STR_LIT("emp"), .instance = PROTO_STR_LIT("h:1"), .started_us = 1,
                          .fragment = {text, sizeof text - 1}};
    schema_registry_t *r;
    cr_assert_eq(schema_registry_create(&info, 10 * S, &r), 0);
    schema_registry_announce(r, &a, 1 * S);
    json_t *emp = service_health(r, "emp", 1 * S);
    cr_assert_str_eq(json_string_value(json_object_get(emp, "status")), "up");
    json_t *instance = json_array_get(json_object_get(emp, "instances"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(instance, "version")), "", "an absent version is empty");
    json_decref(emp);
    schema_registry_destroy(r);
}

/* The fragment was copied with strndup, which stops at a NUL, but parsed with its full length:
 * jansson read past the copy (a multi-byte UTF-8 sequence before the NUL makes it read 3 more). */
Test(registry, fragment_with_a_nul_byte)
{
    static const char text[] = "{\"service\":\"emp\",\xf0\0\"version\":\"1\",\"fragment\":{}}";
    proto_announce_t a = {.service = PROTO_STR_LIT("emp"), .version = PROTO_STR_LIT("1"),
                          .instance = PROTO_STR_LIT("h:1"), .started_us = 1, .fragment = {text, sizeof text - 1}};
    schema_registry_t *r;
    cr_assert_eq(schema_registry_create(&info, 10 * S, &r), 0);
    uint64_t builds = schema_registry_builds(r);
    schema_registry_announce(r, &a, 1 * S);
    cr_assert_eq(schema_registry_builds(r), builds, "an unusable fragment changes nothing");
    json_t *emp = service_health(r, "emp", 1 * S);
    cr_assert_not_null(json_object_get(emp, "error"), "the health report says why");
    json_decref(emp);
    schema_registry_destroy(r);
}

static void announce_text(schema_registry_t *r, const char *instance, const char *text)
{
    proto_announce_t a = {.service = PROTO_STR_LIT("emp"), .version = PROTO_STR_LIT("1"),
                          .instance = {instance, strlen(instance)}, .started_us = 1,
                          .fragment = {text, strlen(text)}};
    schema_registry_announce(r, &a, 1 * S);
}

/* Why a fragment is unusable goes into the health report, a JSON string: it was left out when the
 * reason was not UTF-8, as when jansson quotes the input near an error up to a broken character,
 * or when "%.64s" cuts a long service name inside a character. */
Test(registry, unusable_reason_is_reported_as_utf8)
{
    static const char *const texts[] = {
        "{\"service\":\"emp\",\"x\":\"\\ud8\xc3\xa9\"}",
        "{\"service\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9\",\"version\":\"1\","
        "\"fragment\":{}}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        schema_registry_t *r;
        cr_assert_eq(schema_registry_create(&info, 10 * S, &r), 0);
        announce_text(r, "h:1", texts[i]);
        json_t *emp = service_health(r, "emp", 1 * S);
        const char *error = json_string_value(json_object_get(emp, "error"));
        cr_assert_not_null(error, "text %zu: the health report says why", i);
        cr_assert_not_null(strchr(error, '?'), "text %zu: the broken character is replaced: %s", i, error);
        json_decref(emp);
        schema_registry_destroy(r);
    }
}
