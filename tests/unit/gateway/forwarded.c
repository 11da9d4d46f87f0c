/* tests gateway/forwarded.c: trusted proxies, client address, base URL. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "gateway/forwarded.h"

static bool trusted(const gw_proxies_t *p, const char *addr)
{
    return gw_proxies_trusted(p, addr, strlen(addr));
}

Test(forwarded, cidr_parse)
{
    gw_cidr_t c;
    cr_assert_eq(gw_cidr_parse("10.0.0.0/8", 10, &c), 0);
    cr_assert_eq(c.family, AF_INET);
    cr_assert_eq(c.prefix, 8);
    cr_assert_eq(gw_cidr_parse("192.168.1.7", 11, &c), 0);
    cr_assert_eq(c.prefix, 32);
    cr_assert_eq(gw_cidr_parse("fd00::/8", 8, &c), 0);
    cr_assert_eq(c.family, AF_INET6);
    cr_assert_eq(c.prefix, 8);
    cr_assert_eq(gw_cidr_parse("::1", 3, &c), 0);
    cr_assert_eq(c.prefix, 128);
    cr_assert_eq(gw_cidr_parse("10.0.0.0/33", 11, &c), -1);
    cr_assert_eq(gw_cidr_parse("10.0.0.0/", 9, &c), -1);
    cr_assert_eq(gw_cidr_parse("10.0.0.0/x", 10, &c), -1);
    cr_assert_eq(gw_cidr_parse("10.0.0/8", 8, &c), -1);
    cr_assert_eq(gw_cidr_parse("example.com", 11, &c), -1);
    cr_assert_eq(gw_cidr_parse("::/129", 6, &c), -1);
    cr_assert_eq(gw_cidr_parse("", 0, &c), -1);
}

Test(forwarded, trusted_membership)
{
    gw_proxies_t p;
    char err[256];
    cr_assert_eq(gw_proxies_init(&p, "10.0.0.0/8, 192.168.1.7,fd00::/8,172.16.0.0/12", err, sizeof err), 0, "%s", err);
    cr_assert_eq(p.num, 4);
    cr_assert(trusted(&p, "10.1.2.3"));
    cr_assert(trusted(&p, "192.168.1.7"));
    cr_assert_not(trusted(&p, "192.168.1.8"));
    cr_assert(trusted(&p, "172.31.255.255"));
    cr_assert_not(trusted(&p, "172.32.0.1"));
    cr_assert(trusted(&p, "fd12::1"));
    cr_assert_not(trusted(&p, "fe80::1"));
    cr_assert(trusted(&p, "::ffff:10.9.9.9"), "IPv4-mapped addresses compare as IPv4");
    cr_assert_not(trusted(&p, "11.0.0.1"));
    cr_assert_not(trusted(&p, "garbage"));
    cr_assert_eq(gw_proxies_init(&p, "10.0.0.0/8,nope", err, sizeof err), -1);
    cr_assert(strstr(err, "nope") != NULL);
    cr_assert_eq(gw_proxies_init(&p, "", err, sizeof err), 0);
    cr_assert_eq(p.num, 0);
    cr_assert_not(trusted(&p, "127.0.0.1"), "nothing is trusted by default");
}

static const char *client(const gw_proxies_t *p, const char *peer, const char *xff)
{
    static char out[64];
    gw_forwarded_client(p, peer, xff, xff != NULL ? strlen(xff) : 0, out, sizeof out);
    return out;
}

Test(forwarded, client_address)
{
    gw_proxies_t p;
    char err[256];
    cr_assert_eq(gw_proxies_init(&p, "10.0.0.0/8", err, sizeof err), 0);
    /* untrusted peer: its X-Forwarded-For is ignored */
    cr_assert_str_eq(client(&p, "203.0.113.9", "1.2.3.4"), "203.0.113.9");
    /* trusted peer: the entry it appended */
    cr_assert_str_eq(client(&p, "10.0.0.1", "1.2.3.4"), "1.2.3.4");
    /* a chain: skip trusted hops from the right, stop at the first untrusted */
    cr_assert_str_eq(client(&p, "10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.2"), "1.2.3.4");
    /* everything trusted: the leftmost */
    cr_assert_str_eq(client(&p, "10.0.0.1", "10.0.0.3,10.0.0.2"), "10.0.0.3");
    /* garbage stops the walk at the last good hop */
    cr_assert_str_eq(client(&p, "10.0.0.1", "1.2.3.4, bogus"), "10.0.0.1");
    cr_assert_str_eq(client(&p, "10.0.0.1", ""), "10.0.0.1");
    cr_assert_str_eq(client(&p, "10.0.0.1", NULL), "10.0.0.1");
    cr_assert_str_eq(client(&p, "10.0.0.1", "2001:db8::1"), "2001:db8::1");
}

Test(forwarded, host_and_base_url)
{
    char out[300];
    cr_assert(gw_host_sane("localhost:8000", 14));
    cr_assert(gw_host_sane("[::1]:8000", 10));
    cr_assert(gw_host_sane("api.example.com", 15));
    cr_assert_not(gw_host_sane("evil.com/x", 10));
    cr_assert_not(gw_host_sane("a b", 3));
    cr_assert_not(gw_host_sane("", 0));
    cr_assert_not(gw_host_sane("x\"y", 3));

    gw_base_url(out, sizeof out, "", "http", 4, "localhost:8000", 14, "127.0.0.1:8000");
    cr_assert_str_eq(out, "http://localhost:8000");
    gw_base_url(out, sizeof out, "", "https", 5, "api.example.com", 15, "127.0.0.1:8000");
    cr_assert_str_eq(out, "https://api.example.com");
    gw_base_url(out, sizeof out, "", "gopher", 6, "a.b", 3, "127.0.0.1:8000");
    cr_assert_str_eq(out, "http://a.b", "unknown schemes become http");
    gw_base_url(out, sizeof out, "", "http", 4, "evil.com/<x>", 12, "127.0.0.1:8000");
    cr_assert_str_eq(out, "http://127.0.0.1:8000");
    gw_base_url(out, sizeof out, "https://public.example.com", "http", 4, "localhost", 9, "x");
    cr_assert_str_eq(out, "https://public.example.com");
}
