/* Unit tests for the bounded string formatter (kernel/core/format.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <kapsel/print.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Formats with both the host's snprintf and format_string_to; output and returned length must agree. */
#define ASSERT_LIKE_SNPRINTF(...)                                                                                      \
    do {                                                                                                               \
        char expected[128];                                                                                            \
        char actual[128];                                                                                              \
        int expected_length = snprintf(expected, sizeof(expected), __VA_ARGS__);                                       \
        size_t actual_length = format_string_to(actual, sizeof(actual), __VA_ARGS__);                                  \
        assert_string_equal(actual, expected);                                                                         \
        assert_int_equal(actual_length, expected_length);                                                              \
    } while (0)

/* For formats the compiler's format checking rightly rejects (unknown conversions, a trailing '%'). */
static size_t format_unchecked(char *buf, size_t size, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    size_t length = format_string(buf, size, format, args);
    va_end(args);
    return length;
}

static void test_signed_decimal(void **state)
{
    (void)state;
    ASSERT_LIKE_SNPRINTF("%d", 0);
    ASSERT_LIKE_SNPRINTF("%d", 42);
    ASSERT_LIKE_SNPRINTF("%d", -42);
    ASSERT_LIKE_SNPRINTF("%i", -7);
    ASSERT_LIKE_SNPRINTF("%d", INT_MAX);
    ASSERT_LIKE_SNPRINTF("%d", INT_MIN);
    ASSERT_LIKE_SNPRINTF("%i", INT_MIN);
    ASSERT_LIKE_SNPRINTF("%ld", LONG_MIN);
    ASSERT_LIKE_SNPRINTF("%li", LONG_MAX);
    ASSERT_LIKE_SNPRINTF("%lld", LLONG_MIN);
    ASSERT_LIKE_SNPRINTF("%lld", LLONG_MAX);
    ASSERT_LIKE_SNPRINTF("%lld", -1LL);
}

static void test_unsigned_decimal(void **state)
{
    (void)state;
    ASSERT_LIKE_SNPRINTF("%u", 0u);
    ASSERT_LIKE_SNPRINTF("%u", 4000000000u);
    ASSERT_LIKE_SNPRINTF("%u", UINT_MAX);
    ASSERT_LIKE_SNPRINTF("%lu", ULONG_MAX);
    ASSERT_LIKE_SNPRINTF("%llu", ULLONG_MAX);
    ASSERT_LIKE_SNPRINTF("%zu", (size_t)0);
    ASSERT_LIKE_SNPRINTF("%zu", SIZE_MAX);
    ASSERT_LIKE_SNPRINTF("%zu", sizeof(long double));
}

static void test_hexadecimal(void **state)
{
    (void)state;
    ASSERT_LIKE_SNPRINTF("%x", 0u);
    ASSERT_LIKE_SNPRINTF("%x", 0xdeadbeefu);
    ASSERT_LIKE_SNPRINTF("%X", 0xdeadbeefu);
    ASSERT_LIKE_SNPRINTF("%x", UINT_MAX);
    ASSERT_LIKE_SNPRINTF("%lx", ULONG_MAX);
    ASSERT_LIKE_SNPRINTF("%llx", 0x0123456789abcdefULL);
    ASSERT_LIKE_SNPRINTF("%llX", 0xfedcba9876543210ULL);
    ASSERT_LIKE_SNPRINTF("%zx", (size_t)0x1000);
    /* '#' adds 0x (0X for %X) to non-zero values only. */
    ASSERT_LIKE_SNPRINTF("%#x", 0xffu);
    ASSERT_LIKE_SNPRINTF("%#X", 0xffu);
    ASSERT_LIKE_SNPRINTF("%#x", 0u);
    ASSERT_LIKE_SNPRINTF("%#llx", 0ULL);
    ASSERT_LIKE_SNPRINTF("%#llx", 0xffff800000000000ULL);
}

