/*
 * X-Forwarded-For/-Proto/-Host, honoured only when the peer is in APIBUS_TRUSTED_PROXIES (a
 * comma list of IPv4/IPv6 addresses or CIDRs). Pure functions over strings, so they are unit
 * tested without a server.
 */
#ifndef APIBUS_GATEWAY_FORWARDED_H
#define APIBUS_GATEWAY_FORWARDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_MAX_PROXIES 32
#define GW_ADDR_MAX 46 /* INET6_ADDRSTRLEN */

typedef struct st_gw_cidr_t {
    int family;       /* AF_INET or AF_INET6 */
    uint8_t addr[16]; /* network byte order; IPv4 in the first 4 bytes */
    unsigned prefix;  /* bits */
} gw_cidr_t;

typedef struct st_gw_proxies_t {
    gw_cidr_t nets[GW_MAX_PROXIES];
    size_t num;
} gw_proxies_t;

/* Parses "10.0.0.0/8", "192.168.1.7", "fd00::/8" (host bits beyond the prefix are ignored).
 * Returns 0 or -1. */
int gw_cidr_parse(const char *s, size_t len, gw_cidr_t *out);
/* Parses a comma list; 0, or -1 with a reason in err. */
int gw_proxies_init(gw_proxies_t *proxies, const char *list, char *err, size_t err_cap);
/* Whether the textual address addr (IPv4, IPv6, or IPv4-mapped IPv6) is a trusted proxy. */
bool gw_proxies_trusted(const gw_proxies_t *proxies, const char *addr, size_t len);

/* The client address: the peer, or, while the current hop is a trusted proxy, the next
 * X-Forwarded-For entry from the right. Writes a NUL-terminated address into out. */
void gw_forwarded_client(const gw_proxies_t *proxies, const char *peer, const char *xff, size_t xff_len, char *out,
                         size_t cap);

/* Whether a Host (or X-Forwarded-Host) value is safe to put in a URL: host names, IPv4,
 * bracketed IPv6, optional port; at most 255 bytes. */
bool gw_host_sane(const char *host, size_t len);

/* The public base URL "scheme://host" (no trailing slash) into out: public_url when non-empty,
 * else from scheme and host (an insane host becomes fallback_host). Returns the length. */
size_t gw_base_url(char *out, size_t cap, const char *public_url, const char *scheme, size_t scheme_len,
                   const char *host, size_t host_len, const char *fallback_host);

#endif
