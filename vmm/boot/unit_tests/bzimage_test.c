/* Unit tests for the bzImage checks (vmm/boot/bzimage.c), on images made here and on Debian's cloud kernel. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "bzimage.h"
#include "host_kernel.h"
#include "synthetic_bzimage.h"
#include <stdlib.h>
#include <string.h>

static uint8_t *image;

static int make_image(void **state)
{
    (void)state;
    image = synthetic_bzimage();
    return 0;
}

static int free_image(void **state)
{
    (void)state;
    free(image);
    return 0;
}

static enum boot_error parse(size_t size)
{
    struct bzimage bzimage;
    return bzimage_parse(image, size, &bzimage);
}

static void test_describes_a_valid_image(void **state)
{
    (void)state;
    struct bzimage bzimage;
    assert_int_equal(bzimage_parse(image, SYNTHETIC_IMAGE_SIZE, &bzimage), BOOT_OK);
    assert_int_equal(bzimage.protocol_version, 0x020f);
    assert_int_equal(bzimage.loadflags, 0x01);
    assert_int_equal(bzimage.xloadflags, 0x01);
    assert_true(bzimage.relocatable);
    assert_int_equal(bzimage.kernel_alignment, SYNTHETIC_ALIGNMENT);
    assert_int_equal(bzimage.pref_address, SYNTHETIC_PREF_ADDRESS);
    assert_int_equal(bzimage.init_size, SYNTHETIC_INIT_SIZE);
    assert_int_equal(bzimage.cmdline_size, SYNTHETIC_CMDLINE_SIZE);
    assert_int_equal(bzimage.initrd_addr_max, SYNTHETIC_INITRD_ADDR_MAX);
    assert_int_equal(bzimage.setup_header_end, HDR_END_2_15);
    assert_int_equal(bzimage.kernel_offset, SYNTHETIC_KERNEL_OFFSET);
    assert_int_equal(bzimage.kernel_size, SYNTHETIC_KERNEL_SIZE);
}

static void test_setup_sects_zero_means_four(void **state)
{
    (void)state;
    image[HDR_SETUP_SECTS] = 0;
    struct bzimage bzimage;
    assert_int_equal(bzimage_parse(image, SYNTHETIC_IMAGE_SIZE, &bzimage), BOOT_OK);
    assert_int_equal(bzimage.kernel_offset, 5 * 512);
}

static void test_setup_sects_place_the_kernel(void **state)
{
    (void)state;
    image[HDR_SETUP_SECTS] = 2;
    put32(image, HDR_SYSSIZE, 0);
    struct bzimage bzimage;
    assert_int_equal(bzimage_parse(image, SYNTHETIC_IMAGE_SIZE, &bzimage), BOOT_OK);
    assert_int_equal(bzimage.kernel_offset, 3 * 512);
    assert_int_equal(bzimage.kernel_size, SYNTHETIC_IMAGE_SIZE - 3 * 512);
}

static void test_rejects_image_too_short_for_the_magic(void **state)
{
    (void)state;
    assert_int_equal(parse(0), BOOT_ERROR_IMAGE_TRUNCATED);
    assert_int_equal(parse(0x205), BOOT_ERROR_IMAGE_TRUNCATED);
}

static void test_rejects_missing_hdrs_magic(void **state)
{
    (void)state;
    image[HDR_MAGIC + 3] = 'T';
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_ERROR_BAD_MAGIC);
}

static void test_rejects_missing_boot_flag(void **state)
{
    (void)state;
    put16(image, HDR_BOOT_FLAG, 0x55aa);
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_ERROR_BAD_MAGIC);
}

static void test_rejects_protocol_older_than_2_12(void **state)
{
    (void)state;
    put16(image, HDR_VERSION, 0x020b);
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_ERROR_PROTOCOL_TOO_OLD);
    put16(image, HDR_VERSION, 0x020c);
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_OK);
}

static void test_rejects_header_shorter_than_2_12(void **state)
{
    (void)state;
    image[HDR_JUMP + 1] = 0x268 - 0x202 - 1;
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_ERROR_BAD_HEADER_LENGTH);
    image[HDR_JUMP + 1] = 0x268 - 0x202;
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_OK);
}

static void test_rejects_backward_or_missing_jump(void **state)
{
    (void)state;
    image[HDR_JUMP + 1] = 0x80; /* a jump backwards, not over a header */
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_ERROR_BAD_HEADER_LENGTH);
    image[HDR_JUMP + 1] = HDR_END_2_15 - 0x202;
    image[HDR_JUMP] = 0xe9; /* a near jump: its byte at 0x201 is no header length */
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_ERROR_BAD_HEADER_LENGTH);
}

static void test_rejects_image_ending_inside_the_header(void **state)
{
    (void)state;
    assert_int_equal(parse(HDR_END_2_15 - 1), BOOT_ERROR_IMAGE_TRUNCATED);
}

