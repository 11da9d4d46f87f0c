#include "gateway/assoc.h"

#include <sodium.h>

static size_t gw__assoc_set(const gw_assoc_shape_t *shape, const unsigned char *tag)
{
    /* the tag is uniformly random: its first bytes are as good an index as any */
    return (tag[0] | (size_t)tag[1] << 8 | (size_t)tag[2] << 16) % shape->sets;
}

static unsigned char *gw__assoc_way(const gw_assoc_shape_t *shape, void *entries, size_t set, size_t way)
{
    return (unsigned char *)entries + (set * shape->ways + way) * shape->entry_size;
}

static unsigned char *gw__assoc_scan(const gw_assoc_shape_t *shape, void *entries, size_t set,
                                     const unsigned char *tag)
{
    for (size_t w = 0; w < shape->ways; w++) {
        unsigned char *e = gw__assoc_way(shape, entries, set, w);
        if (sodium_memcmp(e, tag, shape->tag_len) == 0)
            return e;
    }
    return NULL;
}

void *gw_assoc_find(const gw_assoc_shape_t *shape, void *entries, const unsigned char *tag)
{
    return gw__assoc_scan(shape, entries, gw__assoc_set(shape, tag), tag);
}

void *gw_assoc_slot(const gw_assoc_shape_t *shape, void *entries, uint8_t *victims, const unsigned char *tag)
{
    size_t set = gw__assoc_set(shape, tag);
    unsigned char *e = gw__assoc_scan(shape, entries, set, tag);
    if (e != NULL)
        return e;
    for (size_t w = 0; w < shape->ways; w++) {
        e = gw__assoc_way(shape, entries, set, w);
        if (sodium_is_zero(e, shape->tag_len))
            return e;
    }
    e = gw__assoc_way(shape, entries, set, victims[set]);
    victims[set] = (uint8_t)((victims[set] + 1u) % shape->ways);
    return e;
}
