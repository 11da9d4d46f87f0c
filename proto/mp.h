/*
 * A bounds-checked msgpack reader for hostile input.
 *
 * msgpack-c allocates every declared array and map count before reading a single element (a
 * 5-byte message can ask for 128 GiB), so apibus decodes with this cursor instead: it never
 * allocates, refuses counts larger than the bytes left, nesting deeper than PROTO_MP_MAX_DEPTH,
 * truncation and non-UTF-8 strings. Encoding uses msgpack-c's packer (see proto/envelope.c).
 *
 * Strings returned point into the input buffer and are NOT NUL-terminated.
 */
#ifndef APIBUS_PROTO_MP_H
#define APIBUS_PROTO_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_MP_MAX_DEPTH 16

typedef struct st_proto_str_t {
    const char *ptr;
    size_t len;
} proto_str_t;

#define PROTO_STR_LIT(s) ((proto_str_t){(s), sizeof(s) - 1})

typedef struct st_proto_mp_t {
    const uint8_t *p;
    const uint8_t *end;
} proto_mp_t;

static inline void proto_mp_init(proto_mp_t *mp, const void *data, size_t len)
{
    mp->p = data;
    mp->end = (const uint8_t *)data + len;
}

static inline bool proto_mp_done(const proto_mp_t *mp)
{
    return mp->p == mp->end;
}

/* Checks that [data, data+len) is exactly one well-formed msgpack value: no truncation, no
 * trailing bytes, depth <= PROTO_MP_MAX_DEPTH, counts within the bytes left, str values valid
 * UTF-8, no reserved byte (0xc1). Returns 0 or -PROTO_ERR_MSG_*. */
int proto_mp_validate(const void *data, size_t len);

/* Readers: each consumes one value of the expected type, or returns -PROTO_ERR_MSG_BAD_TYPE
 * (or -PROTO_ERR_MSG_TRUNCATED) and leaves the cursor where it was. */
int proto_mp_read_map(proto_mp_t *mp, uint32_t *count);
int proto_mp_read_array(proto_mp_t *mp, uint32_t *count);
int proto_mp_read_str(proto_mp_t *mp, proto_str_t *out);
int proto_mp_read_bin(proto_mp_t *mp, proto_str_t *out); /* also accepts str */
int proto_mp_read_uint(proto_mp_t *mp, uint64_t *out);   /* non-negative integers only */
int proto_mp_read_int(proto_mp_t *mp, int64_t *out);
int proto_mp_read_double(proto_mp_t *mp, double *out); /* float32/float64, or an integer */
int proto_mp_read_bool(proto_mp_t *mp, bool *out);
/* True (and consumed) when the next value is nil. */
bool proto_mp_read_nil(proto_mp_t *mp);
/* Skips one value of any type, with everything nested in it. */
int proto_mp_skip(proto_mp_t *mp);

static inline bool proto_str_eq(proto_str_t s, const char *lit, size_t lit_len)
{
    return s.len == lit_len && (lit_len == 0 || __builtin_memcmp(s.ptr, lit, lit_len) == 0);
}
#define PROTO_STR_EQ(s, lit) proto_str_eq((s), (lit), sizeof(lit) - 1)

#endif
