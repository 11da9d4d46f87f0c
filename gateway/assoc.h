/*
 * Set-associative caches: tables of fixed-size entries, each starting with its tag (a uniformly
 * random byte string: a hash, or a keyed MAC; never all zero, which marks an empty entry). The tag's first bytes pick one of `sets` sets of
 * `ways` entries; a new entry takes the set's way with the same tag, else an empty way, else
 * the next one round robin. The caller owns the memory (entries: sets * ways * entry_size bytes,
 * zeroed means empty; victims: sets bytes).
 *
 * Why not direct-mapped: with n tags live in a table of m slots, a fraction 1 - e^(-n/m) of them
 * shares its slot, and tags used in turn then evict each other on every use (46% of 10,000
 * tokens in 16,384 slots, 22% of 1,000 API keys in 4,096). With 8 ways and m >= 4n, a set
 * overflows for well under 1% of the tags.
 */
#ifndef APIBUS_GATEWAY_ASSOC_H
#define APIBUS_GATEWAY_ASSOC_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_gw_assoc_shape_t {
    size_t sets, ways; /* sets: at most 2^24; ways: at most 256 */
    size_t entry_size; /* bytes per entry, the tag first */
    size_t tag_len;    /* at least 3 bytes */
} gw_assoc_shape_t;

/* The entry with this tag, or NULL. Tags are compared in constant time. */
void *gw_assoc_find(const gw_assoc_shape_t *shape, void *entries, const unsigned char *tag);
/* Where an entry with this tag goes (its own way, an empty one, or the set's next victim). The
 * caller writes the whole entry, the tag included. */
void *gw_assoc_slot(const gw_assoc_shape_t *shape, void *entries, uint8_t *victims, const unsigned char *tag);

#endif
