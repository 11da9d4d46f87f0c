/* tests proto/announce.c: what schema-svc accepts from the bus as a fragment announcement. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/announce.h"
#include "proto/errors.h"

static int roundtrip(const char *service, const char *instance, const char *version, proto_announce_t *out,
                     proto_buf_t *buf)
{
    proto_announce_t a = {.service = {service, strlen(service)},
                          .instance = {instance, strlen(instance)},
                          .version = {version, strlen(version)},
                          .started_us = 42,
                          .fragment = PROTO_STR_LIT("{}")};
    memset(buf, 0, sizeof *buf);
    cr_assert_eq(proto_announce_encode(&a, buf), 0);
    return proto_announce_decode(buf->data, buf->size, 1 << 20, out);
}

Test(announce, encodes_and_decodes)
{
    proto_buf_t buf;
    proto_announce_t a;
    cr_assert_eq(roundtrip("employees", "host-1:4242", "1.2.0", &a, &buf), 0);
    cr_assert(PROTO_STR_EQ(a.service, "employees"));
    cr_assert(PROTO_STR_EQ(a.instance, "host-1:4242"));
    cr_assert(PROTO_STR_EQ(a.version, "1.2.0"));
    cr_assert_eq(a.started_us, 42);
    cr_assert(PROTO_STR_EQ(a.fragment, "{}"));
    cr_assert_eq(proto_announce_decode(buf.data, buf.size, buf.size - 1, &a), -PROTO_ERR_MSG_TOO_LARGE);
    proto_buf_dispose(&buf);
}

/* A newline would forge a log line in schema-svc; a NUL would make each push a new instance. */
Test(announce, names_with_control_characters_are_refused)
{
    static const char *const bad[] = {"emp\nloyees", "emp\rx", "a\tb", "del\x7f", "esc\x1b[31m"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        proto_buf_t buf;
        proto_announce_t a;
        cr_assert_eq(roundtrip(bad[i], "h:1", "1", &a, &buf), -PROTO_ERR_MSG_BAD_NAME, "service #%zu", i);
        proto_buf_dispose(&buf);
        cr_assert_eq(roundtrip("employees", bad[i], "1", &a, &buf), -PROTO_ERR_MSG_BAD_NAME, "instance #%zu", i);
        proto_buf_dispose(&buf);
        cr_assert_eq(roundtrip("employees", "h:1", bad[i], &a, &buf), -PROTO_ERR_MSG_BAD_NAME, "version #%zu", i);
        proto_buf_dispose(&buf);
    }
    proto_announce_t a = {.service = {"emp\0x", 5}, .instance = PROTO_STR_LIT("h:1"), .version = PROTO_STR_LIT("1"),
                          .fragment = PROTO_STR_LIT("{}")};
    proto_buf_t buf = {0};
    cr_assert_eq(proto_announce_encode(&a, &buf), 0);
    proto_announce_t out;
    cr_assert_eq(proto_announce_decode(buf.data, buf.size, 1 << 20, &out), -PROTO_ERR_MSG_BAD_NAME);
    proto_buf_dispose(&buf);
}
