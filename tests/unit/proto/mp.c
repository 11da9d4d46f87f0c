/* tests proto/mp.c: the cursor reader used for envelopes and stored records */
#include <criterion/criterion.h>
#include <msgpack.h>
#include <string.h>

#include "proto/errors.h"
#include "proto/mp.h"

Test(mp, reads_every_scalar_type)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 7);
    msgpack_pack_uint64(&pk, UINT64_MAX);
    msgpack_pack_int64(&pk, INT64_MIN);
    msgpack_pack_int8(&pk, -3);
    msgpack_pack_double(&pk, 2.5);
    msgpack_pack_float(&pk, 0.25f);
    msgpack_pack_true(&pk);
    msgpack_pack_nil(&pk);

    cr_assert_eq(proto_mp_validate(sb.data, sb.size), 0);
    proto_mp_t mp;
    proto_mp_init(&mp, sb.data, sb.size);
    uint32_t n;
    uint64_t u;
    int64_t i;
    double d;
    bool b;
    cr_assert_eq(proto_mp_read_array(&mp, &n), 0);
    cr_assert_eq(n, 7);
    cr_assert_eq(proto_mp_read_uint(&mp, &u), 0);
    cr_assert_eq(u, UINT64_MAX);
    cr_assert_eq(proto_mp_read_int(&mp, &i), 0);
    cr_assert_eq(i, INT64_MIN);
    cr_assert_eq(proto_mp_read_uint(&mp, &u), -PROTO_ERR_MSG_BAD_TYPE, "negative is not a uint");
    cr_assert_eq(proto_mp_read_int(&mp, &i), 0);
    cr_assert_eq(i, -3);
    cr_assert_eq(proto_mp_read_double(&mp, &d), 0);
    cr_assert_eq(d, 2.5);
    cr_assert_eq(proto_mp_read_double(&mp, &d), 0);
    cr_assert_eq(d, 0.25);
    cr_assert_eq(proto_mp_read_bool(&mp, &b), 0);
    cr_assert(b);
    cr_assert(proto_mp_read_nil(&mp));
    cr_assert(proto_mp_done(&mp));
    msgpack_sbuffer_destroy(&sb);
}

Test(mp, skip_passes_over_nested_values)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str(&pk, 1), msgpack_pack_str_body(&pk, "a", 1);
    msgpack_pack_array(&pk, 3), msgpack_pack_nil(&pk), msgpack_pack_nil(&pk), msgpack_pack_ext(&pk, 2, 5),
        msgpack_pack_ext_body(&pk, "xy", 2);
    msgpack_pack_str(&pk, 1), msgpack_pack_str_body(&pk, "b", 1);
    msgpack_pack_bin(&pk, 300);
    char zeros[300] = {0};
    msgpack_pack_bin_body(&pk, zeros, sizeof zeros);
    msgpack_pack_uint8(&pk, 9);
    cr_assert_eq(proto_mp_validate(sb.data, sb.size), 0);
    proto_mp_t mp;
    proto_mp_init(&mp, sb.data, sb.size);
    uint32_t n;
    uint64_t u;
    cr_assert_eq(proto_mp_read_array(&mp, &n), 0);
    cr_assert_eq(proto_mp_skip(&mp), 0);
    cr_assert_eq(proto_mp_read_uint(&mp, &u), 0);
    cr_assert_eq(u, 9);
    cr_assert(proto_mp_done(&mp));
    msgpack_sbuffer_destroy(&sb);
}

Test(mp, failed_read_leaves_cursor_in_place)
{
    static const unsigned char msg[] = {0xa2, 'h', 'i'};
    proto_mp_t mp;
    proto_mp_init(&mp, msg, sizeof msg);
    uint64_t u;
    cr_assert_eq(proto_mp_read_uint(&mp, &u), -PROTO_ERR_MSG_BAD_TYPE);
    proto_str_t s;
    cr_assert_eq(proto_mp_read_str(&mp, &s), 0);
    cr_assert(PROTO_STR_EQ(s, "hi"));
}

Test(mp, empty_input_is_truncated)
{
    cr_assert_eq(proto_mp_validate("", 0), -PROTO_ERR_MSG_TRUNCATED);
}
