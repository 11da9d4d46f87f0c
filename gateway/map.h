/*
 * A small open-addressing hash map from a non-zero uint64_t key to a pointer: the board keys
 * workers by pipe key and jobs by job id. Linear probing with backward-shift deletion, so it
 * never accumulates tombstones. Not thread-safe (one per event loop).
 */
#ifndef APIBUS_GATEWAY_MAP_H
#define APIBUS_GATEWAY_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_gw_map_entry_t {
    uint64_t key; /* 0: empty slot */
    void *value;
} gw_map_entry_t;

typedef struct st_gw_map_t {
    gw_map_entry_t *slots;
    size_t capacity; /* a power of two, or 0 */
    size_t size;
} gw_map_t;

/* The value for key, or NULL. */
void *gw_map_get(const gw_map_t *map, uint64_t key);
/* Inserts or replaces. Returns 0 or -1 (out of memory; the map is unchanged). */
int gw_map_put(gw_map_t *map, uint64_t key, void *value);
/* Removes key and returns its value (NULL when absent). */
void *gw_map_remove(gw_map_t *map, uint64_t key);
/* Frees the slots (not the values). gw_map_dispose of a zeroed map is a no-op. */
void gw_map_dispose(gw_map_t *map);

#endif
