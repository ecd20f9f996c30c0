/* Unit tests for the AML writer (vmm/boot/aml_writer.c), against byte sequences from the ACPI 6.5 spec. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "aml_writer.h"
#include <string.h>

static uint8_t bytes[0x2000];
static struct aml_writer writer;

static int set_up(void **state)
{
    (void)state;
    memset(bytes, 0xee, sizeof bytes);
    aml_writer_init(&writer, bytes, sizeof bytes);
    return 0;
}

#define ASSERT_WRITTEN(...)                                                                                            \
    do {                                                                                                               \
        const uint8_t expected[] = {__VA_ARGS__};                                                                      \
        assert_false(writer.failed);                                                                                   \
        assert_int_equal(writer.length, sizeof expected);                                                              \
        assert_memory_equal(bytes, expected, sizeof expected);                                                         \
    } while (0)

static void test_integers_take_their_smallest_encoding(void **state)
{
    (void)state;
    aml_integer(&writer, 0);
    aml_integer(&writer, 1);
    aml_integer(&writer, 2);
    aml_integer(&writer, 0xff);
    aml_integer(&writer, 0x100);
    aml_integer(&writer, 0xffff);
    aml_integer(&writer, 0x10000);
    aml_integer(&writer, 0xffffffff);
    aml_integer(&writer, 0x100000000);
    ASSERT_WRITTEN(0x00, 0x01, 0x0a, 0x02, 0x0a, 0xff, 0x0b, 0x00, 0x01, 0x0b, 0xff, 0xff, 0x0c, 0x00, 0x00, 0x01, 0x00,
                   0x0c, 0xff, 0xff, 0xff, 0xff, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00);
}

static void test_strings_and_names(void **state)
{
    (void)state;
    aml_name(&writer, "_HID");
    aml_string(&writer, "LNRO0005");
    aml_name_seg(&writer, "VR07");
    ASSERT_WRITTEN(0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00, 'V', 'R', '0', '7');
}

static void test_empty_scope_and_device(void **state)
{
    (void)state;
    size_t scope = aml_scope_begin(&writer, "_SB_");
    size_t device = aml_device_begin(&writer, "VR00");
    aml_package_end(&writer, device);
    aml_package_end(&writer, scope);
    /* Scope's PkgLength: itself, '\', _SB_, and the device's 7 bytes. */
    ASSERT_WRITTEN(0x10, 0x0d, '\\', '_', 'S', 'B', '_', 0x5b, 0x82, 0x05, 'V', 'R', '0', '0');
}

static void test_buffer(void **state)
{
    (void)state;
    const uint8_t contents[] = {0xb0, 0xb1, 0xb2};
    aml_buffer(&writer, contents, sizeof contents);
    ASSERT_WRITTEN(0x11, 0x06, 0x0a, 0x03, 0xb0, 0xb1, 0xb2);
}

/* A scope whose contents (root name and a string) take content bytes in all; returns where they start. */
static size_t scope_of(size_t content)
{
    char string[0x1100];
    size_t string_length = content - 5 - 2; /* '\' + NameSeg, StringPrefix + NUL */
    memset(string, 's', string_length);
    string[string_length] = 0;
    size_t scope = aml_scope_begin(&writer, "_SB_");
    aml_string(&writer, string);
    aml_package_end(&writer, scope);
    assert_false(writer.failed);
    return scope;
}

static void check_pkg_length(size_t content, const uint8_t *encoding, size_t encoding_length)
{
    set_up(NULL);
    size_t scope = scope_of(content);
    assert_int_equal(writer.length, 1 + encoding_length + content);
    assert_memory_equal(bytes + scope, encoding, encoding_length);
    assert_int_equal(bytes[scope + encoding_length], '\\'); /* the contents moved up intact */
    assert_int_equal(bytes[writer.length - 2], 's');
    assert_int_equal(bytes[writer.length - 1], 0);
}

static void test_pkg_length_grows_at_its_boundaries(void **state)
{
    (void)state;
    check_pkg_length(62, (const uint8_t[]){0x3f}, 1);               /* 63: the most one byte holds */
    check_pkg_length(63, (const uint8_t[]){0x41, 0x04}, 2);         /* 65 = 0x041 */
    check_pkg_length(4093, (const uint8_t[]){0x4f, 0xff}, 2);       /* 4095 = 0xfff */
    check_pkg_length(4094, (const uint8_t[]){0x81, 0x00, 0x01}, 3); /* 4097 = 0x1001 */
}

static void test_resource_descriptors(void **state)
{
    (void)state;
    aml_memory32_fixed(&writer, true, 0xd0000000u, 0x200);
    aml_extended_interrupt(&writer, AML_INTERRUPT_CONSUMER, 5);
    aml_end_tag(&writer);
    ASSERT_WRITTEN(0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00, /* Memory32Fixed */
                   0x89, 0x06, 0x00, 0x01, 0x01, 0x05, 0x00, 0x00, 0x00,                   /* Interrupt */
                   0x79, 0x00);                                                            /* End Tag */
}

