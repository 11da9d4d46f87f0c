#include "proto/mp.h"

#include <string.h>

#include "proto/errors.h"
#include "proto/utf8.h"

/* Big-endian loads: msgpack is big-endian and the input is unaligned. */
static uint64_t proto__mp_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* What one msgpack value starts with: its class, and for containers and byte strings its
 * count or length, and how many header bytes precede the payload. */
typedef enum en_proto_mp_class_t {
    MP_NIL,
    MP_BOOL,
    MP_UINT,
    MP_INT,
    MP_FLOAT32,
    MP_FLOAT64,
    MP_STR,
    MP_BIN,
    MP_ARRAY,
    MP_MAP,
    MP_EXT,
} proto_mp_class_t;

typedef struct st_proto_mp_head_t {
    proto_mp_class_t cls;
    size_t header;  /* bytes before the payload */
    uint64_t count; /* payload length (str, bin, ext incl. its type byte, scalars) or element count */
    uint64_t value; /* inline value: fixints, bool */
} proto_mp_head_t;

static int proto__mp_head(const uint8_t *p, const uint8_t *end, proto_mp_head_t *h)
{
    if (p >= end)
        return -PROTO_ERR_MSG_TRUNCATED;
    size_t avail = (size_t)(end - p);
    uint8_t b = p[0];
    memset(h, 0, sizeof *h);
    h->header = 1;
#define NEED(n)                                                                                                        \
    do {                                                                                                               \
        if (avail < (n))                                                                                               \
            return -PROTO_ERR_MSG_TRUNCATED;                                                                           \
    } while (0)
    if (b <= 0x7f) {
        h->cls = MP_UINT, h->value = b;
    } else if (b <= 0x8f) {
        h->cls = MP_MAP, h->count = b & 0x0f;
    } else if (b <= 0x9f) {
        h->cls = MP_ARRAY, h->count = b & 0x0f;
    } else if (b <= 0xbf) {
        h->cls = MP_STR, h->count = b & 0x1f;
    } else if (b >= 0xe0) {
        h->cls = MP_INT, h->value = (uint64_t)(int64_t)(int8_t)b;
    } else {
        switch (b) {
        case 0xc0: h->cls = MP_NIL; break;
        case 0xc2: case 0xc3: h->cls = MP_BOOL, h->value = b == 0xc3; break;
        case 0xc4: case 0xc5: case 0xc6: {
            size_t n = (size_t)1 << (b - 0xc4);
            NEED(1 + n);
            h->cls = MP_BIN, h->header = 1 + n, h->count = proto__mp_be(p + 1, n);
            break;
        }
        case 0xc7: case 0xc8: case 0xc9: {
            size_t n = (size_t)1 << (b - 0xc7);
            NEED(1 + n);
            h->cls = MP_EXT, h->header = 1 + n, h->count = proto__mp_be(p + 1, n) + 1;
            break;
        }
        case 0xca: h->cls = MP_FLOAT32, h->count = 4; break;
        case 0xcb: h->cls = MP_FLOAT64, h->count = 8; break;
        case 0xcc: case 0xcd: case 0xce: case 0xcf: {
            size_t n = (size_t)1 << (b - 0xcc);
            NEED(1 + n);
            h->cls = MP_UINT, h->header = 1 + n, h->value = proto__mp_be(p + 1, n);
            break;
        }
        case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
            size_t n = (size_t)1 << (b - 0xd0);
            NEED(1 + n);
            uint64_t raw = proto__mp_be(p + 1, n);
            int64_t v;
            switch (n) {
            case 1: v = (int8_t)raw; break;
            case 2: v = (int16_t)raw; break;
            case 4: v = (int32_t)raw; break;
            default: v = (int64_t)raw; break;
            }
            h->cls = MP_INT, h->header = 1 + n, h->value = (uint64_t)v;
            break;
        }
        case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
            h->cls = MP_EXT, h->count = 1 + ((size_t)1 << (b - 0xd4));
            break;
        case 0xd9: case 0xda: case 0xdb: {
            size_t n = (size_t)1 << (b - 0xd9);
            NEED(1 + n);
            h->cls = MP_STR, h->header = 1 + n, h->count = proto__mp_be(p + 1, n);
            break;
        }
        case 0xdc: case 0xdd: {
            size_t n = b == 0xdc ? 2 : 4;
            NEED(1 + n);
            h->cls = MP_ARRAY, h->header = 1 + n, h->count = proto__mp_be(p + 1, n);
            break;
        }
        case 0xde: case 0xdf: {
            size_t n = b == 0xde ? 2 : 4;
            NEED(1 + n);
            h->cls = MP_MAP, h->header = 1 + n, h->count = proto__mp_be(p + 1, n);
            break;
        }
        default: /* 0xc1 is reserved: never valid */
            return -PROTO_ERR_MSG_INVALID;
        }
    }
