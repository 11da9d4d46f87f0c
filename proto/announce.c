#include "proto/announce.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"

static int proto__ann_kv(msgpack_packer *pk, const char *key, proto_str_t s, bool bin)
{
    size_t n = strlen(key);
    int rc = msgpack_pack_str(pk, n) | msgpack_pack_str_body(pk, key, n);
    if (bin)
        return rc | msgpack_pack_bin(pk, s.len) | (s.len != 0 ? msgpack_pack_bin_body(pk, s.ptr, s.len) : 0);
    return rc | msgpack_pack_str(pk, s.len) | (s.len != 0 ? msgpack_pack_str_body(pk, s.ptr, s.len) : 0);
}

int proto_announce_encode(const proto_announce_t *a, proto_buf_t *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, proto_buf_append);
    int rc = msgpack_pack_map(&pk, a->stopping ? 7 : 6);
    rc |= msgpack_pack_str(&pk, 1) | msgpack_pack_str_body(&pk, "v", 1) | msgpack_pack_uint32(&pk, PROTO_VERSION);
    rc |= proto__ann_kv(&pk, "svc", a->service, false) | proto__ann_kv(&pk, "ver", a->version, false) |
          proto__ann_kv(&pk, "inst", a->instance, false);
    rc |= msgpack_pack_str(&pk, 2) | msgpack_pack_str_body(&pk, "st", 2) | msgpack_pack_uint64(&pk, a->started_us);
    if (a->stopping)
        rc |= msgpack_pack_str(&pk, 3) | msgpack_pack_str_body(&pk, "bye", 3) | msgpack_pack_true(&pk);
    rc |= proto__ann_kv(&pk, "f", a->fragment, true);
    return rc != 0 ? -PROTO_ERR_NO_MEMORY : 0;
}

static int proto__ann_field(proto_mp_t *mp, proto_str_t key, proto_announce_t *a, uint64_t *version)
{
    if (PROTO_STR_EQ(key, "v"))
        return proto_mp_read_uint(mp, version);
    if (PROTO_STR_EQ(key, "svc"))
        return proto_mp_read_str(mp, &a->service);
    if (PROTO_STR_EQ(key, "ver"))
        return proto_mp_read_str(mp, &a->version);
    if (PROTO_STR_EQ(key, "inst"))
        return proto_mp_read_str(mp, &a->instance);
    if (PROTO_STR_EQ(key, "st"))
        return proto_mp_read_uint(mp, &a->started_us);
    if (PROTO_STR_EQ(key, "bye"))
        return proto_mp_read_bool(mp, &a->stopping);
    if (PROTO_STR_EQ(key, "f"))
        return proto_mp_read_bin(mp, &a->fragment);
    return proto_mp_skip(mp);
}

/* Names end up in logs and as lookup keys kept as C strings: a newline would forge a log line,
 * a NUL would make each push of the same instance look new. */
static bool proto__ann_name_ok(proto_str_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.ptr[i] < 0x20 || s.ptr[i] == 0x7f)
            return false;
    return true;
}

int proto_announce_decode(const void *data, size_t len, size_t max_len, proto_announce_t *a)
{
    memset(a, 0, sizeof *a);
    if (len > max_len)
        return -PROTO_ERR_MSG_TOO_LARGE;
    int rc = proto_mp_validate(data, len);
    if (rc != 0)
        return rc;
    proto_mp_t mp;
    uint32_t n;
    uint64_t version = 0;
    proto_mp_init(&mp, data, len);
    if ((rc = proto_mp_read_map(&mp, &n)) != 0)
        return rc;
    for (uint32_t i = 0; i < n; i++) {
        proto_str_t key;
        if ((rc = proto_mp_read_str(&mp, &key)) != 0 || (rc = proto__ann_field(&mp, key, a, &version)) != 0)
            return version != 0 && version != PROTO_VERSION ? -PROTO_ERR_MSG_VERSION : rc;
    }
    if (version != PROTO_VERSION)
        return version == 0 ? -PROTO_ERR_MSG_MISSING : -PROTO_ERR_MSG_VERSION;
    if (a->service.len == 0 || a->instance.len == 0 || (!a->stopping && a->fragment.len == 0))
        return -PROTO_ERR_MSG_MISSING;
    if (!proto__ann_name_ok(a->service) || !proto__ann_name_ok(a->instance) || !proto__ann_name_ok(a->version))
        return -PROTO_ERR_MSG_BAD_NAME;
    return 0;
}