static void test_interrupt_flags(void **state)
{
    (void)state;
    aml_memory32_fixed(&writer, false, 0, 1);
    aml_extended_interrupt(
        &writer, AML_INTERRUPT_CONSUMER | AML_INTERRUPT_EDGE | AML_INTERRUPT_ACTIVE_LOW | AML_INTERRUPT_SHARED,
        0x12345678);
    ASSERT_WRITTEN(0x86, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, /* read-only */
                   0x89, 0x06, 0x00, 0x0f, 0x01, 0x78, 0x56, 0x34, 0x12);
}

/* What iasl makes of IO (Decode16, 0x0060, 0x0060, 0x01, 0x01), IO (Decode16, 0x0064, ...) and IRQNoFlags () {1}. */
static void test_isa_resource_descriptors(void **state)
{
    (void)state;
    aml_io_ports(&writer, 0x60, 1);
    aml_io_ports(&writer, 0x64, 1);
    aml_isa_irq(&writer, 1);
    aml_isa_irq(&writer, 15);
    ASSERT_WRITTEN(0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01, /* IO */
                   0x47, 0x01, 0x64, 0x00, 0x64, 0x00, 0x01, 0x01, /* IO */
                   0x22, 0x02, 0x00,                               /* IRQNoFlags {1} */
                   0x22, 0x00, 0x80);                              /* IRQNoFlags {15} */
}

static void test_isa_irq_beyond_15_fails(void **state)
{
    (void)state;
    aml_isa_irq(&writer, 16);
    assert_true(writer.failed);
    assert_int_equal(writer.length, 0);
}

static void test_running_out_of_room_fails_and_stops(void **state)
{
    (void)state;
    aml_writer_init(&writer, bytes, 4);
    aml_name_seg(&writer, "ABCD");
    assert_false(writer.failed);
    aml_integer(&writer, 0);
    assert_true(writer.failed);
    assert_int_equal(writer.length, 4);
    assert_int_equal(bytes[4], 0xee);
    aml_writer_init(&writer, bytes, 10);
    size_t scope = aml_scope_begin(&writer, "_SB_");
    aml_name_seg(&writer, "ABCD"); /* fills it: the PkgLength then does not fit */
    assert_false(writer.failed);
    aml_package_end(&writer, scope);
    assert_true(writer.failed);
    assert_int_equal(bytes[10], 0xee);
}

static void test_measuring_counts_what_writing_writes(void **state)
{
    (void)state;
    struct aml_writer measure;
    aml_writer_init(&measure, NULL, 0);
    struct aml_writer *writers[] = {&writer, &measure};
    for (size_t i = 0; i < 2; i++) {
        size_t scope = aml_scope_begin(writers[i], "_SB_");
        for (int device = 0; device < 40; device++) {
            size_t package = aml_device_begin(writers[i], "VR00");
            aml_name(writers[i], "_UID");
            aml_integer(writers[i], (uint64_t)device << 20);
            aml_package_end(writers[i], package);
        }
        aml_package_end(writers[i], scope);
    }
    assert_false(writer.failed);
    assert_false(measure.failed);
    assert_int_equal(measure.length, writer.length);
}

/* PkgLength holds 28 bits. Measuring never reads the bytes it is given, so a huge count costs nothing. */
static void test_package_too_long_for_pkg_length(void **state)
{
    (void)state;
    struct aml_writer measure;
    aml_writer_init(&measure, NULL, 0);
    aml_buffer(&measure, bytes, ((size_t)1 << 28) - 16);
    assert_false(measure.failed);
    aml_writer_init(&measure, NULL, 0);
    aml_buffer(&measure, bytes, (size_t)1 << 28);
    assert_true(measure.failed);
}

#define WRITER_TEST(name) cmocka_unit_test_setup(name, set_up)

int main(void)
{
    const struct CMUnitTest tests[] = {
        WRITER_TEST(test_integers_take_their_smallest_encoding),
        WRITER_TEST(test_strings_and_names),
        WRITER_TEST(test_empty_scope_and_device),
        WRITER_TEST(test_buffer),
        WRITER_TEST(test_pkg_length_grows_at_its_boundaries),
        WRITER_TEST(test_resource_descriptors),
        WRITER_TEST(test_interrupt_flags),
        WRITER_TEST(test_isa_resource_descriptors),
        WRITER_TEST(test_isa_irq_beyond_15_fails),
        WRITER_TEST(test_running_out_of_room_fails_and_stops),
        WRITER_TEST(test_measuring_counts_what_writing_writes),
        WRITER_TEST(test_package_too_long_for_pkg_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
