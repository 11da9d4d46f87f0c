#include "cli/bus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/bus.h"
#include "proto/envelope.h"
#include "proto/errors.h"
#include "proto/roles.h"

#define CLI_BUS_MAX_MSG (16u << 20)

static int cli__bus_send(int sock, const char *method, const char *path, const char *body)
{
    char rid[48];
    snprintf(rid, sizeof rid, "cli-%ld", (long)getpid());
    proto_msg_t msg = {.version = PROTO_VERSION, .kind = PROTO_KIND_JOB, .job_id = 1};
    proto_request_t *r = &msg.req;
    r->id = (proto_str_t){rid, strlen(rid)};
    r->method = (proto_str_t){method, strlen(method)};
    r->path = (proto_str_t){path, strlen(path)};
    r->query = PROTO_STR_LIT("");
    r->budget_ms = CLI_BUS_TIMEOUT_MS;
    r->client = PROTO_STR_LIT("apibus-cli");
    r->body = (proto_str_t){body != NULL ? body : "", body != NULL ? strlen(body) : 0};
    r->headers[0] = (proto_header_t){PROTO_STR_LIT("content-type"), PROTO_STR_LIT("application/json")};
    r->num_headers = 1;
    r->principal.cred = PROTO_CRED_SYSTEM;
    r->principal.scope = PROTO_SCOPE_ALL;
    proto_buf_t buf = {0};
    int rc = proto_encode(&msg, &buf) == 0 && proto_bus_worker_send(sock, buf.data, buf.size) == 0 ? 0 : -1;
    proto_buf_dispose(&buf);
    return rc;
}

int cli_bus_call(const char *method, const char *path, json_t *body, json_t **reply)
{
    char endpoint[600];
    *reply = NULL;
    if (proto_endpoint(PROTO_PORT_INTERNAL, PROTO_SIDE_CONNECT, endpoint, sizeof endpoint) != 0)
        return -1;
    int sock = proto_bus_client_connect(endpoint, CLI_BUS_MAX_MSG);
    if (sock < 0) {
        fprintf(stderr, "apibus: cannot connect to %s: %s\n", endpoint, strerror(errno));
        return -1;
    }
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    int status = -1;
    void *data = NULL;
    long n;
    if (cli__bus_send(sock, method, path, text) != 0) {
        fprintf(stderr, "apibus: cannot send the request: %s\n", strerror(errno));
        goto out;
    }
    if ((n = proto_bus_worker_recv(sock, &data, CLI_BUS_TIMEOUT_MS)) < 0) {
        fprintf(stderr, "apibus: no answer from the suite at %s within %d s (is it running? see APIBUS_BUS_*)\n",
                endpoint, CLI_BUS_TIMEOUT_MS / 1000);
        goto out;
    }
    proto_msg_t res;
    int rc = proto_decode(data, (size_t)n, CLI_BUS_MAX_MSG, &res);
    if (rc != 0 || res.kind != PROTO_KIND_RESULT) {
        fprintf(stderr, "apibus: undecodable answer (%s)\n", rc != 0 ? proto_err_name(rc) : "not a result");
        goto out;
    }
    status = res.reply.status;
    if (res.reply.body.len != 0)
        *reply = json_loadb(res.reply.body.ptr, res.reply.body.len, 0, NULL);
out:
    if (text != NULL)
        memset(text, 0, strlen(text)); /* it may hold a password */
    free(text);
    proto_bus_free(data);
    proto_bus_close(sock);
    return status;
}

void cli_bus_print_error(int status, json_t *reply)
{
    const char *key;
    json_t *val;
    if (!json_is_object(reply)) {
        fprintf(stderr, "apibus: the service answered %d\n", status);
        return;
    }
    json_object_foreach(reply, key, val) {
        if (json_is_string(val)) {
            fprintf(stderr, "apibus: %s\n", json_string_value(val));
        } else if (json_is_array(val)) {
            size_t i;
            json_t *m;
            json_array_foreach(val, i, m) if (json_is_string(m))
                fprintf(stderr, "apibus: %s: %s\n", strcmp(key, "non_field_errors") == 0 ? "error" : key,
                        json_string_value(m));
        }
    }
}
