#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/runtime/internal.h"

/* Requests are short and allocate a little, many times: bump allocation out of chunks, released
 * together after the reply, keeps handlers free of frees. */
#define SVC__ARENA_CHUNK 8192

struct st_svc__arena_chunk_t {
    svc__arena_chunk_t *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
};

_Noreturn void svc__oom(void)
{
    /* A service is one of several restartable instances: dying loudly beats limping on with
     * half-built replies. */
    fputs("apibus: out of memory, aborting\n", stderr);
    abort();
}

static svc__arena_chunk_t *svc__arena_chunk_new(size_t cap)
{
    svc__arena_chunk_t *c = malloc(sizeof *c + cap);
    if (c == NULL)
        svc__oom();
    c->next = NULL;
    c->used = 0;
    c->cap = cap;
    return c;
}

void *svc__arena_alloc(svc__arena_t *arena, size_t size)
{
    const size_t align = alignof(max_align_t);
    if (size > SIZE_MAX / 2)
        svc__oom();
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    svc__arena_chunk_t *c = arena->chunks;
    if (c == NULL || c->cap - c->used < size) {
        if (size > SVC__ARENA_CHUNK / 4) {
            /* A large block gets its own chunk behind the current one, so the current chunk's
             * free space is not wasted. */
            svc__arena_chunk_t *big = svc__arena_chunk_new(size);
            big->used = size;
            if (c == NULL) {
                arena->chunks = big;
            } else {
                big->next = c->next;
                c->next = big;
            }
            return big->data;
        }
        c = svc__arena_chunk_new(SVC__ARENA_CHUNK);
        c->next = arena->chunks;
        arena->chunks = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

char *svc__arena_strndup(svc__arena_t *arena, const char *s, size_t len)
{
    char *p = svc__arena_alloc(arena, len + 1);
    if (len != 0)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void svc__arena_release(svc__arena_t *arena)
{
    svc__arena_chunk_t *c = arena->chunks;
    while (c != NULL) {
        svc__arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    arena->chunks = NULL;
}
