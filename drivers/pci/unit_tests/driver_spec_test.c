/* The supervised driver's launch spec. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "drivers/pci/driver_spec.h"

#include <string.h>

static const struct driver_spec nic = {.name = "nic",
                                       .image = "nic_driver.elf",
                                       .quota_bytes = 4 << 20,
                                       .memory_bytes = 1 << 20,
                                       .region_bytes = 256 << 10};

static void test_spec(void **state)
{
    (void)state;
    char text[512];
    size_t length = driver_spec_write(&nic, text, sizeof(text));
    assert_string_equal(text, "microapp nic\nimage nic_driver.elf\nquota 4096K\nmemory 1024K\ncapability log\n"
                              "capability dma_memory\ncapability peer:switch\nshared net 256K\n"
                              "arguments --switch-port net:switch\n");
    assert_int_equal(length, strlen(text));
}

static void test_too_small_a_buffer(void **state)
{
    (void)state;
    char text[64];
    assert_int_equal(driver_spec_write(&nic, text, sizeof(text)), 0);
}

static void test_sizes_in_whole_kib(void **state)
{
    (void)state;
    char text[512];
    struct driver_spec odd = nic;
    odd.region_bytes = 4097;
    assert_int_equal(driver_spec_write(&odd, text, sizeof(text)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec),
        cmocka_unit_test(test_too_small_a_buffer),
        cmocka_unit_test(test_sizes_in_whole_kib),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
