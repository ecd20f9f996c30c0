/* Unit tests for the device registry (vmm/device_registry.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "device_registry.h"

#include <string.h>

/* A fake device: remembers the last access and answers reads with a fixed value. */
struct recorder {
    unsigned calls;
    uint64_t offset;
    unsigned size;
    bool was_write;
    uint64_t value;
};

static const char *record_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    struct recorder *recorder = context;
    *recorder = (struct recorder){recorder->calls + 1, offset, size, false, 0};
    *value = 0x1122334455667788ull;
    return NULL;
}

static const char *record_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    struct recorder *recorder = context;
    *recorder = (struct recorder){recorder->calls + 1, offset, size, true, value};
    return offset == 0x10 ? "register 0x10 is read-only" : NULL;
}

static struct device device_at(enum device_space space, uint64_t base, uint64_t size, unsigned sizes,
                               struct recorder *recorder)
{
    return (struct device){"fake", space, base, size, sizes, record_read, record_write, recorder};
}

static void test_overlapping_ranges_are_refused(void **state)
{
    (void)state;
    struct device_registry registry;
    struct recorder recorder = {0};
    device_registry_init(&registry);
    struct device first = device_at(DEVICE_SPACE_MMIO, 0x1000, 0x100, 4, &recorder);
    assert_int_equal(device_registry_add(&registry, &first), ERROR_NONE);
    struct device same = first;
    assert_int_equal(device_registry_add(&registry, &same), ERROR_OVERLAP);
    struct device tail = device_at(DEVICE_SPACE_MMIO, 0x10ff, 0x10, 4, &recorder);
    assert_int_equal(device_registry_add(&registry, &tail), ERROR_OVERLAP);
    struct device head = device_at(DEVICE_SPACE_MMIO, 0xf00, 0x101, 4, &recorder);
    assert_int_equal(device_registry_add(&registry, &head), ERROR_OVERLAP);
    struct device around = device_at(DEVICE_SPACE_MMIO, 0, 0x10000, 4, &recorder);
    assert_int_equal(device_registry_add(&registry, &around), ERROR_OVERLAP);
    /* Adjacent on both sides is fine, and so is the same range in the other space. */
    struct device before = device_at(DEVICE_SPACE_MMIO, 0xf00, 0x100, 4, &recorder);
    struct device after = device_at(DEVICE_SPACE_MMIO, 0x1100, 0x100, 4, &recorder);
    struct device ports = device_at(DEVICE_SPACE_PORT, 0x1000, 0x100, 1, &recorder);
    assert_int_equal(device_registry_add(&registry, &before), ERROR_NONE);
    assert_int_equal(device_registry_add(&registry, &after), ERROR_NONE);
    assert_int_equal(device_registry_add(&registry, &ports), ERROR_NONE);
    assert_int_equal(registry.count, 4);
    /* A range up to the very end of the address space. */
    struct device top = device_at(DEVICE_SPACE_MMIO, UINT64_MAX - 0xfff, 0x1000, 4, &recorder);
    assert_int_equal(device_registry_add(&registry, &top), ERROR_NONE);
    struct device below_top = device_at(DEVICE_SPACE_MMIO, UINT64_MAX - 0x1fff, 0x1001, 4, &recorder);
    assert_int_equal(device_registry_add(&registry, &below_top), ERROR_OVERLAP);
}

static void test_invalid_devices_are_refused(void **state)
{
    (void)state;
    struct device_registry registry;
    struct recorder recorder = {0};
    device_registry_init(&registry);
    struct device empty = device_at(DEVICE_SPACE_MMIO, 0x1000, 0, 4, &recorder);
    struct device wrapping = device_at(DEVICE_SPACE_MMIO, UINT64_MAX - 0xfff, 0x2000, 4, &recorder);
    struct device beyond_ports = device_at(DEVICE_SPACE_PORT, 0xfff8, 9, 1, &recorder);
    struct device no_sizes = device_at(DEVICE_SPACE_MMIO, 0x1000, 0x10, 0, &recorder);
    struct device odd_size = device_at(DEVICE_SPACE_MMIO, 0x1000, 0x10, 4 | 16, &recorder);
    struct device no_write = device_at(DEVICE_SPACE_MMIO, 0x1000, 0x10, 4, &recorder);
    no_write.write = NULL;
    struct device bad_space = device_at((enum device_space)7, 0x1000, 0x10, 4, &recorder);
    const struct device *invalid[] = {&empty, &wrapping, &beyond_ports, &no_sizes, &odd_size, &no_write, &bad_space};
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        assert_int_equal(device_registry_add(&registry, invalid[i]), ERROR_INVALID_ARGUMENT);
    }
    assert_int_equal(registry.count, 0);
    struct device last_port = device_at(DEVICE_SPACE_PORT, 0xfff8, 8, 1, &recorder);
    assert_int_equal(device_registry_add(&registry, &last_port), ERROR_NONE);
}