/* Field widths: right-aligned by default, '-' left-aligns, '0' pads with zeros after the sign or 0x. */
static void test_width_and_flags(void **state)
{
    (void)state;
    ASSERT_LIKE_SNPRINTF("%5d|", 42);
    ASSERT_LIKE_SNPRINTF("%5d|", -42);
    ASSERT_LIKE_SNPRINTF("%-5d|", 42);
    ASSERT_LIKE_SNPRINTF("%-5d|", -42);
    ASSERT_LIKE_SNPRINTF("%05d|", 42);
    ASSERT_LIKE_SNPRINTF("%05d|", -42);
    ASSERT_LIKE_SNPRINTF("%2d|", 12345);
    ASSERT_LIKE_SNPRINTF("%05d|", -12345);
    ASSERT_LIKE_SNPRINTF("%8u|", 7u);
    ASSERT_LIKE_SNPRINTF("%-8x|", 0xabcu);
    ASSERT_LIKE_SNPRINTF("%08X|", 0xabcu);
    ASSERT_LIKE_SNPRINTF("%016llx", 0xdeadbeefULL);
    ASSERT_LIKE_SNPRINTF("%016llx", 0ULL);
    ASSERT_LIKE_SNPRINTF("%#010x", 0xffu);
    ASSERT_LIKE_SNPRINTF("%#010x", 0u);
    ASSERT_LIKE_SNPRINTF("%#10x|", 0xffu);
    ASSERT_LIKE_SNPRINTF("%-#10x|", 0xffu);
    ASSERT_LIKE_SNPRINTF("%#018llx", 0x1000ULL);
    ASSERT_LIKE_SNPRINTF("%20lld|", LLONG_MIN);
    ASSERT_LIKE_SNPRINTF("%025lld|", LLONG_MIN);
    ASSERT_LIKE_SNPRINTF("%-8zu|", (size_t)123);
}

static void test_strings_and_characters(void **state)
{
    (void)state;
    ASSERT_LIKE_SNPRINTF("%s", "");
    ASSERT_LIKE_SNPRINTF("%s", "kapsel");
    ASSERT_LIKE_SNPRINTF("[%s]", "two words");
    ASSERT_LIKE_SNPRINTF("%-8s|", "abc");
    ASSERT_LIKE_SNPRINTF("%8s|", "abc");
    ASSERT_LIKE_SNPRINTF("%2s|", "longer than the width");
    ASSERT_LIKE_SNPRINTF("%c", 'x');
    ASSERT_LIKE_SNPRINTF("%c%c%c", 'a', 'b', 'c');
    ASSERT_LIKE_SNPRINTF("%3c|", 'x');
    ASSERT_LIKE_SNPRINTF("%-3c|", 'x');
    ASSERT_LIKE_SNPRINTF("%%");
    ASSERT_LIKE_SNPRINTF("100%% done");
    ASSERT_LIKE_SNPRINTF("no conversions at all");
    /* %c prints its int argument converted to unsigned char. */
    ASSERT_LIKE_SNPRINTF("%c", 0x141);
    ASSERT_LIKE_SNPRINTF("%s=%d (%#x) %c%%", "answer", 42, 42u, '!');
}

static void test_null_string(void **state)
{
    (void)state;
    char buf[32];
    const char *volatile missing = NULL;
    assert_int_equal(format_string_to(buf, sizeof(buf), "%s", missing), 6);
    assert_string_equal(buf, "(null)");
    assert_int_equal(format_string_to(buf, sizeof(buf), "[%8s]", missing), 10);
    assert_string_equal(buf, "[  (null)]");
}

/* %p is always "0x" and exactly 16 zero-padded lowercase hex digits. */
static void test_pointer(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(format_string_to(buf, sizeof(buf), "%p", (void *)(uintptr_t)0x1234), 18);
    assert_string_equal(buf, "0x0000000000001234");
    assert_int_equal(format_string_to(buf, sizeof(buf), "%p", NULL), 18);
    assert_string_equal(buf, "0x0000000000000000");
    assert_int_equal(format_string_to(buf, sizeof(buf), "<%p>", (void *)(uintptr_t)0xffff8000deadbeefULL), 20);
    assert_string_equal(buf, "<0xffff8000deadbeef>");
}

/* An unknown conversion is printed verbatim (without flags or width) and consumes no argument. */
static void test_unknown_conversion(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(format_unchecked(buf, sizeof(buf), "%q"), 2);
    assert_string_equal(buf, "%q");
    assert_int_equal(format_unchecked(buf, sizeof(buf), "a%qb%d", 5), 5);
    assert_string_equal(buf, "a%qb5");
}

