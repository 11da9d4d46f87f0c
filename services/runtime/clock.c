#include <time.h>

#include "services/runtime/service.h"

int64_t svc_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Writes v (< 10^width) as exactly width digits and returns the end. */
static char *svc__digits(char *p, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + width;
}

/* Every reply carries two of these per record, so this is integer arithmetic rather than
 * gmtime_r (which takes glibc's global time zone lock) and snprintf: the output is the same
 * bytes "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" of gmtime_r's fields gave, for every int64
 * (proleptic Gregorian, astronomical years: year 0 is "0000", year -1 "-001"; the whole int64
 * range of microseconds is years -290308 to 294247, so it always fits the 32 bytes). */
void svc_format_time(int64_t us, char out[32])
{
    int64_t sec = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        sec -= 1;
    }
    int64_t days = sec / 86400, rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days -= 1;
    }
    /* days since 1970-01-01 to a civil date: eras of 400 years (146097 days) starting on
     * March 1st, so that the leap day is the last day of a year (H. Hinnant's civil_from_days) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                         /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;    /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                  /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                       /* [0, 11], from March */
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);

    char *p = out;
    /* %04d: at least four characters, the sign included */
    uint64_t ay = year < 0 ? (uint64_t)-year : (uint64_t)year;
    int width = 1;
    for (uint64_t v = ay; v >= 10; v /= 10)
        width++;
    if (year < 0)
        *p++ = '-';
    if (width < (year < 0 ? 3 : 4))
        width = year < 0 ? 3 : 4;
    p = svc__digits(p, ay, width);
    *p++ = '-';
    p = svc__digits(p, (uint64_t)month, 2);
    *p++ = '-';
    p = svc__digits(p, (uint64_t)day, 2);
    *p++ = 'T';
    p = svc__digits(p, (uint64_t)(rem / 3600), 2);
    *p++ = ':';
    p = svc__digits(p, (uint64_t)(rem / 60 % 60), 2);
    *p++ = ':';
    p = svc__digits(p, (uint64_t)(rem % 60), 2);
    *p++ = '.';
    p = svc__digits(p, (uint64_t)frac, 6);
    *p++ = 'Z';
    *p = '\0';
}
