/*
 * libFuzzer target for the bus envelope decoder: every byte a service or gateway receives is
 * hostile. Built only with -DAPIBUS_FUZZ=ON and clang (make fuzz). A decoded message is
 * re-encoded and decoded again: the round trip must succeed and agree.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    proto_msg_t msg, again;
    if (proto_decode(data, size, 1u << 20, &msg) != 0)
        return 0;
    proto_buf_t buf = {0};
    if (proto_encode(&msg, &buf) != 0)
        abort();
    if (proto_decode(buf.data, buf.size, 1u << 20, &again) != 0)
        abort();
    if (again.kind != msg.kind || again.job_id != msg.job_id || again.req.path.len != msg.req.path.len ||
        again.reply.status != msg.reply.status || again.req.principal.user_id != msg.req.principal.user_id)
        abort();
    proto_buf_dispose(&buf);
    return 0;
}
