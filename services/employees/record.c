#include "services/employees/record.h"

#include <string.h>

#include "proto/errors.h"
#include "proto/mp.h"

const char *const emp_dept_values[EMP_DEPT_COUNT] = {
#define EMP_DEPT_VALUE_(name, value, label) [EMP_DEPT_##name] = value,
    EMP_DEPARTMENTS(EMP_DEPT_VALUE_)
#undef EMP_DEPT_VALUE_
};

const char *const emp_dept_labels[EMP_DEPT_COUNT] = {
#define EMP_DEPT_LABEL_(name, value, label) [EMP_DEPT_##name] = label,
    EMP_DEPARTMENTS(EMP_DEPT_LABEL_)
#undef EMP_DEPT_LABEL_
};

/* Elements in the stored array of each format version; a version only ever adds to the one
 * before, so the array of the newest known version is a prefix of any newer one. */
static const uint32_t emp_record_length[EMP_RECORD_VERSION + 1] = {
    [1] = 7,
    [2] = 7, /* only the meaning changed: see record.h */
};

int emp_dept_parse(const char *s, size_t len)
{
    for (int i = 0; i < EMP_DEPT_COUNT; i++)
        if (strlen(emp_dept_values[i]) == len && memcmp(emp_dept_values[i], s, len) == 0)
            return i;
    return -1;
}

int emp_record_set_name(emp_record_t *rec, const char *name, size_t len)
{
    if (len > EMP_NAME_MAX_BYTES || memchr(name, '\0', len) != NULL)
        return -PROTO_ERR_BAD_REQUEST;
    memcpy(rec->name, name, len);
    rec->name[len] = '\0';
    return 0;
}

int emp_record_encode(const emp_record_t *rec, msgpack_sbuffer *out)
{
    msgpack_packer pk;
    size_t name_len = strlen(rec->name);
    const char *dept = emp_dept_values[rec->department];

    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    if (msgpack_pack_array(&pk, emp_record_length[EMP_RECORD_VERSION]) != 0 ||
        msgpack_pack_uint32(&pk, EMP_RECORD_VERSION) != 0 || msgpack_pack_uint64(&pk, rec->user) != 0 ||
        msgpack_pack_str_with_body(&pk, rec->name, name_len) != 0 ||
        msgpack_pack_str_with_body(&pk, dept, strlen(dept)) != 0 || msgpack_pack_uint32(&pk, rec->salary) != 0 ||
        msgpack_pack_int64(&pk, rec->created_us) != 0 || msgpack_pack_int64(&pk, rec->updated_us) != 0)
        return -PROTO_ERR_NO_MEMORY;
    return 0;
}

int emp_record_decode(const void *data, size_t len, emp_record_t *rec)
{
    proto_mp_t mp;
    uint32_t count;
    uint64_t version, user, salary;
    int64_t created, updated;
    proto_str_t name, dept;
    int d;

    proto_mp_init(&mp, data, len);
    if (proto_mp_read_array(&mp, &count) != 0 || count < 1 || proto_mp_read_uint(&mp, &version) != 0 || version == 0 ||
        version > UINT32_MAX)
        return -PROTO_ERR_STORAGE;
    if (count < emp_record_length[version < EMP_RECORD_VERSION ? version : EMP_RECORD_VERSION])
        return -PROTO_ERR_STORAGE;
    /* The elements of versions 1 and 2. When a version appends one, read it only if count says
     * it is there and give it its default otherwise. */
    if (proto_mp_read_uint(&mp, &user) != 0 || proto_mp_read_str(&mp, &name) != 0 ||
        proto_mp_read_str(&mp, &dept) != 0 || proto_mp_read_uint(&mp, &salary) != 0 || salary > INT32_MAX ||
        proto_mp_read_int(&mp, &created) != 0 || proto_mp_read_int(&mp, &updated) != 0)
        return -PROTO_ERR_STORAGE;
    for (uint32_t i = emp_record_length[EMP_RECORD_VERSION]; i < count; i++)
        if (proto_mp_skip(&mp) != 0)
            return -PROTO_ERR_STORAGE;
    if (!proto_mp_done(&mp) || (d = emp_dept_parse(dept.ptr, dept.len)) < 0 ||
        emp_record_set_name(rec, name.ptr, name.len) != 0)
        return -PROTO_ERR_STORAGE;

    rec->user = user;
    rec->department = (emp_dept_t)d;
    rec->salary = (uint32_t)salary;
    rec->created_us = created;
    rec->updated_us = updated;
    rec->version = (uint32_t)version;
    rec->newer = version > EMP_RECORD_VERSION;
    return 0;
}