/* As in C, '-' wins over '0': the field is left-aligned and padded with spaces (the compiler warns about "%-05d"). */
static void test_left_align_overrides_zero_pad(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(format_unchecked(buf, sizeof(buf), "%-05d|", -42), 6);
    assert_string_equal(buf, "-42  |");
    assert_int_equal(format_unchecked(buf, sizeof(buf), "%0-#8x|", 0xabu), 9);
    assert_string_equal(buf, "0xab    |");
}

/* A '%' at the very end prints itself and the formatter stops at the terminator, even after flags or "ll". */
static void test_trailing_percent(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(format_unchecked(buf, sizeof(buf), "100%"), 4);
    assert_string_equal(buf, "100%");
    assert_int_equal(format_unchecked(buf, sizeof(buf), "%"), 1);
    assert_string_equal(buf, "%");
    assert_int_equal(format_unchecked(buf, sizeof(buf), "x%ll"), 2);
    assert_string_equal(buf, "x%");
    assert_int_equal(format_unchecked(buf, sizeof(buf), "x%-08"), 2);
    assert_string_equal(buf, "x%");
}

/*
 * "12345-abcdef" is 12 characters. With an 8-byte buffer, 7 are written and a NUL; the return value is still 12,
 * and no byte at or after buf[size] is touched.
 */
static void test_truncation(void **state)
{
    (void)state;
    char buf[16];
    memset(buf, '#', sizeof(buf));
    assert_int_equal(format_string_to(buf, 8, "%d-%s", 12345, "abcdef"), 12);
    assert_string_equal(buf, "12345-a");
    for (size_t i = 8; i < sizeof(buf); i++) {
        assert_int_equal(buf[i], '#');
    }

    /* Exactly enough room, and one byte short of it. */
    memset(buf, '#', sizeof(buf));
    assert_int_equal(format_string_to(buf, 13, "%d-%s", 12345, "abcdef"), 12);
    assert_string_equal(buf, "12345-abcdef");
    assert_int_equal(buf[13], '#');
    assert_int_equal(format_string_to(buf, 12, "%d-%s", 12345, "abcdef"), 12);
    assert_string_equal(buf, "12345-abcde");

    /* Truncation inside padding and inside a zero-padded number. */
    assert_int_equal(format_string_to(buf, 4, "%8d", 1), 8);
    assert_string_equal(buf, "   ");
    assert_int_equal(format_string_to(buf, 6, "%#010x", 0xabu), 10);
    assert_string_equal(buf, "0x000");
}

static void test_truncation_matches_snprintf(void **state)
{
    (void)state;
    for (size_t size = 1; size <= 24; size++) {
        char expected[32];
        char actual[32];
        int expected_length = snprintf(expected, size, "%-6s|%5d|%#x|%c", "ab", -17, 0x1fu, 'z');
        size_t actual_length = format_string_to(actual, size, "%-6s|%5d|%#x|%c", "ab", -17, 0x1fu, 'z');
        assert_int_equal(actual_length, expected_length);
        assert_string_equal(actual, expected);
    }
}

static void test_size_one_writes_only_terminator(void **state)
{
    (void)state;
    char buf[4] = {'#', '#', '#', '#'};
    assert_int_equal(format_string_to(buf, 1, "hello %d", 42), 8);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], '#');
}

static void test_size_zero_writes_nothing(void **state)
{
    (void)state;
    char buf[4] = {'#', '#', '#', '#'};
    assert_int_equal(format_string_to(buf, 0, "hello %s", "world"), 11);
    assert_memory_equal(buf, "####", 4);
    assert_int_equal(format_string_to(NULL, 0, "%d", -123), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_decimal),
        cmocka_unit_test(test_unsigned_decimal),
        cmocka_unit_test(test_hexadecimal),
        cmocka_unit_test(test_width_and_flags),
        cmocka_unit_test(test_strings_and_characters),
        cmocka_unit_test(test_null_string),
        cmocka_unit_test(test_pointer),
        cmocka_unit_test(test_unknown_conversion),
        cmocka_unit_test(test_left_align_overrides_zero_pad),
        cmocka_unit_test(test_trailing_percent),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_truncation_matches_snprintf),
        cmocka_unit_test(test_size_one_writes_only_terminator),
        cmocka_unit_test(test_size_zero_writes_nothing),
    };
    return cmocka_run_group_tests_name("format_test", tests, NULL, NULL);
}
