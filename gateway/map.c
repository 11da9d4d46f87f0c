#include "gateway/map.h"

#include <stdlib.h>

static size_t gw__map_hash(uint64_t key, size_t mask)
{
    /* keys are counters and pipe ids: mix them so that neighbours spread out */
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (size_t)key & mask;
}

void *gw_map_get(const gw_map_t *map, uint64_t key)
{
    if (map->capacity == 0 || key == 0)
        return NULL;
    size_t mask = map->capacity - 1;
    for (size_t i = gw__map_hash(key, mask);; i = (i + 1) & mask) {
        if (map->slots[i].key == key)
            return map->slots[i].value;
        if (map->slots[i].key == 0)
            return NULL;
    }
}

static void gw__map_insert(gw_map_entry_t *slots, size_t capacity, uint64_t key, void *value)
{
    size_t mask = capacity - 1;
    size_t i = gw__map_hash(key, mask);
    while (slots[i].key != 0 && slots[i].key != key)
        i = (i + 1) & mask;
    slots[i].key = key;
    slots[i].value = value;
}

static int gw__map_grow(gw_map_t *map)
{
    size_t capacity = map->capacity == 0 ? 16 : map->capacity * 2;
    gw_map_entry_t *slots = calloc(capacity, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < map->capacity; i++)
        if (map->slots[i].key != 0)
            gw__map_insert(slots, capacity, map->slots[i].key, map->slots[i].value);
    free(map->slots);
    map->slots = slots;
    map->capacity = capacity;
    return 0;
}

int gw_map_put(gw_map_t *map, uint64_t key, void *value)
{
    if (key == 0)
        return -1;
    if ((map->size + 1) * 4 > map->capacity * 3 && gw__map_grow(map) != 0)
        return -1;
    if (gw_map_get(map, key) == NULL)
        map->size++;
    gw__map_insert(map->slots, map->capacity, key, value);
    return 0;
}

void *gw_map_remove(gw_map_t *map, uint64_t key)
{
    if (map->capacity == 0 || key == 0)
        return NULL;
    size_t mask = map->capacity - 1;
    size_t i = gw__map_hash(key, mask);
    while (map->slots[i].key != key) {
        if (map->slots[i].key == 0)
            return NULL;
        i = (i + 1) & mask;
    }
    void *value = map->slots[i].value;
    map->slots[i].key = 0;
    map->size--;
    /* backward shift: move later members of the cluster into the hole if their home allows */
    for (size_t j = (i + 1) & mask; map->slots[j].key != 0; j = (j + 1) & mask) {
        size_t home = gw__map_hash(map->slots[j].key, mask);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            map->slots[i] = map->slots[j];
            map->slots[j].key = 0;
            i = j;
        }
    }
    return value;
}

void gw_map_dispose(gw_map_t *map)
{
    if (map == NULL)
        return;
    free(map->slots);
    map->slots = NULL;
    map->capacity = map->size = 0;
}