static void test_rejects_zimage(void **state)
{
    (void)state;
    image[HDR_LOADFLAGS] = 0x80; /* CAN_USE_HEAP, but not LOADED_HIGH */
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_ERROR_NOT_BZIMAGE);
}

static void test_rejects_kernel_without_64_bit_entry(void **state)
{
    (void)state;
    put16(image, HDR_XLOADFLAGS, 0x02); /* XLF_CAN_BE_LOADED_ABOVE_4G alone */
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_ERROR_NOT_64_BIT);
}

static void test_rejects_setup_reaching_the_end(void **state)
{
    (void)state;
    image[HDR_SETUP_SECTS] = 200;
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_ERROR_SETUP_PAST_END);
    image[HDR_SETUP_SECTS] = SYNTHETIC_SETUP_SECTS;
    assert_int_equal(parse(SYNTHETIC_KERNEL_OFFSET), BOOT_ERROR_SETUP_PAST_END); /* no kernel byte left */
}

static void test_rejects_kernel_shorter_than_syssize(void **state)
{
    (void)state;
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE - 1), BOOT_ERROR_KERNEL_TRUNCATED);
    put32(image, HDR_SYSSIZE, SYNTHETIC_KERNEL_SIZE / 16 + 1);
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_ERROR_KERNEL_TRUNCATED);
}

static void test_rejects_relocatable_kernel_with_bad_alignment(void **state)
{
    (void)state;
    put32(image, HDR_KERNEL_ALIGNMENT, 0x300000);
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_ERROR_BAD_ALIGNMENT);
    put32(image, HDR_KERNEL_ALIGNMENT, 0);
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_ERROR_BAD_ALIGNMENT);
    image[HDR_RELOCATABLE_KERNEL] = 0; /* then the alignment does not matter */
    assert_int_equal(parse(SYNTHETIC_IMAGE_SIZE), BOOT_OK);
}

static void test_every_error_has_its_own_message(void **state)
{
    (void)state;
    for (int a = 0; a < BOOT_ERROR_COUNT; a++) {
        assert_non_null(boot_error_message((enum boot_error)a));
        for (int b = 0; b < a; b++) {
            assert_string_not_equal(boot_error_message((enum boot_error)a), boot_error_message((enum boot_error)b));
        }
    }
    assert_string_equal(boot_error_message(BOOT_ERROR_COUNT), "unknown boot error");
}

static void test_debian_cloud_kernel(void **state)
{
    (void)state;
    char path[256];
    size_t size;
    uint8_t *kernel = host_kernel_read(&size, path, sizeof path);
    if (kernel == NULL) {
        print_message("SKIPPED: no " HOST_KERNEL_PATTERN " (apt-get install linux-image-cloud-amd64)\n");
        skip();
    }
    struct bzimage bzimage;
    enum boot_error error = bzimage_parse(kernel, size, &bzimage);
    print_message("%s: %s, protocol %x.%02x, xloadflags %#x, init_size %#x\n", path, boot_error_message(error),
                  bzimage.protocol_version >> 8, bzimage.protocol_version & 0xff, bzimage.xloadflags,
                  bzimage.init_size);
    assert_int_equal(error, BOOT_OK);
    assert_true(bzimage.protocol_version >= 0x020f);
    assert_true(bzimage.xloadflags & BZIMAGE_XLF_KERNEL_64);
    assert_true(bzimage.kernel_size + bzimage.kernel_offset == size);
    free(kernel);
}

#define IMAGE_TEST(name) cmocka_unit_test_setup_teardown(name, make_image, free_image)

int main(void)
{
    const struct CMUnitTest tests[] = {
        IMAGE_TEST(test_describes_a_valid_image),
        IMAGE_TEST(test_setup_sects_zero_means_four),
        IMAGE_TEST(test_setup_sects_place_the_kernel),
        IMAGE_TEST(test_rejects_image_too_short_for_the_magic),
        IMAGE_TEST(test_rejects_missing_hdrs_magic),
        IMAGE_TEST(test_rejects_missing_boot_flag),
        IMAGE_TEST(test_rejects_protocol_older_than_2_12),
        IMAGE_TEST(test_rejects_header_shorter_than_2_12),
        IMAGE_TEST(test_rejects_backward_or_missing_jump),
        IMAGE_TEST(test_rejects_image_ending_inside_the_header),
        IMAGE_TEST(test_rejects_zimage),
        IMAGE_TEST(test_rejects_kernel_without_64_bit_entry),
        IMAGE_TEST(test_rejects_setup_reaching_the_end),
        IMAGE_TEST(test_rejects_kernel_shorter_than_syssize),
        IMAGE_TEST(test_rejects_relocatable_kernel_with_bad_alignment),
        cmocka_unit_test(test_every_error_has_its_own_message),
        cmocka_unit_test(test_debian_cloud_kernel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
