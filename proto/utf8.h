/*
 * UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing past U+10FFFF. One
 * definition for every place that must refuse or repair bytes that are not text (msgpack strings
 * off the bus, error texts headed for JSON).
 */
#ifndef APIBUS_PROTO_UTF8_H
#define APIBUS_PROTO_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length (1–4) of the character at s, which has n > 0 bytes, or 0 when no character starts
 * there. */
size_t proto_utf8_char_len(const uint8_t *s, size_t n);
/* Whether the n bytes at s are UTF-8 (NUL is a character). */
bool proto_utf8_valid(const uint8_t *s, size_t n);

#endif
