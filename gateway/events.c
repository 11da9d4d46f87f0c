#include "gateway/events.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gateway/server.h"
#include "proto/bus.h"
#include "proto/errors.h"

static void gw__apply(gw_events_t *ev, const proto_event_t *e)
{
    gw_loop_t *loop = ev->loop;
    unsigned char hash[PROTO_SESSION_HASH_LEN];
    size_t n = 0;
    switch (e->type) {
    case PROTO_EVENT_USER_VALID_AFTER:
        if (gw_revocations_set(&ev->revocations, e->user_id, e->at_us) != 0)
            fprintf(stderr, "apibus-gateway: events: out of memory applying event %llu\n", (unsigned long long)e->seq);
        /* a password change or a deactivation: which one, auth's user list says */
        gw_keys_user_changed(&loop->keys, e->user_id);
        break;
    case PROTO_EVENT_USER_DEACTIVATED:
        gw_keys_user_deactivated(&loop->keys, e->user_id);
        break;
    case PROTO_EVENT_KEY_REVOKED:
        if (gw_keys_revoke(&loop->keys, e->key) != 0)
            fprintf(stderr, "apibus-gateway: events: out of memory applying event %llu\n", (unsigned long long)e->seq);
        break;
    case PROTO_EVENT_SESSION_REVOKED:
        if (sodium_hex2bin(hash, sizeof hash, e->key, strlen(e->key), NULL, &n, NULL) == 0 && n == sizeof hash)
            gw_sessions_drop(&loop->sessions, hash);
        break;
    case PROTO_EVENT_KEYRING_CHANGED:
        gw_server_reload_keys(loop);
        break;
    default:
        /* a newer publisher's kind of fact: nothing this gateway can do with it */
        break;
    }
    ev->applied++;
}

static void gw__resync(gw_publisher_t *p);

/* {"publisher","head","events":[...],"more"}: apply all (idempotent), then move `last`. */
static int gw__resync_apply(gw_publisher_t *p, const proto_reply_t *reply)
{
    json_t *j = json_loadb(reply->body.ptr, reply->body.len, 0, NULL);
    json_t *events = json_object_get(j, "events"), *head = json_object_get(j, "head");
    int rc = -1;
    if (reply->status != 200 || !json_is_array(events) || !json_is_integer(head))
        goto out;
    uint64_t through = p->seq.last;
    size_t i;
    json_t *item;
    json_array_foreach(events, i, item) {
        proto_event_t e;
        if (proto_event_from_json(item, &e) != 0)
            goto out;
        gw__apply(p->events, &e);
        if (e.seq > through)
            through = e.seq;
    }
    bool more = json_is_true(json_object_get(j, "more"));
    gw_seq_resynced(&p->seq, through, (uint64_t)json_integer_value(head), more);
    rc = more ? 1 : 0;
out:
    json_decref(j);
    return rc;
}

static void gw__on_resync(void *arg, int err, const proto_reply_t *reply)
{
    gw_publisher_t *p = arg;
    gw_events_t *ev = p->events;
    p->call = NULL;
    int rc = err == 0 ? gw__resync_apply(p, reply) : -1;
    if (rc < 0) {
        fprintf(stderr, "apibus-gateway: events: resync from %s failed (%s); retrying\n", proto_roles[p->role].name,
                err != 0 ? proto_err_name(err) : "bad reply");
        p->next_resync_ms = gw_now_ms() + ev->resync_ms;
        return;
    }
    ev->resyncs++;
    if (rc == 1) /* more to fetch */
        gw__resync(p);
    else
        p->next_resync_ms = gw_now_ms() + ev->resync_ms;
}

