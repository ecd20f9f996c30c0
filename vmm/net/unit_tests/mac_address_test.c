/* MAC address parsing: the manifest's form only. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "vmm/net/mac_address.h"

static void test_accepts_six_bytes(void **state)
{
    (void)state;
    uint8_t mac[6];
    assert_true(mac_address_parse("52:54:00:Ab:cD:ef", mac));
    const uint8_t expected[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
    assert_memory_equal(mac, expected, 6);
}

static void test_refuses_everything_else(void **state)
{
    (void)state;
    uint8_t mac[6] = {1, 2, 3, 4, 5, 6};
    const char *bad[] = {"",
                         "52:54:00:12:34",
                         "52:54:00:12:34:56:78",
                         "52:54:00:12:34:5",
                         "5:54:00:12:34:56",
                         "52-54-00-12-34-56",
                         "52:54:00:12:34:5g",
                         "52:54:00:12:34:56 ",
                         "+2:54:00:12:34:56"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(mac_address_parse(bad[i], mac));
    }
    const uint8_t unchanged[6] = {1, 2, 3, 4, 5, 6};
    assert_memory_equal(mac, unchanged, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_six_bytes),
        cmocka_unit_test(test_refuses_everything_else),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
