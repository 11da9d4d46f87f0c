/* tests proto/envelope.c: round trips, version handling, and decoding hostile input */
#include <criterion/criterion.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/envelope.h"
#include "proto/errors.h"

#define MAX (1u << 20)

static proto_msg_t sample_job(void)
{
    proto_msg_t m = {.kind = PROTO_KIND_JOB, .job_id = (7ull << 32) | 42};
    proto_request_t *r = &m.req;
    r->id = PROTO_STR_LIT("req-1");
    r->budget_ms = 9500;
    r->method = PROTO_STR_LIT("POST");
    r->path = PROTO_STR_LIT("/pegasus/employees/api/employees/");
    r->query = PROTO_STR_LIT("page=2&x=%C3%A9");
    r->headers[0] = (proto_header_t){PROTO_STR_LIT("content-type"), PROTO_STR_LIT("application/json")};
    r->headers[1] = (proto_header_t){PROTO_STR_LIT("idempotency-key"), PROTO_STR_LIT("abc")};
    r->num_headers = 2;
    r->client = PROTO_STR_LIT("127.0.0.1");
    r->base_url = PROTO_STR_LIT("http://localhost:8000");
    r->principal = (proto_principal_t){.user_id = 12, .cred = PROTO_CRED_API_KEY, .scope = PROTO_SCOPE_READ,
                                       .key_prefix = "AbCd1234", .auth_error = 0};
    r->body = PROTO_STR_LIT("{\"name\":\"Ann\"}");
    return m;
}

static void assert_str(proto_str_t s, const char *want)
{
    cr_assert_eq(s.len, strlen(want), "length %zu, want %zu (%s)", s.len, strlen(want), want);
    cr_assert(memcmp(s.ptr, want, s.len) == 0, "want %s", want);
}

Test(envelope, job_round_trip)
{
    proto_msg_t in = sample_job(), out;
    proto_buf_t buf = {0};
    cr_assert_eq(proto_encode(&in, &buf), 0);
    cr_assert_eq(proto_decode(buf.data, buf.size, MAX, &out), 0);
    cr_assert_eq(out.kind, PROTO_KIND_JOB);
    cr_assert_eq(out.job_id, in.job_id);
    cr_assert_eq(out.req.budget_ms, 9500);
    assert_str(out.req.id, "req-1");
    assert_str(out.req.method, "POST");
    assert_str(out.req.path, "/pegasus/employees/api/employees/");
    assert_str(out.req.query, "page=2&x=%C3%A9");
    cr_assert_eq(out.req.num_headers, 2);
    assert_str(proto_header_get(out.req.headers, out.req.num_headers, "idempotency-key"), "abc");
    assert_str(out.req.base_url, "http://localhost:8000");
    assert_str(out.req.body, "{\"name\":\"Ann\"}");
    cr_assert_eq(out.req.principal.user_id, 12);
    cr_assert_eq(out.req.principal.cred, PROTO_CRED_API_KEY);
    cr_assert_eq(out.req.principal.scope, PROTO_SCOPE_READ);
    cr_assert_str_eq(out.req.principal.key_prefix, "AbCd1234");
    proto_buf_dispose(&buf);
}

Test(envelope, result_round_trip_with_binary_body)
{
    static const char body[] = {'a', 0, (char)0xff, 'z'};
    proto_msg_t in = {.kind = PROTO_KIND_RESULT, .job_id = 99}, out;
    in.reply.status = 201;
    in.reply.headers[0] = (proto_header_t){PROTO_STR_LIT("content-type"), PROTO_STR_LIT("application/json")};
    in.reply.num_headers = 1;
    in.reply.body = (proto_str_t){body, sizeof body};
    proto_buf_t buf = {0};
    cr_assert_eq(proto_encode(&in, &buf), 0);
    cr_assert_eq(proto_decode(buf.data, buf.size, MAX, &out), 0);
    cr_assert_eq(out.kind, PROTO_KIND_RESULT);
    cr_assert_eq(out.reply.status, 201);
    cr_assert_eq(out.reply.body.len, sizeof body);
    cr_assert(memcmp(out.reply.body.ptr, body, sizeof body) == 0);
    cr_assert_eq(out.req.num_headers, 0, "a result carries no request fields");
    proto_buf_dispose(&buf);
}

Test(envelope, ready_and_ping_are_tiny)
{
    proto_msg_t in = {.kind = PROTO_KIND_READY}, out;
    proto_buf_t buf = {0};
    cr_assert_eq(proto_encode(&in, &buf), 0);
    cr_assert_lt(buf.size, 16);
    cr_assert_eq(proto_decode(buf.data, buf.size, MAX, &out), 0);
    cr_assert_eq(out.kind, PROTO_KIND_READY);
    proto_buf_dispose(&buf);
}

