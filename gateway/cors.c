#include "gateway/cors.h"
#include "gateway/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool gw__cors_valid(const char *s, size_t len)
{
    size_t skip;
    if (len > 7 && memcmp(s, "http://", 7) == 0)
        skip = 7;
    else if (len > 8 && memcmp(s, "https://", 8) == 0)
        skip = 8;
    else
        return false;
    /* an Origin never has a path, a trailing slash, a query or a user part */
    for (size_t i = skip; i < len; i++) {
        char c = s[i];
        if (c == '/' || c == '?' || c == '#' || c == '@' || c == ' ' || c == '*')
            return false;
    }
    return true;
}

int gw_cors_init(gw_cors_t *cors, const char *list, char *err, size_t cap)
{
    memset(cors, 0, sizeof *cors);
    const char *p = list, *start;
    size_t len;
    while (gw_config_list_next(&p, &start, &len)) {
        if (!gw__cors_valid(start, len)) {
            snprintf(err, cap, "APIBUS_CORS_ALLOWED_ORIGINS: '%.*s' is not an origin (scheme://host[:port])", (int)len,
                     start);
            goto fail;
        }
        if (cors->num == GW_CORS_MAX_ORIGINS) {
            snprintf(err, cap, "APIBUS_CORS_ALLOWED_ORIGINS: more than %d origins", GW_CORS_MAX_ORIGINS);
            goto fail;
        }
        if ((cors->origins[cors->num] = strndup(start, len)) == NULL) {
            snprintf(err, cap, "out of memory");
            goto fail;
        }
        cors->lens[cors->num++] = len;
    }
    return 0;
fail:
    gw_cors_dispose(cors);
    return -1;
}

void gw_cors_dispose(gw_cors_t *cors)
{
    if (cors == NULL)
        return;
    for (size_t i = 0; i < cors->num; i++)
        free(cors->origins[i]);
    cors->num = 0;
}

bool gw_cors_allowed(const gw_cors_t *cors, const char *origin, size_t len)
{
    for (size_t i = 0; i < cors->num; i++)
        if (cors->lens[i] == len && memcmp(cors->origins[i], origin, len) == 0)
            return true;
    return false;
}