static void test_the_table_has_a_limit(void **state)
{
    (void)state;
    struct device_registry registry;
    struct recorder recorder = {0};
    device_registry_init(&registry);
    for (uint64_t i = 0; i < DEVICE_REGISTRY_MAX; i++) {
        struct device device = device_at(DEVICE_SPACE_MMIO, i * 0x1000, 0x1000, 4, &recorder);
        assert_int_equal(device_registry_add(&registry, &device), ERROR_NONE);
    }
    struct device one_more = device_at(DEVICE_SPACE_MMIO, 0x100000, 0x1000, 4, &recorder);
    assert_int_equal(device_registry_add(&registry, &one_more), ERROR_TOO_MANY);
}

static void test_lookup_goes_by_space_and_address(void **state)
{
    (void)state;
    struct device_registry registry;
    struct recorder a = {0}, b = {0}, c = {0};
    device_registry_init(&registry);
    struct device serial = device_at(DEVICE_SPACE_PORT, 0x3f8, 8, 1, &a);
    struct device mmio_low = device_at(DEVICE_SPACE_MMIO, 0x3f8, 8, 4, &b);
    struct device mmio_high = device_at(DEVICE_SPACE_MMIO, 0xd0000000, 0x1000, 4, &c);
    assert_int_equal(device_registry_add(&registry, &serial), ERROR_NONE);
    assert_int_equal(device_registry_add(&registry, &mmio_low), ERROR_NONE);
    assert_int_equal(device_registry_add(&registry, &mmio_high), ERROR_NONE);
    assert_ptr_equal(device_registry_find(&registry, DEVICE_SPACE_PORT, 0x3f8)->context, &a);
    assert_ptr_equal(device_registry_find(&registry, DEVICE_SPACE_PORT, 0x3ff)->context, &a);
    assert_null(device_registry_find(&registry, DEVICE_SPACE_PORT, 0x400));
    assert_null(device_registry_find(&registry, DEVICE_SPACE_PORT, 0x3f7));
    assert_ptr_equal(device_registry_find(&registry, DEVICE_SPACE_MMIO, 0x3fc)->context, &b);
    assert_ptr_equal(device_registry_find(&registry, DEVICE_SPACE_MMIO, 0xd0000ffc)->context, &c);
    assert_null(device_registry_find(&registry, DEVICE_SPACE_MMIO, 0xd0001000));
    assert_null(device_registry_find(&registry, DEVICE_SPACE_MMIO, 0x40000000));
}

static void test_accesses_reach_the_device_with_offsets(void **state)
{
    (void)state;
    struct recorder recorder = {0};
    struct device device = device_at(DEVICE_SPACE_MMIO, 0xd0000000, 0x1000, 4 | 8, &recorder);
    uint64_t value = 0;
    assert_null(device_access(&device, 0xd0000008, 4, false, &value));
    assert_int_equal(value, 0x1122334455667788ull);
    assert_int_equal(recorder.calls, 1);
    assert_int_equal(recorder.offset, 8);
    assert_int_equal(recorder.size, 4);
    assert_false(recorder.was_write);
    value = 0xabcdef;
    assert_null(device_access(&device, 0xd0000ff8, 8, true, &value));
    assert_int_equal(recorder.offset, 0xff8);
    assert_int_equal(recorder.size, 8);
    assert_true(recorder.was_write);
    assert_int_equal(recorder.value, 0xabcdef);
    /* The device's own refusal comes back unchanged. */
    assert_string_equal(device_access(&device, 0xd0000010, 4, true, &value), "register 0x10 is read-only");
}

static void test_bad_accesses_never_reach_the_device(void **state)
{
    (void)state;
    struct recorder recorder = {0};
    struct device device = device_at(DEVICE_SPACE_MMIO, 0xd0000000, 0x1000, 4, &recorder);
    uint64_t value = 0;
    assert_non_null(strstr(device_access(&device, 0xd0000000, 1, false, &value), "size"));
    assert_non_null(strstr(device_access(&device, 0xd0000000, 2, true, &value), "size"));
    assert_non_null(strstr(device_access(&device, 0xd0000000, 8, false, &value), "size"));
    assert_non_null(strstr(device_access(&device, 0xd0000000, 3, false, &value), "size"));
    assert_non_null(strstr(device_access(&device, 0xd0000000, 0, false, &value), "size"));
    assert_non_null(strstr(device_access(&device, 0xd0000000, 16, false, &value), "size"));
    assert_non_null(strstr(device_access(&device, 0xd0000002, 4, false, &value), "unaligned"));
    assert_non_null(strstr(device_access(&device, 0xd0001000, 4, false, &value), "does not fit"));
    assert_non_null(strstr(device_access(&device, 0xcffffffc, 4, false, &value), "does not fit"));
    /* A device smaller than the access size. */
    struct device tiny = device_at(DEVICE_SPACE_PORT, 0x80, 1, 1 | 4, &recorder);
    assert_non_null(strstr(device_access(&tiny, 0x80, 4, false, &value), "does not fit"));
    assert_int_equal(recorder.calls, 0);
    assert_null(device_access(&tiny, 0x80, 1, false, &value));
    assert_int_equal(recorder.calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlapping_ranges_are_refused),
        cmocka_unit_test(test_invalid_devices_are_refused),
        cmocka_unit_test(test_the_table_has_a_limit),
        cmocka_unit_test(test_lookup_goes_by_space_and_address),
        cmocka_unit_test(test_accesses_reach_the_device_with_offsets),
        cmocka_unit_test(test_bad_accesses_never_reach_the_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