#undef NEED
    /* Payload bytes of scalars and byte strings must be present; containers are checked by the
     * walker, which refuses counts larger than the bytes left (each element is at least 1 byte). */
    uint64_t left = avail - h->header;
    if (h->cls == MP_STR || h->cls == MP_BIN || h->cls == MP_EXT || h->cls == MP_FLOAT32 || h->cls == MP_FLOAT64) {
        if (h->count > left)
            return -PROTO_ERR_MSG_TRUNCATED;
    } else if (h->cls == MP_ARRAY) {
        if (h->count > left)
            return -PROTO_ERR_MSG_BAD_COUNT;
    } else if (h->cls == MP_MAP) {
        if (h->count > left / 2)
            return -PROTO_ERR_MSG_BAD_COUNT;
    }
    return 0;
}

/* Walks one value; iterative over siblings, recursive over depth (bounded by PROTO_MP_MAX_DEPTH). */
static int proto__mp_walk(const uint8_t **pp, const uint8_t *end, int depth, bool check_utf8)
{
    proto_mp_head_t h;
    int rc = proto__mp_head(*pp, end, &h);
    if (rc != 0)
        return rc;
    const uint8_t *payload = *pp + h.header;
    switch (h.cls) {
    case MP_STR:
        if (check_utf8 && !proto_utf8_valid(payload, h.count))
            return -PROTO_ERR_MSG_BAD_UTF8;
        /* fallthrough */
    case MP_BIN:
    case MP_EXT:
    case MP_FLOAT32:
    case MP_FLOAT64:
        *pp = payload + h.count;
        return 0;
    case MP_ARRAY:
    case MP_MAP: {
        if (depth >= PROTO_MP_MAX_DEPTH)
            return -PROTO_ERR_MSG_TOO_DEEP;
        uint64_t n = h.cls == MP_MAP ? h.count * 2 : h.count;
        *pp = payload;
        for (uint64_t i = 0; i < n; i++)
            if ((rc = proto__mp_walk(pp, end, depth + 1, check_utf8)) != 0)
                return rc;
        return 0;
    }
    default:
        *pp = payload;
        return 0;
    }
}

int proto_mp_validate(const void *data, size_t len)
{
    const uint8_t *p = data, *end = p + len;
    int rc = proto__mp_walk(&p, end, 0, true);
    if (rc != 0)
        return rc;
    return p == end ? 0 : -PROTO_ERR_MSG_TRAILING;
}

int proto_mp_skip(proto_mp_t *mp)
{
    const uint8_t *p = mp->p;
    int rc = proto__mp_walk(&p, mp->end, 0, false);
    if (rc == 0)
        mp->p = p;
    return rc;
}

static int proto__mp_expect(proto_mp_t *mp, proto_mp_class_t cls, proto_mp_head_t *h)
{
    int rc = proto__mp_head(mp->p, mp->end, h);
    if (rc != 0)
        return rc;
    return h->cls == cls ? 0 : -PROTO_ERR_MSG_BAD_TYPE;
}

static int proto__mp_container(proto_mp_t *mp, proto_mp_class_t cls, uint32_t *count)
{
    proto_mp_head_t h;
    int rc = proto__mp_expect(mp, cls, &h);
    if (rc != 0)
        return rc;
    if (h.count > UINT32_MAX)
        return -PROTO_ERR_MSG_BAD_COUNT;
    *count = (uint32_t)h.count;
    mp->p += h.header;
    return 0;
}

