#include "proto/errors.h"

#include <pthread.h>
#include <stdio.h>

typedef struct st_proto_err_row_t {
    const char *name;
    int status;
    const char *code;
    const char *detail;
} proto_err_row_t;

static const proto_err_row_t proto__err_rows[PROTO_ERR_COUNT_] = {
    [PROTO_OK] = {"OK", 200, NULL, "OK"},
#define PROTO_ERR_ROW_(name_, status_, code_, detail_) [PROTO_ERR_##name_] = {#name_, status_, code_, detail_},
    PROTO_ERRORS(PROTO_ERR_ROW_)
#undef PROTO_ERR_ROW_
};

/* Bodies are rendered once so that sending an error never allocates. Details are plain ASCII
 * without quotes or backslashes (checked by the unit test), so no JSON escaping is needed. */
static char proto__err_bodies[PROTO_ERR_COUNT_][192];
static size_t proto__err_body_lens[PROTO_ERR_COUNT_];
static pthread_once_t proto__err_once = PTHREAD_ONCE_INIT;

static void proto__err_render(void)
{
    for (int i = 0; i < PROTO_ERR_COUNT_; i++) {
        const proto_err_row_t *row = &proto__err_rows[i];
        int n = row->code == NULL
                    ? snprintf(proto__err_bodies[i], sizeof proto__err_bodies[i], "{\"detail\":\"%s\"}", row->detail)
                    : snprintf(proto__err_bodies[i], sizeof proto__err_bodies[i], "{\"detail\":\"%s\",\"code\":\"%s\"}",
                               row->detail, row->code);
        proto__err_body_lens[i] = (size_t)n < sizeof proto__err_bodies[i] ? (size_t)n : sizeof proto__err_bodies[i] - 1;
    }
}

static int proto__err_index(int err)
{
    if (err < 0)
        err = -err;
    return err > 0 && err < PROTO_ERR_COUNT_ ? err : PROTO_ERR_INTERNAL;
}

int proto_err_status(int err)
{
    return proto__err_rows[proto__err_index(err)].status;
}

const char *proto_err_name(int err)
{
    return proto__err_rows[proto__err_index(err)].name;
}

const char *proto_err_detail(int err)
{
    return proto__err_rows[proto__err_index(err)].detail;
}

const char *proto_err_body(int err, size_t *len)
{
    pthread_once(&proto__err_once, proto__err_render);
    int i = proto__err_index(err);
    if (len != NULL)
        *len = proto__err_body_lens[i];
    return proto__err_bodies[i];
}
