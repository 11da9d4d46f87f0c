#include "gateway/request_id.h"

#include <sodium.h>

bool gw_request_id_sane(const char *id, size_t len)
{
    if (len == 0 || len > GW_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

void gw_request_id_new(char out[GW_REQUEST_ID_MAX + 1])
{
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, GW_REQUEST_ID_MAX + 1, raw, sizeof raw);
}
