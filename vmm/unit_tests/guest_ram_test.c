/* Unit tests for mapping guest RAM into the Vm (vmm/guest_ram.c); vm_map is faked here and records each item. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "guest_ram.h"

#include <kapsel/syscall.h>

#define MIB (1ull << 20)

static struct {
    uint64_t item;
    uint64_t guest_physical;
} calls[1024];
static size_t call_count;
static size_t fail_at_call = SIZE_MAX;

enum error vm_map(uint64_t vm, uint64_t item, uint64_t guest_physical)
{
    assert_int_equal(vm, 42);
    if (call_count == fail_at_call) {
        return ERROR_QUOTA_EXCEEDED;
    }
    assert_true(call_count < sizeof(calls) / sizeof(calls[0]));
    calls[call_count].item = item;
    calls[call_count].guest_physical = guest_physical;
    call_count++;
    return ERROR_NONE;
}

static int set_up(void **state)
{
    (void)state;
    call_count = 0;
    fail_at_call = SIZE_MAX;
    return 0;
}

static void test_chunk_order(void **state)
{
    (void)state;
    assert_int_equal(guest_ram_chunk_order(0x200000, 0, 2 * MIB, 9), 9);
    assert_int_equal(guest_ram_chunk_order(0x200000, 0, 4 * MIB, 9), 9); /* capped */
    assert_int_equal(guest_ram_chunk_order(0x200000, 0, 2 * MIB - 4096, 9), 8);
    assert_int_equal(guest_ram_chunk_order(0x201000, 0, 2 * MIB, 9), 0);      /* source only page-aligned */
    assert_int_equal(guest_ram_chunk_order(0x200000, 0x1000, 2 * MIB, 9), 0); /* destination */
    assert_int_equal(guest_ram_chunk_order(0x210000, 0x10000, 2 * MIB, 9), 4);
    assert_int_equal(guest_ram_chunk_order(0x200000, 0, 4096, 9), 0);
}

/* Each item must be aligned at both ends, and together they cover the RAM once, in order. */
static void expect_coverage(const struct guest_memory *ram)
{
    uint64_t next = 0;
    for (size_t i = 0; i < call_count; i++) {
        uint64_t item = calls[i].item;
        uint64_t size = GUEST_PAGE_SIZE << ITEM_ORDER(item);
        assert_int_equal(ITEM_TYPE(item), ITEM_TYPE_MEMORY);
        assert_int_equal(ITEM_RIGHTS(item), MEMORY_ALL);
        assert_int_equal(ITEM_BASE(item) * GUEST_PAGE_SIZE, (uint64_t)(uintptr_t)ram->host_base + next);
        assert_int_equal(calls[i].guest_physical, next);
        assert_int_equal((ITEM_BASE(item) * GUEST_PAGE_SIZE) % size, 0);
        assert_int_equal(calls[i].guest_physical % size, 0);
        next += size;
    }
    assert_int_equal(next, ram->size);
}

static void test_aligned_ram_maps_in_large_items(void **state)
{
    (void)state;
    /* Fake addresses: guest_ram_map never touches the bytes. */
    struct guest_memory ram = {(uint8_t *)(uintptr_t)0x100000400000ull, 6 * MIB};
    uint64_t failed_at = 0;
    assert_int_equal(guest_ram_map(42, &ram, &failed_at), ERROR_NONE);
    assert_int_equal(call_count, 3);
    expect_coverage(&ram);
}

static void test_unaligned_ram_maps_in_smaller_items(void **state)
{
    (void)state;
    struct guest_memory ram = {(uint8_t *)(uintptr_t)0x100000003000ull, 2 * MIB + 0x5000};
    uint64_t failed_at = 0;
    assert_int_equal(guest_ram_map(42, &ram, &failed_at), ERROR_NONE);
    expect_coverage(&ram);
    assert_true(call_count > 3);
}

static void test_a_refused_item_is_reported(void **state)
{
    (void)state;
    struct guest_memory ram = {(uint8_t *)(uintptr_t)0x100000000000ull, 64 * 4096};
    fail_at_call = 0;
    uint64_t failed_at = 1;
    assert_int_equal(guest_ram_map(42, &ram, &failed_at), ERROR_QUOTA_EXCEEDED);
    assert_int_equal(failed_at, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_order),
        cmocka_unit_test_setup(test_aligned_ram_maps_in_large_items, set_up),
        cmocka_unit_test_setup(test_unaligned_ram_maps_in_smaller_items, set_up),
        cmocka_unit_test_setup(test_a_refused_item_is_reported, set_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
