/*
 * The heap settings every long-running apibus process starts with.
 *
 * glibc gives freed memory at the top of a heap back to the kernel as soon as more than 128 KiB
 * is free there, and the next request takes it again: with replies of tens of KiB passing
 * through every few microseconds, the gateway spent ~5% of its CPU in brk, page faults and
 * TLB shootdowns (perf, docs/benchmarks.md). Keeping a few MiB of free heap stops that churn;
 * memory the process never used is still never taken.
 */
#ifndef APIBUS_PROTO_HEAP_H
#define APIBUS_PROTO_HEAP_H

/* Call first in main, before any thread starts. */
void proto_heap_tune(void);

#endif