/* Builds a message by hand with msgpack-c so tests can say things our encoder never would. */
typedef struct {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} raw_t;

static void raw_init(raw_t *r)
{
    msgpack_sbuffer_init(&r->sb);
    msgpack_packer_init(&r->pk, &r->sb, msgpack_sbuffer_write);
}

static void raw_key(raw_t *r, const char *k)
{
    msgpack_pack_str(&r->pk, strlen(k));
    msgpack_pack_str_body(&r->pk, k, strlen(k));
}

Test(envelope, unknown_keys_are_skipped)
{
    raw_t r;
    raw_init(&r);
    msgpack_pack_map(&r.pk, 5);
    raw_key(&r, "v"), msgpack_pack_uint8(&r.pk, PROTO_VERSION);
    raw_key(&r, "future_nested"), msgpack_pack_map(&r.pk, 1), raw_key(&r, "x"), msgpack_pack_array(&r.pk, 2),
        msgpack_pack_nil(&r.pk), msgpack_pack_double(&r.pk, 1.5);
    raw_key(&r, "k"), msgpack_pack_uint8(&r.pk, PROTO_KIND_RESULT);
    raw_key(&r, "s"), msgpack_pack_uint16(&r.pk, 204);
    raw_key(&r, "zz"), msgpack_pack_bin(&r.pk, 3), msgpack_pack_bin_body(&r.pk, "abc", 3);
    proto_msg_t m;
    cr_assert_eq(proto_decode(r.sb.data, r.sb.size, MAX, &m), 0);
    cr_assert_eq(m.reply.status, 204);
    msgpack_sbuffer_destroy(&r.sb);
}

Test(envelope, other_major_version_is_refused)
{
    raw_t r;
    raw_init(&r);
    msgpack_pack_map(&r.pk, 3);
    raw_key(&r, "v"), msgpack_pack_uint8(&r.pk, PROTO_VERSION + 1);
    raw_key(&r, "k"), msgpack_pack_uint8(&r.pk, 77); /* a kind this version does not know */
    raw_key(&r, "j"), msgpack_pack_uint8(&r.pk, 1);
    proto_msg_t m;
    cr_assert_eq(proto_decode(r.sb.data, r.sb.size, MAX, &m), -PROTO_ERR_MSG_VERSION);
    msgpack_sbuffer_destroy(&r.sb);
}

Test(envelope, missing_version_or_kind_is_refused)
{
    raw_t r;
    raw_init(&r);
    msgpack_pack_map(&r.pk, 1);
    raw_key(&r, "k"), msgpack_pack_uint8(&r.pk, PROTO_KIND_READY);
    proto_msg_t m;
    cr_assert_eq(proto_decode(r.sb.data, r.sb.size, MAX, &m), -PROTO_ERR_MSG_MISSING);
    msgpack_sbuffer_destroy(&r.sb);
}

Test(envelope, every_truncation_is_rejected)
{
    proto_msg_t in = sample_job(), out;
    proto_buf_t buf = {0};
    cr_assert_eq(proto_encode(&in, &buf), 0);
    for (size_t len = 0; len < buf.size; len++) {
        /* a copy of exactly len bytes, so ASan catches any read past the end */
        char *copy = malloc(len ? len : 1);
        memcpy(copy, buf.data, len);
        int rc = proto_decode(copy, len, MAX, &out);
        cr_assert_lt(rc, 0, "a %zu-byte prefix of %zu decoded", len, buf.size);
        free(copy);
    }
    proto_buf_dispose(&buf);
}

Test(envelope, trailing_bytes_are_rejected)
{
    proto_msg_t in = {.kind = PROTO_KIND_READY}, out;
    proto_buf_t buf = {0};
    cr_assert_eq(proto_encode(&in, &buf), 0);
    static const char extra = (char)0xc0;
    char *copy = malloc(buf.size + 1);
    memcpy(copy, buf.data, buf.size);
    copy[buf.size] = extra;
    cr_assert_eq(proto_decode(copy, buf.size + 1, MAX, &out), -PROTO_ERR_MSG_TRAILING);
    free(copy);
    proto_buf_dispose(&buf);
}

Test(envelope, oversize_message_is_rejected_before_parsing)
{
    proto_msg_t in = sample_job(), out;
    proto_buf_t buf = {0};
    cr_assert_eq(proto_encode(&in, &buf), 0);
    cr_assert_eq(proto_decode(buf.data, buf.size, buf.size - 1, &out), -PROTO_ERR_MSG_TOO_LARGE);
    proto_buf_dispose(&buf);
}

