/* tests gateway/assoc.c: the set-associative table the token and API-key caches share. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "gateway/assoc.h"

typedef struct {
    unsigned char tag[16];
    int value;
} entry_t;

enum { SETS = 64, WAYS = 4 };
static const gw_assoc_shape_t shape = {.sets = SETS, .ways = WAYS, .entry_size = sizeof(entry_t), .tag_len = 16};
static entry_t table[SETS * WAYS];
static uint8_t victims[SETS];

static void put(const unsigned char tag[16], int value)
{
    entry_t *e = gw_assoc_slot(&shape, table, victims, tag);
    memcpy(e->tag, tag, 16);
    e->value = value;
}

static int get(const unsigned char tag[16])
{
    entry_t *e = gw_assoc_find(&shape, table, tag);
    return e != NULL ? e->value : -1;
}

/* A tag whose set is `set` (the first three bytes pick it), made distinct by n. */
static void tag_in_set(unsigned char tag[16], size_t set, int n)
{
    memset(tag, 0xa5, 16);
    tag[0] = (unsigned char)set;
    tag[1] = tag[2] = 0;
    memcpy(tag + 8, &n, sizeof n);
}

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
    memset(table, 0, sizeof table);
    memset(victims, 0, sizeof victims);
}

TestSuite(assoc, .init = setup);

Test(assoc, finds_what_was_put_and_nothing_else)
{
    unsigned char a[16], b[16];
    tag_in_set(a, 3, 1);
    tag_in_set(b, 3, 2);
    cr_assert_eq(get(a), -1);
    put(a, 10);
    cr_assert_eq(get(a), 10);
    cr_assert_eq(get(b), -1, "another tag of the same set");
    put(a, 11); /* the same tag again: its own way, not a second one */
    put(b, 20);
    cr_assert_eq(get(a), 11);
    cr_assert_eq(get(b), 20);
}

Test(assoc, a_full_set_gives_way_round_robin)
{
    unsigned char t[WAYS + 2][16];
    for (int i = 0; i < WAYS + 2; i++)
        tag_in_set(t[i], 7, i);
    for (int i = 0; i < WAYS; i++)
        put(t[i], i);
    for (int i = 0; i < WAYS; i++)
        cr_assert_eq(get(t[i]), i, "a set holds %d tags", WAYS);
    put(t[WAYS], WAYS); /* evicts the first */
    cr_assert_eq(get(t[0]), -1);
    for (int i = 1; i <= WAYS; i++)
        cr_assert_eq(get(t[i]), i);
    put(t[WAYS + 1], WAYS + 1); /* then the second */
    cr_assert_eq(get(t[1]), -1);
    cr_assert_eq(get(t[2]), 2);
    /* other sets are untouched */
    unsigned char other[16];
    tag_in_set(other, 8, 0);
    put(other, 99);
    cr_assert_eq(get(other), 99);
    cr_assert_eq(get(t[WAYS + 1]), WAYS + 1);
}

/* Random tags at a quarter of the capacity stay, with 8 ways as the caches use them: a set
 * overflows for well under 1% of them (direct-mapped, about a tenth would have been evicted). */
Test(assoc, random_tags_at_a_quarter_of_capacity_stay)
{
    enum { BIG_SETS = 512, BIG_WAYS = 8, N = BIG_SETS * BIG_WAYS / 4 };
    static const gw_assoc_shape_t big = {.sets = BIG_SETS, .ways = BIG_WAYS, .entry_size = sizeof(entry_t), .tag_len = 16};
    static entry_t big_table[BIG_SETS * BIG_WAYS];
    static uint8_t big_victims[BIG_SETS];
    static unsigned char tags[N][16];
    unsigned char seed[randombytes_SEEDBYTES] = {42};
    randombytes_buf_deterministic(tags, sizeof tags, seed);
    for (int i = 0; i < N; i++) {
        entry_t *e = gw_assoc_slot(&big, big_table, big_victims, tags[i]);
        memcpy(e->tag, tags[i], 16);
        e->value = i;
    }
    int kept = 0;
    for (int i = 0; i < N; i++) {
        entry_t *e = gw_assoc_find(&big, big_table, tags[i]);
        kept += e != NULL && e->value == i;
    }
    cr_assert_geq(kept, N - N / 100, "%d of %d kept", kept, N);
}
