#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/bus.h"
#include "proto/events.h"
#include "proto/roles.h"
#include "services/runtime/internal.h"

/*
 * The publisher side of events. The log lives in the runtime's own database under
 * "ev/" + big-endian sequence number, so every instance of a service that shares the LMDB
 * environment numbers from one sequence, and a gateway can ask any of them "since N".
 * One service per process: the PUB sockets are process state.
 *
 * Every gateway gets every event at once: one PUB per gateway of APIBUS_BUS_HOST, each
 * connected to that gateway's SUB, and an event is sent on each. Without that a gateway would
 * learn of a change relayed by another only at its next resync (up to APIBUS_EVENTS_RESYNC_MS).
 * Separate sockets rather than one PUB connected to every gateway: the same delivery (nanomsg's
 * PUB drops per connection when one is not writable), and a failed send names its gateway.
 */

#define SVC__EV_PREFIX "ev/"
#define SVC__EV_PREFIX_LEN 3
#define SVC__EV_SEQUENCE "events"
#define SVC__EV_PAGE 500       /* events per resync reply; "more" says when to ask again */
#define SVC__EV_PRUNE_BATCH 16 /* old events dropped per append: the log never needs a sweep */

static struct {
    int socks[PROTO_MAX_GATEWAYS];
    char endpoints[PROTO_MAX_GATEWAYS][PROTO_ENDPOINT_MAX];
    size_t num;
    int64_t retain_us;
} svc__events;

static void svc__ev_key(uint8_t out[SVC__EV_PREFIX_LEN + 8], uint64_t seq)
{
    memcpy(out, SVC__EV_PREFIX, SVC__EV_PREFIX_LEN);
    for (int i = 7; i >= 0; i--, seq >>= 8)
        out[SVC__EV_PREFIX_LEN + i] = (uint8_t)seq;
}

int svc_events_open(svc_t *svc, int64_t retain_s)
{
    size_t n;
    svc__events.retain_us = retain_s * 1000000;
    svc__events.num = 0;
    if (proto_endpoints(PROTO_PORT_EVENTS, svc__events.endpoints, PROTO_MAX_GATEWAYS, &n) != 0)
        return -PROTO_ERR_UNAVAILABLE;
    for (size_t i = 0; i < n; i++) {
        if ((svc__events.socks[i] = proto_bus_pub_connect(svc__events.endpoints[i])) < 0) {
            svc_log("error", "events: cannot connect to %s: %s", svc__events.endpoints[i], strerror(errno));
            svc_events_close(svc);
            return -PROTO_ERR_UNAVAILABLE;
        }
        svc__events.num++;
    }
    return 0;
}

void svc_events_close(svc_t *svc)
{
    for (size_t i = 0; i < svc__events.num; i++)
        proto_bus_close(svc__events.socks[i]);
    svc__events.num = 0;
}

static void svc__ev_prune(svc_t *svc, MDB_txn *txn, int64_t now_us)
{
    MDB_cursor *cur;
    uint8_t first[SVC__EV_PREFIX_LEN + 8];
    svc__ev_key(first, 0);
    MDB_val k = {sizeof first, first}, v;
    if (svc__events.retain_us <= 0 || mdb_cursor_open(txn, svc->runtime_dbi, &cur) != 0)
        return;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (int n = 0; rc == 0 && n < SVC__EV_PRUNE_BATCH; n++) {
        if (k.mv_size != sizeof first || memcmp(k.mv_data, SVC__EV_PREFIX, SVC__EV_PREFIX_LEN) != 0)
            break;
        json_t *j = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        proto_event_t ev;
        bool old = j != NULL && proto_event_from_json(j, &ev) == 0 && ev.at_us < now_us - svc__events.retain_us;
        json_decref(j);
        if (!old || mdb_cursor_del(cur, 0) != 0)
            break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
        if (rc != 0)
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
}

int svc_event_append(svc_t *svc, MDB_txn *txn, proto_event_t *ev)
{
    int rc = svc_next_id(svc, txn, SVC__EV_SEQUENCE, &ev->seq);
    if (rc != 0)
        return rc;
    json_t *j = proto_event_to_json(svc->def->name, ev);
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (text == NULL)
        svc__oom();
    uint8_t kb[SVC__EV_PREFIX_LEN + 8];
    svc__ev_key(kb, ev->seq);
    MDB_val k = {sizeof kb, kb}, v = {strlen(text), text};
    rc = mdb_put(txn, svc->runtime_dbi, &k, &v, 0);
    free(text);
    if (rc != 0)
        return svc_storage_error(rc);
    svc__ev_prune(svc, txn, svc_now_us());
    return 0;
}

void svc_event_publish(svc_t *svc, const proto_event_t *ev)
{
    char *msg;
    size_t len;
    if (svc__events.num == 0)
        return;
    if (proto_event_encode(svc->def->name, ev, &msg, &len) != 0)
        svc__oom();
    for (size_t i = 0; i < svc__events.num; i++)
        if (proto_bus_pub_send(svc__events.socks[i], msg, len) != 0)
            svc_log("warn", "events: event %llu not sent to %s (%s); that gateway will resync",
                    (unsigned long long)ev->seq, svc__events.endpoints[i], strerror(errno));
    free(msg);
}

/* The sequence's current value: the newest event number, 0 before the first. */
static uint64_t svc__ev_head(svc_t *svc, MDB_txn *txn)
{
    char key[] = "seq/" SVC__EV_SEQUENCE;
    MDB_val k = {sizeof key - 1, key}, v;
    uint64_t head = 0;
    if (mdb_get(txn, svc->runtime_dbi, &k, &v) == 0 && v.mv_size == sizeof head)
        memcpy(&head, v.mv_data, sizeof head);
    return head;
}

void svc_events_handler(svc_ctx_t *ctx)
{
    svc_t *svc = svc_service(ctx);
    const char *since_s = svc_query(ctx, "since");
    uint64_t since = 0;
    if (since_s != NULL) {
        char *end;
        errno = 0;
        since = strtoull(since_s, &end, 10);
        if (errno != 0 || *end != '\0' || *since_s < '0' || *since_s > '9') {
            svc_reply_field_error(ctx, "since", "A valid integer is required.");
            return;
        }
    }
    MDB_txn *txn = svc_read_txn(ctx);
    MDB_cursor *cur;
    if (txn == NULL || mdb_cursor_open(txn, svc->runtime_dbi, &cur) != 0) {
        svc_reply_error(ctx, -PROTO_ERR_STORAGE);
        return;
    }
    json_t *events = json_array();
    uint8_t kb[SVC__EV_PREFIX_LEN + 8];
    svc__ev_key(kb, since + 1);
    MDB_val k = {sizeof kb, kb}, v;
    bool more = false;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != sizeof kb || memcmp(k.mv_data, SVC__EV_PREFIX, SVC__EV_PREFIX_LEN) != 0)
            break;
        if (json_array_size(events) == SVC__EV_PAGE) {
            more = true;
            break;
        }
        json_t *j = json_loadb(v.mv_data, v.mv_size, 0, NULL);
        if (j != NULL)
            json_array_append_new(events, j);
    }
    mdb_cursor_close(cur);
    svc_reply_json(ctx, 200,
                   json_pack("{s:s, s:I, s:o, s:b}", "publisher", svc->def->name, "head",
                             (json_int_t)svc__ev_head(svc, txn), "events", events, "more", more));
}