static void gw__resync(gw_publisher_t *p)
{
    gw_events_t *ev = p->events;
    gw_board_t *board = ev->loop->boards[p->role];
    char path[128], query[32];
    int err = 0;
    if (p->call != NULL)
        return;
    /* a role without a live worker cannot answer: try again at the next tick, so that the first
     * sync follows the first worker at once */
    if (board == NULL || gw_board_live_workers(board) == 0)
        return;
    snprintf(path, sizeof path, PROTO_EVENTS_PATH_FMT, proto_roles[p->role].name);
    snprintf(query, sizeof query, "since=%llu", (unsigned long long)p->seq.last);
    p->call = gw_call_start(board, "GET", path, query, NULL, gw__on_resync, p, &err);
    if (p->call == NULL)
        p->next_resync_ms = gw_now_ms() + ev->resync_ms;
}

static void gw__on_event(gw_events_t *ev, const void *data, size_t len)
{
    char publisher[64];
    proto_event_t e;
    ev->received++;
    if (proto_event_decode(data, len, publisher, sizeof publisher, &e) != 0)
        return;
    const proto_role_t *role = proto_role_by_name(publisher);
    if (role == NULL || !role->events)
        return;
    gw_publisher_t *p = &ev->publishers[role - proto_roles];
    switch (gw_seq_observe(&p->seq, e.seq)) {
    case GW_SEQ_NEXT: gw__apply(ev, &e); break;
    case GW_SEQ_OLD: break;
    case GW_SEQ_GAP:
        gw__apply(ev, &e);
        ev->gaps++;
        gw__resync(p);
        break;
    }
}

static void gw__on_readable(h2o_socket_t *sock, const char *err)
{
    gw_events_t *ev = sock->data;
    if (err != NULL)
        return;
    for (;;) {
        void *msg = NULL;
        long n = proto_bus_sub_recv(ev->sock, &msg);
        if (n < 0)
            break;
        gw__on_event(ev, msg, (size_t)n);
        proto_bus_free(msg);
    }
}

int gw_events_init(gw_events_t *ev, struct st_gw_loop_t *loop, h2o_loop_t *h2o_loop, uint32_t resync_ms)
{
    char endpoint[600];
    memset(ev, 0, sizeof *ev);
    ev->loop = loop;
    ev->sock = -1;
    ev->resync_ms = resync_ms;
    for (size_t i = 0; i < proto_num_roles && i < GW_EVENTS_MAX_ROLES; i++) {
        ev->publishers[i].events = ev;
        ev->publishers[i].role = i;
    }
    if (proto_endpoint(PROTO_PORT_EVENTS, PROTO_SIDE_BIND, endpoint, sizeof endpoint) != 0)
        return -1;
    if ((ev->sock = proto_bus_sub_bind(endpoint, PROTO_EVENT_MAX_MSG)) < 0) {
        fprintf(stderr, "apibus-gateway: cannot bind the event endpoint at %s: %s\n", endpoint, strerror(errno));
        return -1;
    }
    int fd = proto_bus_recv_fd(ev->sock);
    int dupfd = fd >= 0 ? dup(fd) : -1;
    if (dupfd < 0) {
        fprintf(stderr, "apibus-gateway: cannot watch the event endpoint: %s\n", strerror(errno));
        return -1;
    }
    ev->watch = h2o_evloop_socket_create(h2o_loop, dupfd, H2O_SOCKET_FLAG_DONT_READ);
    ev->watch->data = ev;
    h2o_socket_read_start(ev->watch, gw__on_readable);
    return 0;
}

void gw_events_tick(gw_events_t *ev)
{
    int64_t now = gw_now_ms();
    for (size_t i = 0; i < proto_num_roles && i < GW_EVENTS_MAX_ROLES; i++) {
        gw_publisher_t *p = &ev->publishers[i];
        if (proto_roles[i].events && p->call == NULL && now >= p->next_resync_ms)
            gw__resync(p);
    }
}

void gw_events_dispose(gw_events_t *ev)
{
    if (ev == NULL)
        return;
    for (size_t i = 0; i < GW_EVENTS_MAX_ROLES; i++) {
        gw_call_cancel(ev->publishers[i].call);
        ev->publishers[i].call = NULL;
    }
    if (ev->watch != NULL)
        h2o_socket_close(ev->watch);
    ev->watch = NULL;
    proto_bus_close(ev->sock);
    ev->sock = -1;
    gw_revocations_dispose(&ev->revocations);
}
