#include "proto/heap.h"

#include <malloc.h>

/* Free heap above this stays with the process; below, it goes back (glibc's default: 128 KiB,
 * raised on its own only after a large block was freed). */
#define PROTO_HEAP_TRIM_THRESHOLD (4u << 20)
/* Blocks up to this come from the heap, not from their own mmap and munmap (default 128 KiB):
 * a whole page of employees, a schema document. */
#define PROTO_HEAP_MMAP_THRESHOLD (1u << 20)

void proto_heap_tune(void)
{
    /* A refusal leaves glibc's defaults, which are correct, only slower. */
    (void)mallopt(M_TRIM_THRESHOLD, PROTO_HEAP_TRIM_THRESHOLD);
    (void)mallopt(M_MMAP_THRESHOLD, PROTO_HEAP_MMAP_THRESHOLD);
}
