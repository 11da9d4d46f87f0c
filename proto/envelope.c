#include "proto/envelope.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "proto/errors.h"

/* ---- encoding (msgpack-c's packer writing into a proto_buf_t) ------------------------------ */

void proto_buf_dispose(proto_buf_t *buf)
{
    if (buf == NULL)
        return;
    free(buf->data);
    buf->data = NULL;
    buf->size = buf->capacity = 0;
}

int proto_buf_append(void *data, const char *bytes, size_t len)
{
    proto_buf_t *buf = data;
    if (buf->capacity - buf->size < len) {
        size_t cap = buf->capacity ? buf->capacity : 256;
        while (cap - buf->size < len) {
            if (cap > SIZE_MAX / 2)
                return -1;
            cap *= 2;
        }
        char *grown = realloc(buf->data, cap);
        if (grown == NULL)
            return -1;
        buf->data = grown;
        buf->capacity = cap;
    }
    memcpy(buf->data + buf->size, bytes, len);
    buf->size += len;
    return 0;
}

/* The packer's calls return non-zero on a failed write; they are OR-ed so one check suffices. */
static int proto__pack_key(msgpack_packer *pk, const char *key)
{
    size_t n = strlen(key);
    return msgpack_pack_str(pk, n) | msgpack_pack_str_body(pk, key, n);
}

static int proto__pack_str(msgpack_packer *pk, proto_str_t s)
{
    return msgpack_pack_str(pk, s.len) | (s.len ? msgpack_pack_str_body(pk, s.ptr, s.len) : 0);
}

static int proto__pack_kv_str(msgpack_packer *pk, const char *key, proto_str_t s)
{
    return proto__pack_key(pk, key) | proto__pack_str(pk, s);
}

static int proto__pack_headers(msgpack_packer *pk, const proto_header_t *h, size_t n)
{
    int rc = proto__pack_key(pk, "h") | msgpack_pack_map(pk, n);
    for (size_t i = 0; i < n; i++)
        rc |= proto__pack_str(pk, h[i].name) | proto__pack_str(pk, h[i].value);
    return rc;
}

static int proto__pack_body(msgpack_packer *pk, proto_str_t body)
{
    return proto__pack_key(pk, "b") | msgpack_pack_bin(pk, body.len) |
           (body.len ? msgpack_pack_bin_body(pk, body.ptr, body.len) : 0);
}

static int proto__pack_principal(msgpack_packer *pk, const proto_principal_t *pr)
{
    size_t kp_len = strnlen(pr->key_prefix, sizeof pr->key_prefix);
    int rc = proto__pack_key(pk, "pr") | msgpack_pack_map(pk, 6);
    rc |= proto__pack_key(pk, "uid") | msgpack_pack_uint64(pk, pr->user_id);
    rc |= proto__pack_key(pk, "cred") | msgpack_pack_uint32(pk, (uint32_t)pr->cred);
    rc |= proto__pack_key(pk, "staff") | (pr->is_staff ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
    rc |= proto__pack_key(pk, "scope") | msgpack_pack_uint32(pk, pr->scope);
    rc |= proto__pack_kv_str(pk, "kp", (proto_str_t){pr->key_prefix, kp_len});
    rc |= proto__pack_key(pk, "ae") | msgpack_pack_uint32(pk, (uint32_t)(pr->auth_error < 0 ? -pr->auth_error : pr->auth_error));
    return rc;
}

static int proto__pack_request(msgpack_packer *pk, const proto_request_t *r)
{
    int rc = proto__pack_kv_str(pk, "id", r->id);
    rc |= proto__pack_kv_str(pk, "op", r->op);
    rc |= proto__pack_key(pk, "t") | msgpack_pack_uint32(pk, r->budget_ms);
    rc |= proto__pack_kv_str(pk, "m", r->method) | proto__pack_kv_str(pk, "p", r->path);
    rc |= proto__pack_kv_str(pk, "q", r->query);
    rc |= proto__pack_headers(pk, r->headers, r->num_headers);
    rc |= proto__pack_kv_str(pk, "ip", r->client) | proto__pack_kv_str(pk, "base", r->base_url);
    rc |= proto__pack_principal(pk, &r->principal);
    rc |= proto__pack_body(pk, r->body);
    return rc;
}

#define PROTO_REQUEST_KEYS 11
#define PROTO_REPLY_KEYS 3

/* The one encoder; write is where the bytes go (a growing buffer, a fixed one, or a counter). */
static int proto__encode(const proto_msg_t *msg, void *data, msgpack_packer_write write)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, data, write);
    size_t keys = 3 + (msg->kind == PROTO_KIND_JOB ? PROTO_REQUEST_KEYS : 0) +
                  (msg->kind == PROTO_KIND_RESULT ? PROTO_REPLY_KEYS : 0);
    if (msg->req.num_headers > PROTO_MAX_HEADERS || msg->reply.num_headers > PROTO_MAX_HEADERS)
        return -PROTO_ERR_INTERNAL;
    int rc = msgpack_pack_map(&pk, keys);
    rc |= proto__pack_key(&pk, "v") | msgpack_pack_uint32(&pk, PROTO_VERSION);
    rc |= proto__pack_key(&pk, "k") | msgpack_pack_uint32(&pk, (uint32_t)msg->kind);
    rc |= proto__pack_key(&pk, "j") | msgpack_pack_uint64(&pk, msg->job_id);
    if (msg->kind == PROTO_KIND_JOB)
        rc |= proto__pack_request(&pk, &msg->req);
    if (msg->kind == PROTO_KIND_RESULT) {
        rc |= proto__pack_key(&pk, "s") | msgpack_pack_uint16(&pk, msg->reply.status);
        rc |= proto__pack_headers(&pk, msg->reply.headers, msg->reply.num_headers);
        rc |= proto__pack_body(&pk, msg->reply.body);
    }
    return rc != 0 ? -PROTO_ERR_NO_MEMORY : 0;
}

