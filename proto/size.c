#include "proto/size.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int proto_parse_size(const char *s, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    default: break;
    }
    if (*end == 'i' && shift != 0)
        end++;
    if ((*end == 'b' || *end == 'B') && shift != 0)
        end++;
    if (*end != '\0' || (shift != 0 && v > (UINT64_MAX >> shift)))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

int proto_env_size(const char *name, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t cap)
{
    const char *s = getenv(name);
    if (s == NULL || *s == '\0')
        return 0;
    uint64_t v;
    if (proto_parse_size(s, &v) != 0 || v < min || v > max) {
        snprintf(err, cap, "%s must be a number from %llu to %llu", name, (unsigned long long)min,
                 (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 0;
}
