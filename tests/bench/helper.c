/*
 * Two things the benchmark (tests/bench/run.sh) cannot do quickly or precisely from bash:
 *
 *   bench-helper tokens N USER_ID
 *       prints N distinct access tokens (random jti) for USER_ID, signed with the suite's current
 *       secret ($APIBUS_DATA_DIR/jwt-secret) by the very code auth and `apibus token` use
 *       (proto/jwt.c). 10,000 `apibus token` processes take 20-30 s on two busy cores; this
 *       takes a fraction of a second.
 *   bench-helper revoke PORT JWT FILE
 *       FILE has lines "<key id> <key>". For each key: one GET of the employees list with it (so
 *       the gateway has it cached, the case revocation must beat), POST /api/keys/<id>/revoke/
 *       with JWT, then the same GET in a tight loop until it is refused with 401. Prints the time
 *       from the revoke reply to that 401 in microseconds, one line per key. A new loopback
 *       connection per request (curl would add a process spawn, several ms, to every poll).
 *
 * Built by run.sh with cc against the release tree's libapibus_proto.a (the release build has
 * no test targets). Exit status 0, or 1 after saying why on stderr.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "proto/jwt.h"
#include "proto/keyring.h"

#define EMPLOYEES "/pegasus/employees/api/employees/"

static int bench__tokens(long n, unsigned long long user_id)
{
    char path[4096], err[512];
    proto_keyring_t kr;
    proto_jwt_keys_t keys;
    memset(&keys, 0, sizeof keys);
    if (sodium_init() < 0 || proto_keyring_path(path, sizeof path) != 0 ||
        proto_keyring_load(path, &kr, err, sizeof err) != 0 || proto_jwt_keys_from_keyring(&keys, &kr, err, sizeof err) != 0)
        return fprintf(stderr, "bench-helper: no JWT keyring at %s\n", path), 1;
    proto_keyring_wipe(&kr);
    time_t now = time(NULL);
    for (long i = 0; i < n; i++) {
        /* the claims `apibus token` signs; jti left empty so each token gets a random one */
        proto_jwt_claims_t c = {.user_id = user_id, .iat = now, .exp = now + 3600, .auth_us = (int64_t)now * 1000000};
        snprintf(c.token_type, sizeof c.token_type, "access");
        char *t = proto_jwt_sign(&keys, &c);
        if (t == NULL)
            return fprintf(stderr, "bench-helper: could not sign\n"), 1;
        puts(t);
        free(t);
    }
    proto_jwt_keys_wipe(&keys);
    return 0;
}

/* One HTTP/1.1 request on a new loopback connection; returns the status, or -1. */
static int bench__http(int port, const char *method, const char *path, const char *auth)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char req[1024], buf[16384], head[16] = {0};
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n",
                     method, path, auth);
    int status = -1;
    if (n > 0 && (size_t)n < sizeof req && write(fd, req, (size_t)n) == n) {
        /* read to the end (Connection: close), keeping the start of the status line */
        size_t got = 0;
        ssize_t r;
        while ((r = read(fd, buf, sizeof buf)) > 0) {
            size_t take = sizeof head - 1 - got < (size_t)r ? sizeof head - 1 - got : (size_t)r;
            memcpy(head + got, buf, take);
            got += take;
        }
        if (got >= 12 && strncmp(head, "HTTP/1.", 7) == 0)
            status = atoi(head + 9);
    }
    close(fd);
    return status;
}

static double bench__now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int bench__revoke(int port, const char *jwt, const char *file)
{
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return perror(file), 1;
    char bearer[PROTO_JWT_MAX_TOKEN + 16], apikey[256], key[160], path[128];
    long long id;
    snprintf(bearer, sizeof bearer, "Bearer %s", jwt);
    while (fscanf(f, "%lld %159s", &id, key) == 2) {
        snprintf(apikey, sizeof apikey, "Api-Key %s", key);
        snprintf(path, sizeof path, "/api/keys/%lld/revoke/", id);
        int s = bench__http(port, "GET", EMPLOYEES, apikey);
        if (s != 200)
            return fprintf(stderr, "bench-helper: a new key got %d\n", s), fclose(f), 1;
        if ((s = bench__http(port, "POST", path, bearer)) != 200)
            return fprintf(stderr, "bench-helper: revoke answered %d\n", s), fclose(f), 1;
        double t0 = bench__now_us();
        while ((s = bench__http(port, "GET", EMPLOYEES, apikey)) != 401) {
            if (s != 200 || bench__now_us() - t0 > 10e6)
                return fprintf(stderr, "bench-helper: a revoked key got %d after %.0f us\n", s, bench__now_us() - t0),
                       fclose(f), 1;
        }
        printf("%.0f\n", bench__now_us() - t0);
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "tokens") == 0)
        return bench__tokens(atol(argv[2]), strtoull(argv[3], NULL, 10));
    if (argc == 5 && strcmp(argv[1], "revoke") == 0)
        return bench__revoke(atoi(argv[2]), argv[3], argv[4]);
    fputs("usage: bench-helper tokens N USER_ID | revoke PORT JWT FILE\n", stderr);
    return 2;
}
