/* tests proto/bus.c: a worker's message handed to the transport arrives as written (inproc). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/bus.h"

static const char *endpoint = "inproc://proto-bus-test";

/* Receives one message on the board within about a second. */
static long board_recv(int board, void **msg, proto_bus_hdr_t *hdr)
{
    for (int i = 0; i < 1000; i++) {
        long n = proto_bus_board_recv(board, msg, hdr);
        if (n >= 0 || errno != EAGAIN)
            return n;
        usleep(1000);
    }
    return -1;
}

Test(bus, a_handed_over_message_arrives_as_written)
{
    int board = proto_bus_board_bind(endpoint, 1 << 20), worker = proto_bus_worker_connect(endpoint, 1 << 20);
    cr_assert_geq(board, 0);
    cr_assert_geq(worker, 0);
    /* a copied send, then handed-over ones of several sizes, on one REQ, answered in turn */
    static const size_t sizes[] = {1, 100, 16643, 300000};
    for (size_t i = 0; i <= sizeof sizes / sizeof sizes[0]; i++) {
        size_t len = i == 0 ? 5 : sizes[i - 1];
        char *expect = malloc(len);
        for (size_t j = 0; j < len; j++)
            expect[j] = (char)(j * 13 + i);
        if (i == 0) {
            cr_assert_eq(proto_bus_worker_send(worker, expect, len), 0);
        } else {
            char *msg = proto_bus_msg_alloc(len);
            cr_assert_not_null(msg);
            memcpy(msg, expect, len);
            cr_assert_eq(proto_bus_worker_send_msg(worker, msg), 0);
        }
        void *got = NULL;
        proto_bus_hdr_t hdr;
        long n = board_recv(board, &got, &hdr);
        cr_assert_eq(n, (long)len, "message %zu: %ld bytes, want %zu", i, n, len);
        cr_assert(memcmp(got, expect, len) == 0, "message %zu differs", i);
        proto_bus_free(got);
        /* the REQ wants an answer before its next request */
        cr_assert_eq(proto_bus_board_send(board, &hdr, "ok", 2), 0);
        void *reply = NULL;
        cr_assert_eq(proto_bus_worker_recv(worker, &reply, 1000), 2);
        proto_bus_free(reply);
        free(expect);
    }
    proto_bus_close(worker);
    proto_bus_close(board);
}

Test(bus, a_failed_send_still_takes_the_message)
{
    int worker = proto_bus_worker_connect(endpoint, 1 << 20);
    cr_assert_geq(worker, 0);
    proto_bus_close(worker);
    void *msg = proto_bus_msg_alloc(64);
    cr_assert_not_null(msg);
    memset(msg, 0, 64);
    /* a closed socket: the message is freed here, not leaked (LeakSanitizer would say so) */
    cr_assert_eq(proto_bus_worker_send_msg(worker, msg), -1);
    cr_assert_eq(errno, EBADF);
    proto_bus_free(proto_bus_msg_alloc(16)); /* one never sent */
}
