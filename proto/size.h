/*
 * Sizes and counts in APIBUS_* settings: a decimal number with an optional binary suffix, K, M,
 * G or T (either case), optionally followed by "i" and "B" ("64KiB", "1M", "2g"). One reading for
 * the gateway and every service, so the same value means the same everywhere.
 */
#ifndef APIBUS_PROTO_SIZE_H
#define APIBUS_PROTO_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* 0 and *out, or -1 when s is not such a number or does not fit 64 bits. */
int proto_parse_size(const char *s, uint64_t *out);

/* The variable `name`, when set and not empty, into *out (left alone otherwise): 0, or -1 with
 * "<name> must be a number from <min> to <max>" in err. */
int proto_env_size(const char *name, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t cap);

#endif
