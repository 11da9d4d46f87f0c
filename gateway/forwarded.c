#include "gateway/forwarded.h"
#include "gateway/config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Parses a textual address into family + 16 bytes; IPv4-mapped IPv6 becomes IPv4, so that a
 * dual-stack listener compares with IPv4 lists. */
static int gw__addr_parse(const char *s, size_t len, int *family, uint8_t out[16])
{
    char buf[GW_ADDR_MAX + 1];
    if (len == 0 || len > GW_ADDR_MAX)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(out, 0, 16);
    if (inet_pton(AF_INET, buf, out) == 1) {
        *family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, out) == 1) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(out, mapped, 12) == 0) {
            memmove(out, out + 12, 4);
            memset(out + 4, 0, 12);
            *family = AF_INET;
        } else {
            *family = AF_INET6;
        }
        return 0;
    }
    return -1;
}

int gw_cidr_parse(const char *s, size_t len, gw_cidr_t *out)
{
    const char *slash = memchr(s, '/', len);
    size_t addr_len = slash != NULL ? (size_t)(slash - s) : len;
    if (gw__addr_parse(s, addr_len, &out->family, out->addr) != 0)
        return -1;
    unsigned max = out->family == AF_INET ? 32 : 128;
    out->prefix = max;
    if (slash != NULL) {
        const char *p = slash + 1, *end = s + len;
        if (p == end || end - p > 3)
            return -1;
        unsigned v = 0;
        for (; p < end; p++) {
            if (*p < '0' || *p > '9')
                return -1;
            v = v * 10 + (unsigned)(*p - '0');
        }
        if (v > max)
            return -1;
        out->prefix = v;
    }
    return 0;
}

int gw_proxies_init(gw_proxies_t *proxies, const char *list, char *err, size_t cap)
{
    memset(proxies, 0, sizeof *proxies);
    const char *p = list, *start;
    size_t len;
    while (gw_config_list_next(&p, &start, &len)) {
        if (proxies->num == GW_MAX_PROXIES) {
            snprintf(err, cap, "APIBUS_TRUSTED_PROXIES: more than %d entries", GW_MAX_PROXIES);
            return -1;
        }
        if (gw_cidr_parse(start, len, &proxies->nets[proxies->num]) != 0) {
            snprintf(err, cap, "APIBUS_TRUSTED_PROXIES: '%.*s' is not an address or CIDR", (int)len, start);
            return -1;
        }
        proxies->num++;
    }
    return 0;
}

static bool gw__cidr_contains(const gw_cidr_t *net, int family, const uint8_t *addr)
{
    if (net->family != family)
        return false;
    unsigned full = net->prefix / 8, rest = net->prefix % 8;
    if (memcmp(net->addr, addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (net->addr[full] & mask) == (addr[full] & mask);
}

bool gw_proxies_trusted(const gw_proxies_t *proxies, const char *addr, size_t len)
{
    int family;
    uint8_t bytes[16];
    if (proxies->num == 0 || gw__addr_parse(addr, len, &family, bytes) != 0)
        return false;
    for (size_t i = 0; i < proxies->num; i++)
        if (gw__cidr_contains(&proxies->nets[i], family, bytes))
            return true;
    return false;
}

static void gw__copy(char *out, size_t cap, const char *s, size_t len)
{
    if (cap == 0)
        return;
    if (len >= cap)
        len = cap - 1;
    memcpy(out, s, len);
    out[len] = '\0';
}

void gw_forwarded_client(const gw_proxies_t *proxies, const char *peer, const char *xff, size_t xff_len, char *out,
                         size_t cap)
{
    const char *cur = peer;
    size_t cur_len = strlen(peer);
    size_t end = xff_len;
    /* walk X-Forwarded-For from the right while the hop we stand on is trusted: each trusted
     * proxy vouches for the entry it appended, nobody vouches for entries further left */
    while (xff != NULL && end > 0 && gw_proxies_trusted(proxies, cur, cur_len)) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        size_t a = start, b = end;
        while (a < b && (xff[a] == ' ' || xff[a] == '\t'))
            a++;
        while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'))
            b--;
        int family;
        uint8_t bytes[16];
        if (gw__addr_parse(xff + a, b - a, &family, bytes) != 0)
            break;
        cur = xff + a;
        cur_len = b - a;
        end = start > 0 ? start - 1 : 0;
    }
    gw__copy(out, cap, cur, cur_len);
}

bool gw_host_sane(const char *host, size_t len)
{
    if (len == 0 || len > 255)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = host[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == ':' || c == '[' || c == ']' || c == '_'))
            return false;
    }
    return true;
}

size_t gw_base_url(char *out, size_t cap, const char *public_url, const char *scheme, size_t scheme_len,
                   const char *host, size_t host_len, const char *fallback_host)
{
    int n;
    if (public_url != NULL && *public_url != '\0') {
        n = snprintf(out, cap, "%s", public_url);
    } else {
        if (!gw_host_sane(host, host_len)) {
            host = fallback_host;
            host_len = strlen(fallback_host);
        }
        bool https = scheme_len == 5 && memcmp(scheme, "https", 5) == 0;
        n = snprintf(out, cap, "%s://%.*s", https ? "https" : "http", (int)host_len, host);
    }
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}