int proto_encode(const proto_msg_t *msg, proto_buf_t *out)
{
    size_t before = out->size;
    int rc = proto__encode(msg, out, proto_buf_append);
    if (rc != 0)
        out->size = before;
    return rc;
}

static int proto__count(void *data, const char *bytes, size_t len)
{
    (void)bytes;
    *(size_t *)data += len;
    return 0;
}

int proto_encoded_len(const proto_msg_t *msg, size_t *len)
{
    *len = 0;
    return proto__encode(msg, len, proto__count);
}

/* proto_buf_append without growing: the buffer is not ours to reallocate. */
static int proto__append_fixed(void *data, const char *bytes, size_t len)
{
    proto_buf_t *buf = data;
    if (buf->capacity - buf->size < len)
        return -1;
    memcpy(buf->data + buf->size, bytes, len);
    buf->size += len;
    return 0;
}

int proto_encode_into(const proto_msg_t *msg, void *dst, size_t cap, size_t *len)
{
    proto_buf_t fixed = {.data = dst, .capacity = cap};
    int rc = proto__encode(msg, &fixed, proto__append_fixed);
    *len = rc == 0 ? fixed.size : 0;
    return rc;
}

/* ---- decoding (the bounds-checked cursor; never allocates) --------------------------------- */

static int proto__read_headers(proto_mp_t *mp, proto_header_t *out, size_t *num)
{
    uint32_t n;
    int rc = proto_mp_read_map(mp, &n);
    if (rc != 0)
        return rc;
    if (n > PROTO_MAX_HEADERS)
        return -PROTO_ERR_MSG_BAD_COUNT;
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = proto_mp_read_str(mp, &out[i].name)) != 0 || (rc = proto_mp_read_str(mp, &out[i].value)) != 0)
            return rc;
    }
    *num = n;
    return 0;
}

static int proto__read_u32(proto_mp_t *mp, uint32_t *out)
{
    uint64_t v;
    int rc = proto_mp_read_uint(mp, &v);
    if (rc != 0)
        return rc;
    if (v > UINT32_MAX)
        return -PROTO_ERR_MSG_BAD_TYPE;
    *out = (uint32_t)v;
    return 0;
}

static int proto__read_principal(proto_mp_t *mp, proto_principal_t *pr)
{
    uint32_t n, v = 0;
    int rc = proto_mp_read_map(mp, &n);
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        proto_str_t key, kp;
        if ((rc = proto_mp_read_str(mp, &key)) != 0)
            break;
        if (PROTO_STR_EQ(key, "uid")) {
            rc = proto_mp_read_uint(mp, &pr->user_id);
        } else if (PROTO_STR_EQ(key, "cred")) {
            if ((rc = proto__read_u32(mp, &v)) == 0 && v > PROTO_CRED_SYSTEM)
                rc = -PROTO_ERR_MSG_BAD_TYPE;
            pr->cred = (proto_cred_t)v;
        } else if (PROTO_STR_EQ(key, "staff")) {
            rc = proto_mp_read_bool(mp, &pr->is_staff);
        } else if (PROTO_STR_EQ(key, "scope")) {
            rc = proto__read_u32(mp, &pr->scope);
        } else if (PROTO_STR_EQ(key, "kp")) {
            if ((rc = proto_mp_read_str(mp, &kp)) == 0 && kp.len > PROTO_KEY_PREFIX_LEN)
                rc = -PROTO_ERR_MSG_BAD_TYPE;
            if (rc == 0) {
                memcpy(pr->key_prefix, kp.ptr, kp.len);
                pr->key_prefix[kp.len] = '\0';
            }
        } else if (PROTO_STR_EQ(key, "ae")) {
            if ((rc = proto__read_u32(mp, &v)) == 0 && v >= PROTO_ERR_COUNT_)
                rc = -PROTO_ERR_MSG_BAD_TYPE;
            pr->auth_error = (int)v;
        } else {
            rc = proto_mp_skip(mp);
        }
    }
    return rc;
}

