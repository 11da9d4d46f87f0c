/* tests proto/utf8.c: RFC 3629's UTF-8, compared with the codepoint boundaries it draws. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/utf8.h"

static bool valid(const char *s, size_t n)
{
    return proto_utf8_valid((const uint8_t *)s, n);
}

Test(utf8, characters_of_every_length)
{
    static const struct {
        const char *s;
        size_t len;
    } chars[] = {{"a", 1}, {"\x7f", 1}, {"\xc2\x80", 2}, {"\xdf\xbf", 2}, {"\xe0\xa0\x80", 3},
                 {"\xed\x9f\xbf", 3}, {"\xee\x80\x80", 3}, {"\xef\xbf\xbf", 3}, {"\xf0\x90\x80\x80", 4},
                 {"\xf4\x8f\xbf\xbf", 4}};
    for (size_t i = 0; i < sizeof chars / sizeof chars[0]; i++) {
        cr_assert_eq(proto_utf8_char_len((const uint8_t *)chars[i].s, strlen(chars[i].s)), chars[i].len, "#%zu", i);
        cr_assert(valid(chars[i].s, strlen(chars[i].s)), "#%zu", i);
    }
    cr_assert(valid("\0", 1), "NUL is a character");
    cr_assert(valid("", 0));
    cr_assert(valid("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15));
}

Test(utf8, what_is_not_utf8)
{
    static const char *const bad[] = {
        "\x80",             /* a continuation byte alone */
        "\xc0\x80",         /* overlong NUL */
        "\xc1\xbf",         /* overlong 0x7f */
        "\xe0\x9f\xbf",     /* overlong 0x7ff */
        "\xf0\x8f\xbf\xbf", /* overlong 0xffff */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xed\xbf\xbf",     /* surrogate U+DFFF */
        "\xf4\x90\x80\x80", /* U+110000 */
        "\xf8\x88\x80\x80\x80",
        "\xff",
        "\xc3",             /* cut short */
        "\xe2\x82",
        "\xf0\x9f\x98",
        "\xc3\x28",         /* a continuation that is not one */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_not(valid(bad[i], strlen(bad[i])), "#%zu", i);
        cr_assert_eq(proto_utf8_char_len((const uint8_t *)bad[i], strlen(bad[i])), 0, "#%zu", i);
    }
    cr_assert_not(valid("ok\xc3", 3), "a character cut at the end of the buffer");
    cr_assert(valid("ok\xc3\xa9", 4));
}