int proto_mp_read_map(proto_mp_t *mp, uint32_t *count)
{
    return proto__mp_container(mp, MP_MAP, count);
}

int proto_mp_read_array(proto_mp_t *mp, uint32_t *count)
{
    return proto__mp_container(mp, MP_ARRAY, count);
}

static int proto__mp_bytes(proto_mp_t *mp, proto_mp_head_t *h, proto_str_t *out)
{
    out->ptr = (const char *)mp->p + h->header;
    out->len = (size_t)h->count;
    mp->p += h->header + h->count;
    return 0;
}

int proto_mp_read_str(proto_mp_t *mp, proto_str_t *out)
{
    proto_mp_head_t h;
    int rc = proto__mp_expect(mp, MP_STR, &h);
    if (rc != 0)
        return rc;
    if (!proto_utf8_valid(mp->p + h.header, h.count))
        return -PROTO_ERR_MSG_BAD_UTF8;
    return proto__mp_bytes(mp, &h, out);
}

int proto_mp_read_bin(proto_mp_t *mp, proto_str_t *out)
{
    proto_mp_head_t h;
    int rc = proto__mp_head(mp->p, mp->end, &h);
    if (rc != 0)
        return rc;
    if (h.cls != MP_BIN && h.cls != MP_STR)
        return -PROTO_ERR_MSG_BAD_TYPE;
    return proto__mp_bytes(mp, &h, out);
}

int proto_mp_read_uint(proto_mp_t *mp, uint64_t *out)
{
    proto_mp_head_t h;
    int rc = proto__mp_head(mp->p, mp->end, &h);
    if (rc != 0)
        return rc;
    if (h.cls == MP_INT && (int64_t)h.value >= 0)
        h.cls = MP_UINT;
    if (h.cls != MP_UINT)
        return -PROTO_ERR_MSG_BAD_TYPE;
    *out = h.value;
    mp->p += h.header;
    return 0;
}

int proto_mp_read_int(proto_mp_t *mp, int64_t *out)
{
    proto_mp_head_t h;
    int rc = proto__mp_head(mp->p, mp->end, &h);
    if (rc != 0)
        return rc;
    if (h.cls == MP_UINT && h.value > INT64_MAX)
        return -PROTO_ERR_MSG_BAD_TYPE;
    if (h.cls != MP_UINT && h.cls != MP_INT)
        return -PROTO_ERR_MSG_BAD_TYPE;
    *out = (int64_t)h.value;
    mp->p += h.header;
    return 0;
}

int proto_mp_read_double(proto_mp_t *mp, double *out)
{
    proto_mp_head_t h;
    int rc = proto__mp_head(mp->p, mp->end, &h);
    if (rc != 0)
        return rc;
    const uint8_t *payload = mp->p + h.header;
    switch (h.cls) {
    case MP_FLOAT32: {
        uint32_t bits = (uint32_t)proto__mp_be(payload, 4);
        float f;
        memcpy(&f, &bits, sizeof f);
        *out = f;
        break;
    }
    case MP_FLOAT64: {
        uint64_t bits = proto__mp_be(payload, 8);
        memcpy(out, &bits, sizeof *out);
        break;
    }
    case MP_UINT: *out = (double)h.value; break;
    case MP_INT: *out = (double)(int64_t)h.value; break;
    default: return -PROTO_ERR_MSG_BAD_TYPE;
    }
    mp->p += h.header + h.count;
    return 0;
}

int proto_mp_read_bool(proto_mp_t *mp, bool *out)
{
    proto_mp_head_t h;
    int rc = proto__mp_expect(mp, MP_BOOL, &h);
    if (rc != 0)
        return rc;
    *out = h.value != 0;
    mp->p += h.header;
    return 0;
}

bool proto_mp_read_nil(proto_mp_t *mp)
{
    if (mp->p < mp->end && *mp->p == 0xc0) {
        mp->p++;
        return true;
    }
    return false;
}