/* One key of the top-level map. Keys of the other kind are read too (and ignored by the
 * caller): a message is valid or not whatever its kind. */
static int proto__read_field(proto_mp_t *mp, proto_str_t key, proto_msg_t *m, unsigned *seen)
{
    proto_request_t *r = &m->req;
    uint32_t v = 0;
    int rc;
#define IS(k) PROTO_STR_EQ(key, k)
    if (IS("v")) {
        *seen |= 1;
        return proto__read_u32(mp, &m->version);
    }
    if (IS("k")) {
        *seen |= 2;
        if ((rc = proto__read_u32(mp, &v)) != 0)
            return rc;
        if (v < PROTO_KIND_READY || v > PROTO_KIND_PING)
            return -PROTO_ERR_MSG_BAD_TYPE;
        m->kind = (proto_kind_t)v;
        return 0;
    }
    if (IS("j"))
        return proto_mp_read_uint(mp, &m->job_id);
    if (IS("id"))
        return proto_mp_read_str(mp, &r->id);
    if (IS("op"))
        return proto_mp_read_str(mp, &r->op);
    if (IS("t"))
        return proto__read_u32(mp, &r->budget_ms);
    if (IS("m"))
        return proto_mp_read_str(mp, &r->method);
    if (IS("p"))
        return proto_mp_read_str(mp, &r->path);
    if (IS("q"))
        return proto_mp_read_str(mp, &r->query);
    if (IS("ip"))
        return proto_mp_read_str(mp, &r->client);
    if (IS("base"))
        return proto_mp_read_str(mp, &r->base_url);
    if (IS("pr"))
        return proto__read_principal(mp, &r->principal);
    if (IS("s")) {
        if ((rc = proto__read_u32(mp, &v)) != 0)
            return rc;
        if (v < 100 || v > 599)
            return -PROTO_ERR_MSG_BAD_TYPE;
        m->reply.status = (uint16_t)v;
        return 0;
    }
    /* "h" and "b" belong to the request in a job and to the reply in a result; the kind may come
     * after them, so both are filled and the caller clears the unused side. */
    if (IS("h")) {
        proto_mp_t copy = *mp;
        if ((rc = proto__read_headers(mp, r->headers, &r->num_headers)) != 0)
            return rc;
        return proto__read_headers(&copy, m->reply.headers, &m->reply.num_headers);
    }
    if (IS("b")) {
        if ((rc = proto_mp_read_bin(mp, &r->body)) != 0)
            return rc;
        m->reply.body = r->body;
        return 0;
    }
#undef IS
    return proto_mp_skip(mp);
}

int proto_decode(const void *data, size_t len, size_t max_len, proto_msg_t *m)
{
    memset(m, 0, sizeof *m);
    if (len > max_len)
        return -PROTO_ERR_MSG_TOO_LARGE;
    int rc = proto_mp_validate(data, len);
    if (rc != 0)
        return rc;
    proto_mp_t mp;
    proto_mp_init(&mp, data, len);
    uint32_t n;
    if ((rc = proto_mp_read_map(&mp, &n)) != 0)
        return rc;
    unsigned seen = 0;
    for (uint32_t i = 0; i < n; i++) {
        proto_str_t key;
        if ((rc = proto_mp_read_str(&mp, &key)) != 0)
            return rc;
        if ((rc = proto__read_field(&mp, key, m, &seen)) != 0)
            /* a message of another major version may legitimately differ in any field */
            return (seen & 1) && m->version != PROTO_VERSION ? -PROTO_ERR_MSG_VERSION : rc;
    }
    if ((seen & 1) == 0 || (seen & 2) == 0)
        return -PROTO_ERR_MSG_MISSING;
    if (m->version != PROTO_VERSION)
        return -PROTO_ERR_MSG_VERSION;
    if (m->kind == PROTO_KIND_JOB) {
        memset(&m->reply, 0, sizeof m->reply);
        if (m->req.method.len == 0 && m->req.op.len == 0)
            return -PROTO_ERR_MSG_MISSING;
    } else if (m->kind == PROTO_KIND_RESULT) {
        proto_reply_t reply = m->reply;
        memset(&m->req, 0, sizeof m->req);
        m->reply = reply;
        if (m->reply.status == 0)
            return -PROTO_ERR_MSG_MISSING;
    } else {
        memset(&m->req, 0, sizeof m->req);
        memset(&m->reply, 0, sizeof m->reply);
    }
    return 0;
}

proto_str_t proto_header_get(const proto_header_t *headers, size_t num, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < num; i++)
        if (proto_str_eq(headers[i].name, name, n))
            return headers[i].value;
    return (proto_str_t){"", 0};
}