Test(envelope, huge_declared_counts_never_allocate)
{
    /* map32 / array32 / str32 / bin32 declaring 4 G elements in a handful of bytes */
    static const unsigned char map32[] = {0xdf, 0xff, 0xff, 0xff, 0xff};
    static const unsigned char arr32[] = {0x81, 0xa1, 'x', 0xdd, 0xff, 0xff, 0xff, 0xff};
    static const unsigned char str32[] = {0x81, 0xdb, 0xff, 0xff, 0xff, 0xff, 'a'};
    static const unsigned char bin32[] = {0x81, 0xa1, 'b', 0xc6, 0x7f, 0xff, 0xff, 0xff};
    proto_msg_t m;
    cr_assert_eq(proto_decode(map32, sizeof map32, MAX, &m), -PROTO_ERR_MSG_BAD_COUNT);
    cr_assert_eq(proto_decode(arr32, sizeof arr32, MAX, &m), -PROTO_ERR_MSG_BAD_COUNT);
    cr_assert_eq(proto_decode(str32, sizeof str32, MAX, &m), -PROTO_ERR_MSG_TRUNCATED);
    cr_assert_eq(proto_decode(bin32, sizeof bin32, MAX, &m), -PROTO_ERR_MSG_TRUNCATED);
}

Test(envelope, deep_nesting_is_rejected)
{
    /* {"x": [[[[...]]]]} 40 levels deep, inside an otherwise valid message */
    unsigned char buf[64];
    size_t n = 0;
    buf[n++] = 0x81, buf[n++] = 0xa1, buf[n++] = 'x';
    for (int i = 0; i < 40; i++)
        buf[n++] = 0x91;
    buf[n++] = 0xc0;
    proto_msg_t m;
    cr_assert_eq(proto_decode(buf, n, MAX, &m), -PROTO_ERR_MSG_TOO_DEEP);
}

Test(envelope, wrong_types_are_rejected)
{
    raw_t r;
    raw_init(&r);
    msgpack_pack_map(&r.pk, 3);
    raw_key(&r, "v"), msgpack_pack_uint8(&r.pk, PROTO_VERSION);
    raw_key(&r, "k"), msgpack_pack_uint8(&r.pk, PROTO_KIND_JOB);
    raw_key(&r, "m"), msgpack_pack_int(&r.pk, 5); /* method must be a string */
    proto_msg_t m;
    cr_assert_eq(proto_decode(r.sb.data, r.sb.size, MAX, &m), -PROTO_ERR_MSG_BAD_TYPE);
    msgpack_sbuffer_destroy(&r.sb);

    raw_init(&r);
    msgpack_pack_map(&r.pk, 3);
    raw_key(&r, "v"), msgpack_pack_uint8(&r.pk, PROTO_VERSION);
    raw_key(&r, "k"), msgpack_pack_uint8(&r.pk, PROTO_KIND_RESULT);
    raw_key(&r, "s"), msgpack_pack_int(&r.pk, -200); /* negative status */
    cr_assert_eq(proto_decode(r.sb.data, r.sb.size, MAX, &m), -PROTO_ERR_MSG_BAD_TYPE);
    msgpack_sbuffer_destroy(&r.sb);

    raw_init(&r);
    msgpack_pack_array(&r.pk, 0); /* the top level must be a map */
    cr_assert_eq(proto_decode(r.sb.data, r.sb.size, MAX, &m), -PROTO_ERR_MSG_BAD_TYPE);
    msgpack_sbuffer_destroy(&r.sb);
}

Test(envelope, non_utf8_strings_are_rejected)
{
    static const char *const bad[] = {"\xff", "\xc0\x80" /* overlong NUL */, "\xed\xa0\x80" /* surrogate */,
                                      "\xf4\x90\x80\x80" /* > U+10FFFF */, "ab\xe2\x82"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        raw_t r;
        raw_init(&r);
        msgpack_pack_map(&r.pk, 3);
        raw_key(&r, "v"), msgpack_pack_uint8(&r.pk, PROTO_VERSION);
        raw_key(&r, "k"), msgpack_pack_uint8(&r.pk, PROTO_KIND_JOB);
        raw_key(&r, "p"), msgpack_pack_str(&r.pk, strlen(bad[i])), msgpack_pack_str_body(&r.pk, bad[i], strlen(bad[i]));
        proto_msg_t m;
        cr_assert_eq(proto_decode(r.sb.data, r.sb.size, MAX, &m), -PROTO_ERR_MSG_BAD_UTF8, "case %zu", i);
        msgpack_sbuffer_destroy(&r.sb);
    }
}

