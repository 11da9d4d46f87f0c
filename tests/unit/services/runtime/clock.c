/* services/runtime/clock.c: svc_format_time against gmtime_r + snprintf, its former self. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "services/runtime/service.h"

/* The implementation it replaced, kept here as the reference. */
static void reference(int64_t us, char out[32])
{
    int64_t sec = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        sec -= 1;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(out, 32, "1970-01-01T00:00:00.000000Z");
        return;
    }
    char buf[128];
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
    snprintf(out, 32, "%.31s", buf);
}

static void check(int64_t us)
{
    char got[32], want[32];
    memset(got, 'x', sizeof got);
    svc_format_time(us, got);
    reference(us, want);
    cr_assert(memchr(got, '\0', sizeof got) != NULL, "%lld: not terminated", (long long)us);
    cr_assert_str_eq(got, want, "%lld", (long long)us);
}

/* xorshift64*: the same sequence on every run */
static uint64_t rnd(void)
{
    static uint64_t x = 0x9E3779B97F4A7C15u;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return x * 0x2545F4914F6CDD1Du;
}

#define DAY_US (86400LL * 1000000)

Test(clock, known_values)
{
    char out[32];
    svc_format_time(1728941144123456, out);
    cr_assert_str_eq(out, "2024-10-14T21:25:44.123456Z");
    svc_format_time(0, out);
    cr_assert_str_eq(out, "1970-01-01T00:00:00.000000Z");
    svc_format_time(-1, out);
    cr_assert_str_eq(out, "1969-12-31T23:59:59.999999Z");
    svc_format_time(951782400000000, out); /* a leap day of a year divisible by 400 */
    cr_assert_str_eq(out, "2000-02-29T00:00:00.000000Z");
    svc_format_time(4107542400000000, out); /* 2100 is not a leap year */
    cr_assert_str_eq(out, "2100-03-01T00:00:00.000000Z");
    svc_format_time(253402300799999999, out);
    cr_assert_str_eq(out, "9999-12-31T23:59:59.999999Z");
    svc_format_time(253402300800000000, out);
    cr_assert_str_eq(out, "10000-01-01T00:00:00.000000Z");
    svc_format_time(-62167219200000000, out); /* proleptic Gregorian, astronomical year 0 */
    cr_assert_str_eq(out, "0000-01-01T00:00:00.000000Z");
    svc_format_time(-62167219200000001, out);
    cr_assert_str_eq(out, "-001-12-31T23:59:59.999999Z");
}

Test(clock, edges_match_gmtime)
{
    static const int64_t edges[] = {
        0, 1, -1, 999999, 1000000, -999999, -1000000, -1000001, DAY_US - 1, DAY_US, -DAY_US, -DAY_US - 1,
        951782400000000, 951868800000000, 946684799999999, 4107456000000000, 4107542400000000,
        253402300799999999, 253402300800000000, -62135596800000000, -62167219200000000, -62167219200000001,
        -62198755200000000, -2208988800000000, -12219292800000000, INT64_MAX, INT64_MIN, INT64_MAX - 1,
        INT64_MIN + 1, INT64_MAX / 2, INT64_MIN / 2,
    };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        check(edges[i]);
}

Test(clock, every_day_from_1600_to_2500)
{
    /* each day's first and last microsecond and a time of day that changes with the day */
    for (int64_t day = -135140; day <= 193899; day++) {
        check(day * DAY_US);
        check(day * DAY_US + DAY_US - 1);
        check(day * DAY_US + (day * 7919 % 86400) * 1000000 + (day * 104729 % 1000000 + 1000000) % 1000000);
    }
}

Test(clock, random_times)
{
    for (int i = 0; i < 200000; i++) {
        uint64_t r = rnd();
        check((int64_t)r);                                       /* anywhere in int64 */
        check((int64_t)(r % (2 * 253402300800000000ULL)) - 253402300800000000); /* years -9999..9999 */
    }
}
