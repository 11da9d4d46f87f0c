#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/support.h"

static long ts__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int ts__write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads until EOF (the request said Connection: close) or the deadline. */
static char *ts__read_all(int fd, long deadline, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        long left = deadline - ts__now_ms();
        if (left <= 0)
            goto fail;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int rc = poll(&pfd, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            goto fail;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        ssize_t r = recv(fd, buf + n, cap - n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            /* a reset after a complete response (e.g. the server closed on a 413) still counts */
            if (n > 0)
                break;
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    free(buf);
    return NULL;
}

static int ts__parse(char *raw, size_t len, ts_http_res_t *res)
{
    char *end = strstr(raw, "\r\n\r\n");
    if (end == NULL || strncmp(raw, "HTTP/1.", 7) != 0)
        return -1;
    *end = '\0';
    char *body = end + 4;
    size_t body_len = len - (size_t)(body - raw);
    res->status = atoi(raw + 9);
    char *save = NULL;
    char *line = strtok_r(raw, "\r\n", &save); /* status line */
    bool chunked = false;
    long content_length = -1;
    while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ')
            value++;
        for (char *p = line; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        res->headers = realloc(res->headers, (res->num_headers + 1) * sizeof *res->headers);
        res->headers[res->num_headers].name = strdup(line);
        res->headers[res->num_headers].value = strdup(value);
        res->num_headers++;
        if (strcmp(line, "transfer-encoding") == 0 && strcasestr(value, "chunked") != NULL)
            chunked = true;
        if (strcmp(line, "content-length") == 0)
            content_length = atol(value);
    }
    res->body = malloc(body_len + 1);
    res->body_len = 0;
    if (chunked) {
        char *p = body, *stop = body + body_len;
        while (p < stop) {
            char *eol = strstr(p, "\r\n");
            if (eol == NULL)
                break;
            size_t size = strtoul(p, NULL, 16);
            if (size == 0)
                break;
            p = eol + 2;
            if ((size_t)(stop - p) < size)
                size = (size_t)(stop - p);
            memcpy(res->body + res->body_len, p, size);
            res->body_len += size;
            p += size + 2;
        }
    } else {
        if (content_length >= 0 && (size_t)content_length < body_len)
            body_len = (size_t)content_length;
        memcpy(res->body, body, body_len);
        res->body_len = body_len;
    }
    res->body[res->body_len] = '\0';
    return 0;
}

int ts_http(int port, const char *method, const char *path, const char *const *headers, const void *body,
            size_t body_len, int timeout_ms, ts_http_res_t *res)
{
    memset(res, 0, sizeof *res);
    long deadline = ts__now_ms() + timeout_ms;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char *raw = NULL, *head = NULL;
    int rc = -1;
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
        goto out;
    size_t cap = 4096, n = 0;
    head = malloc(cap);
    n += (size_t)snprintf(head + n, cap - n, "%s %s HTTP/1.1\r\nHost: localhost:%d\r\nConnection: close\r\n", method,
                          path, port);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        size_t need = strlen(headers[i]) + 3;
        if (n + need + 64 > cap) {
            cap = (n + need + 64) * 2;
            head = realloc(head, cap);
        }
        n += (size_t)snprintf(head + n, cap - n, "%s\r\n", headers[i]);
    }
    if (body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0)
        n += (size_t)snprintf(head + n, cap - n, "Content-Length: %zu\r\n", body != NULL ? body_len : 0);
    n += (size_t)snprintf(head + n, cap - n, "\r\n");
    if (ts__write_all(fd, head, n) != 0)
        goto out;
    /* a server may answer (413) and close before taking the whole body: not an error here */
    if (body != NULL && body_len > 0)
        (void)ts__write_all(fd, body, body_len);
    size_t raw_len;
    if ((raw = ts__read_all(fd, deadline, &raw_len)) == NULL)
        goto out;
    if (ts__parse(raw, raw_len, res) != 0) {
        ts_http_res_dispose(res);
        goto out;
    }
    rc = 0;
out:
    free(head);
    free(raw);
    close(fd);
    return rc;
}

const char *ts_http_header(const ts_http_res_t *res, const char *name)
{
    for (size_t i = 0; i < res->num_headers; i++)
        if (strcasecmp(res->headers[i].name, name) == 0)
            return res->headers[i].value;
    return NULL;
}

void ts_http_res_dispose(ts_http_res_t *res)
{
    if (res == NULL)
        return;
    for (size_t i = 0; i < res->num_headers; i++) {
        free(res->headers[i].name);
        free(res->headers[i].value);
    }
    free(res->headers);
    free(res->body);
    memset(res, 0, sizeof *res);
}

int ts_http_wait_status(int port, const char *path, int status, int timeout_ms)
{
    long deadline = ts__now_ms() + timeout_ms;
    while (ts__now_ms() < deadline) {
        ts_http_res_t res;
        if (ts_http(port, "GET", path, NULL, NULL, 0, 2000, &res) == 0) {
            int got = res.status;
            ts_http_res_dispose(&res);
            if (got == status)
                return 0;
        }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return -1;
}