Test(envelope, too_many_headers_are_rejected)
{
    raw_t r;
    raw_init(&r);
    msgpack_pack_map(&r.pk, 4);
    raw_key(&r, "v"), msgpack_pack_uint8(&r.pk, PROTO_VERSION);
    raw_key(&r, "k"), msgpack_pack_uint8(&r.pk, PROTO_KIND_JOB);
    raw_key(&r, "m"), msgpack_pack_str(&r.pk, 3), msgpack_pack_str_body(&r.pk, "GET", 3);
    raw_key(&r, "h"), msgpack_pack_map(&r.pk, PROTO_MAX_HEADERS + 1);
    for (int i = 0; i < PROTO_MAX_HEADERS + 1; i++) {
        char k[8];
        int n = snprintf(k, sizeof k, "h%d", i);
        msgpack_pack_str(&r.pk, (size_t)n), msgpack_pack_str_body(&r.pk, k, (size_t)n);
        msgpack_pack_str(&r.pk, 1), msgpack_pack_str_body(&r.pk, "v", 1);
    }
    proto_msg_t m;
    cr_assert_eq(proto_decode(r.sb.data, r.sb.size, MAX, &m), -PROTO_ERR_MSG_BAD_COUNT);
    msgpack_sbuffer_destroy(&r.sb);
}

Test(envelope, reserved_byte_is_rejected)
{
    static const unsigned char msg[] = {0x81, 0xa1, 'x', 0xc1};
    proto_msg_t m;
    cr_assert_eq(proto_decode(msg, sizeof msg, MAX, &m), -PROTO_ERR_MSG_INVALID);
}

/* proto_encode_into must give proto_encode's bytes exactly: the worker sends what it writes. */
static void expect_into_matches(const proto_msg_t *m, const char *what)
{
    proto_buf_t want = {0};
    cr_assert_eq(proto_encode(m, &want), 0, "%s", what);
    size_t len = 0, written = 0;
    cr_assert_eq(proto_encoded_len(m, &len), 0, "%s", what);
    cr_assert_eq(len, want.size, "%s: measured %zu, encoded %zu", what, len, want.size);
    char *dst = malloc(len); /* exactly len bytes: ASan catches a write past them */
    cr_assert_eq(proto_encode_into(m, dst, len, &written), 0, "%s", what);
    cr_assert_eq(written, len, "%s", what);
    cr_assert(memcmp(dst, want.data, len) == 0, "%s: bytes differ", what);
    free(dst);
    proto_buf_dispose(&want);
}

Test(envelope, encode_into_gives_the_bytes_of_encode)
{
    proto_msg_t job = sample_job();
    expect_into_matches(&job, "job");
    proto_msg_t ready = {.kind = PROTO_KIND_READY}, ping = {.kind = PROTO_KIND_PING, .job_id = UINT64_MAX};
    expect_into_matches(&ready, "ready");
    expect_into_matches(&ping, "ping");
    /* bodies on both sides of msgpack's bin8 / bin16 / bin32 boundaries */
    static const size_t sizes[] = {0, 1, 255, 256, 65535, 65536, 16643, 200000};
    char *body = malloc(200000);
    for (size_t i = 0; i < 200000; i++)
        body[i] = (char)(i * 7);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        proto_msg_t r = {.kind = PROTO_KIND_RESULT, .job_id = (3ull << 32) | i};
        r.reply.status = 200;
        for (size_t h = 0; h < PROTO_MAX_HEADERS; h++)
            r.reply.headers[h] = (proto_header_t){PROTO_STR_LIT("x-h"), PROTO_STR_LIT("value")};
        r.reply.num_headers = i % (PROTO_MAX_HEADERS + 1);
        r.reply.body = (proto_str_t){body, sizes[i]};
        char what[32];
        snprintf(what, sizeof what, "result of %zu bytes", sizes[i]);
        expect_into_matches(&r, what);
    }
    free(body);
}

Test(envelope, encode_into_refuses_a_short_buffer)
{
    proto_msg_t in = sample_job();
    size_t len, written = 1;
    cr_assert_eq(proto_encoded_len(&in, &len), 0);
    for (size_t cap = 0; cap < len; cap++) {
        char *dst = malloc(cap ? cap : 1);
        cr_assert_eq(proto_encode_into(&in, dst, cap, &written), -PROTO_ERR_NO_MEMORY, "cap %zu of %zu", cap, len);
        cr_assert_eq(written, 0);
        free(dst);
    }
}

Test(envelope, too_many_headers_are_an_internal_error_everywhere)
{
    proto_msg_t in = {.kind = PROTO_KIND_RESULT};
    in.reply.status = 200;
    in.reply.num_headers = PROTO_MAX_HEADERS + 1;
    proto_buf_t buf = {0};
    size_t len;
    char dst[64];
    cr_assert_eq(proto_encode(&in, &buf), -PROTO_ERR_INTERNAL);
    cr_assert_eq(buf.size, 0);
    cr_assert_eq(proto_encoded_len(&in, &len), -PROTO_ERR_INTERNAL);
    cr_assert_eq(proto_encode_into(&in, dst, sizeof dst, &len), -PROTO_ERR_INTERNAL);
    proto_buf_dispose(&buf);
}
