/* Unit tests for boot information validation and command-line parsing (kernel/core/boot_info.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <kapsel/boot_info.h>
#include <stdio.h>
#include <string.h>

#define MIB 0x100000ull

/* The kernel image the tests validate against: [2 MiB, 6 MiB). */
#define KERNEL_BASE (2 * MIB)
#define KERNEL_END (6 * MIB)
static const struct phys_range kernel_image = {KERNEL_BASE, KERNEL_END};

static void add_region(struct boot_info *info, uint64_t base, uint64_t size, enum memory_region_type type)
{
    assert_true(info->memory_count < BOOT_MAX_MEMORY_REGIONS);
    info->memory[info->memory_count++] = (struct memory_region){base, size, type};
}

static void add_module(struct boot_info *info, uint64_t phys, uint64_t size, const char *name)
{
    assert_true(info->module_count < BOOT_MAX_MODULES);
    struct boot_module *module = &info->modules[info->module_count++];
    module->phys = phys;
    module->size = size;
    snprintf(module->name, sizeof(module->name), "%s", name);
}

/* A PC-like map (low RAM, a reserved hole, 127 MiB above 1 MiB, a reserved MMIO window) with two modules. */
static void make_valid(struct boot_info *info)
{
    memset(info, 0, sizeof(*info));
    add_region(info, 0, 0x9f000, MEMORY_USABLE);
    add_region(info, 0x9f000, 0x61000, MEMORY_RESERVED);
    add_region(info, 1 * MIB, 127 * MIB, MEMORY_USABLE);
    add_region(info, 0xfec00000, 0x1000, MEMORY_RESERVED);
    add_module(info, 32 * MIB, 0x5000, "root-task.elf");
    add_module(info, 48 * MIB, 0x123, "manifest.txt");
}

static void set_command_line(struct boot_info *info, const char *line)
{
    assert_true(strlen(line) < sizeof(info->command_line));
    snprintf(info->command_line, sizeof(info->command_line), "%s", line);
}

static void assert_valid(const struct boot_info *info)
{
    const char *reason = NULL;
    enum error error = boot_info_validate(info, kernel_image, &reason);
    if (error != ERROR_NONE) {
        fail_msg("refused valid boot information: %s", reason ? reason : "(no reason)");
    }
}

/* Validation fails with error, and the reason contains every non-NULL keyword. */
static void assert_refused(const struct boot_info *info, enum error error, const char *keyword, const char *detail)
{
    const char *reason = NULL;
    assert_int_equal(boot_info_validate(info, kernel_image, &reason), error);
    assert_non_null(reason);
    if (!strstr(reason, keyword) || (detail && !strstr(reason, detail))) {
        fail_msg("reason \"%s\" does not mention \"%s\"%s%s", reason, keyword, detail ? " and " : "",
                 detail ? detail : "");
    }
}

static void test_valid(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    assert_valid(&info);
}

/* Modules may touch each other, the kernel image and the ends of usable RAM without overlapping. */
static void test_valid_boundaries(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    info.module_count = 0;
    add_module(&info, KERNEL_END, 0x1000, "after-kernel");
    add_module(&info, KERNEL_END + 0x1000, 0x1000, "adjacent");
    add_module(&info, 1 * MIB, KERNEL_BASE - 1 * MIB, "before-kernel");
    add_module(&info, 128 * MIB - 0x10, 0x10, "end-of-ram");
    add_module(&info, 0, 0x9f000, "all-low-ram");
    assert_valid(&info);
}

static void test_no_memory_map(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    info.memory_count = 0;
    assert_refused(&info, ERROR_NOT_FOUND, "memory map", NULL);
}

static void test_too_many_memory_regions(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    info.memory_count = BOOT_MAX_MEMORY_REGIONS + 1;
    assert_refused(&info, ERROR_TOO_MANY, "memory map", NULL);
}

/* Zero-size entries describe nothing (some firmware passes them): they are skipped, and give no usable RAM. */
static void test_zero_size_regions_ignored(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    info.memory[3].size = 0;
    add_region(&info, 256 * MIB, 0, MEMORY_USABLE);
    assert_valid(&info);
    /* A module inside a zero-size usable entry is not in usable RAM. */
    info.modules[1].phys = 256 * MIB;
    assert_refused(&info, ERROR_OUT_OF_RANGE, "outside", "manifest.txt");
    /* A map whose only usable entries are empty has no usable RAM. */
    make_valid(&info);
    info.memory[0].size = 0;
    info.memory[2].size = 0;
    assert_refused(&info, ERROR_NOT_FOUND, "usable", NULL);
}

/* The wrapping entry is the fifth one, after four good ones: the reason names entry 4. */
static void test_region_wraps_around(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    add_region(&info, 0xfffffffffffff000ull, 0x2000, MEMORY_RESERVED);
    assert_refused(&info, ERROR_MALFORMED, "malformed", "entry 4");
    make_valid(&info);
    add_region(&info, 0x100000000ull, UINT64_MAX, MEMORY_USABLE);
    assert_refused(&info, ERROR_MALFORMED, "malformed", "entry 4");
}

static void test_no_usable_memory(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    info.memory[0].type = MEMORY_RESERVED;
    info.memory[2].type = MEMORY_ACPI_RECLAIMABLE;
    assert_refused(&info, ERROR_NOT_FOUND, "usable", NULL);
}

static void test_no_modules(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    info.module_count = 0;
    assert_refused(&info, ERROR_NOT_FOUND, "module", NULL);
}

static void test_too_many_modules(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    info.module_count = BOOT_MAX_MODULES + 1;
    assert_refused(&info, ERROR_TOO_MANY, "module", NULL);
}

static void test_exactly_max_modules(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    info.module_count = 0;
    for (int i = 0; i < BOOT_MAX_MODULES; i++) {
        char name[16];
        snprintf(name, sizeof(name), "module-%d", i);
        add_module(&info, 8 * MIB + (uint64_t)i * 0x1000, 0x1000, name);
    }
    assert_valid(&info);
}

static void test_empty_module(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    info.modules[1].size = 0;
    assert_refused(&info, ERROR_MALFORMED, "empty", "manifest.txt");
}

static void test_module_wraps_around(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    info.modules[0].phys = 0xfffffffffffff000ull;
    info.modules[0].size = 0x2000;
    assert_refused(&info, ERROR_MALFORMED, "wraps", "root-task.elf");
}

/* Past the end of RAM, straddling the end of RAM, inside a reserved region, inside ACPI memory. */
static void test_module_outside_usable_memory(void **state)
{
    (void)state;
    static const struct {
        uint64_t phys;
        uint64_t size;
    } placements[] = {
        {256 * MIB, 0x1000}, {128 * MIB - 0x800, 0x1000}, {0x9f000, 0x100}, {0x9e000, 0x2000}, {0xfec00000, 0x10},
    };
    for (size_t i = 0; i < sizeof(placements) / sizeof(placements[0]); i++) {
        struct boot_info info;
        make_valid(&info);
        info.modules[1].phys = placements[i].phys;
        info.modules[1].size = placements[i].size;
        assert_refused(&info, ERROR_OUT_OF_RANGE, "outside", "manifest.txt");
    }
}

static void test_module_in_non_usable_region_type(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    add_region(&info, 512 * MIB, 1 * MIB, MEMORY_ACPI_RECLAIMABLE);
    info.modules[0].phys = 512 * MIB;
    assert_refused(&info, ERROR_OUT_OF_RANGE, "outside", NULL);
}

/* Loaders often split RAM into adjacent entries; a module may straddle the seam, in any listing order. */
static void test_module_spans_adjacent_usable_regions(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    info.memory[2].size = 63 * MIB;
    add_region(&info, 96 * MIB, 32 * MIB, MEMORY_USABLE);
    add_region(&info, 64 * MIB, 32 * MIB, MEMORY_USABLE);
    info.modules[0].phys = 64 * MIB - 0x1000;
    info.modules[0].size = 0x2000;
    info.modules[1].phys = 96 * MIB - 0x1000;
    info.modules[1].size = 2 * MIB;
    assert_valid(&info);
    /* One module across all three regions. */
    info.module_count = 1;
    info.modules[0].phys = 63 * MIB;
    info.modules[0].size = 34 * MIB;
    assert_valid(&info);
}

static void test_module_spans_hole(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    info.memory[2].size = 63 * MIB;
    add_region(&info, 64 * MIB + 0x1000, 64 * MIB - 0x1000, MEMORY_USABLE);
    info.modules[0].phys = 64 * MIB - 0x1000;
    info.modules[0].size = 0x3000;
    assert_refused(&info, ERROR_OUT_OF_RANGE, "outside", "root-task.elf");
}

/* A module across a reserved region that sits between two usable ones. */
static void test_module_spans_reserved_region(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    info.modules[0].phys = 0x9e000;
    info.modules[0].size = 0x63000;
    assert_refused(&info, ERROR_OUT_OF_RANGE, "outside", NULL);
}

static void test_module_overlaps_kernel(void **state)
{
    (void)state;
    static const struct {
        uint64_t phys;
        uint64_t size;
    } placements[] = {
        {KERNEL_BASE, 0x1000},          {KERNEL_END - 1, 0x1000},
        {KERNEL_BASE - 0x1000, 0x1001}, {KERNEL_BASE - 1 * MIB, 8 * MIB},
        {KERNEL_BASE + 0x1000, 0x10},
    };
    for (size_t i = 0; i < sizeof(placements) / sizeof(placements[0]); i++) {
        struct boot_info info;
        make_valid(&info);
        info.modules[0].phys = placements[i].phys;
        info.modules[0].size = placements[i].size;
        assert_refused(&info, ERROR_OVERLAP, "kernel", "root-task.elf");
    }
}

static void test_modules_overlap(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    info.modules[1].phys = info.modules[0].phys + info.modules[0].size - 1;
    assert_refused(&info, ERROR_OVERLAP, "overlap", "manifest.txt");
    /* The later module encloses the earlier one. */
    make_valid(&info);
    info.modules[1].phys = info.modules[0].phys - 0x1000;
    info.modules[1].size = 0x10000;
    assert_refused(&info, ERROR_OVERLAP, "overlap", "root-task.elf");
    /* The overlap is between the first and third of three modules. */
    make_valid(&info);
    add_module(&info, 32 * MIB + 0x4000, 0x2000, "third");
    assert_refused(&info, ERROR_OVERLAP, "overlap", "third");
}

static void test_command_line_has_word(void **state)
{
    (void)state;
    struct boot_info info;
    make_valid(&info);
    set_command_line(&info, "console=ttyS0 ktest quiet");
    assert_true(boot_command_line_has(&info, "ktest"));
    assert_true(boot_command_line_has(&info, "quiet"));
    assert_true(boot_command_line_has(&info, "console=ttyS0"));
    assert_false(boot_command_line_has(&info, "ktes"));
    assert_false(boot_command_line_has(&info, "ktests"));
    assert_false(boot_command_line_has(&info, "est"));
    assert_false(boot_command_line_has(&info, "console"));
    assert_false(boot_command_line_has(&info, "ktest quiet"));
    assert_false(boot_command_line_has(&info, "verbose"));
}

static void test_command_line_spaces(void **state)
{
    (void)state;
    struct boot_info info;
    char value[16];
    make_valid(&info);
    set_command_line(&info, "   ktest    level=3   quiet  ");
    assert_true(boot_command_line_has(&info, "ktest"));
    assert_true(boot_command_line_has(&info, "quiet"));
    assert_false(boot_command_line_has(&info, "quiet "));
    assert_int_equal(boot_command_line_value(&info, "level", value, sizeof(value)), ERROR_NONE);
    assert_string_equal(value, "3");
}

static void test_empty_command_line(void **state)
{
    (void)state;
    struct boot_info info;
    char value[16];
    make_valid(&info);
    assert_false(boot_command_line_has(&info, "ktest"));
    assert_int_equal(boot_command_line_value(&info, "ktest", value, sizeof(value)), ERROR_NOT_FOUND);
    set_command_line(&info, "    ");
    assert_false(boot_command_line_has(&info, "ktest"));
    assert_int_equal(boot_command_line_value(&info, "ktest", value, sizeof(value)), ERROR_NOT_FOUND);
}

static void test_command_line_value(void **state)
{
    (void)state;
    struct boot_info info;
    char value[32];
    make_valid(&info);
    set_command_line(&info, "console=ttyS0 ktest.filter=paging root= last=end");
    assert_int_equal(boot_command_line_value(&info, "console", value, sizeof(value)), ERROR_NONE);
    assert_string_equal(value, "ttyS0");
    assert_int_equal(boot_command_line_value(&info, "ktest.filter", value, sizeof(value)), ERROR_NONE);
    assert_string_equal(value, "paging");
    assert_int_equal(boot_command_line_value(&info, "last", value, sizeof(value)), ERROR_NONE);
    assert_string_equal(value, "end");
    /* "root=" has an empty value. */
    assert_int_equal(boot_command_line_value(&info, "root", value, sizeof(value)), ERROR_NONE);
    assert_string_equal(value, "");
}

/* The value may itself contain '=': only the first one separates key and value. */
static void test_command_line_value_with_equals(void **state)
{
    (void)state;
    struct boot_info info;
    char value[32];
    make_valid(&info);
    set_command_line(&info, "opt=a=b");
    assert_int_equal(boot_command_line_value(&info, "opt", value, sizeof(value)), ERROR_NONE);
    assert_string_equal(value, "a=b");
}

static void test_command_line_missing_key(void **state)
{
    (void)state;
    struct boot_info info;
    char value[32];
    make_valid(&info);
    set_command_line(&info, "console=ttyS0 quiet");
    assert_int_equal(boot_command_line_value(&info, "ktest", value, sizeof(value)), ERROR_NOT_FOUND);
    /* A bare word is not a key with a value. */
    assert_int_equal(boot_command_line_value(&info, "quiet", value, sizeof(value)), ERROR_NOT_FOUND);
    /* Prefixes and suffixes of a key do not match it. */
    assert_int_equal(boot_command_line_value(&info, "consol", value, sizeof(value)), ERROR_NOT_FOUND);
    assert_int_equal(boot_command_line_value(&info, "onsole", value, sizeof(value)), ERROR_NOT_FOUND);
    assert_int_equal(boot_command_line_value(&info, "console=ttyS0", value, sizeof(value)), ERROR_NOT_FOUND);
}

/* "ktest" is a prefix of the key "ktest.filter": neither lookup may be confused with the other. */
static void test_command_line_key_prefix_of_other_key(void **state)
{
    (void)state;
    struct boot_info info;
    char value[32];
    make_valid(&info);
    set_command_line(&info, "ktest.filter=x");
    assert_false(boot_command_line_has(&info, "ktest"));
    assert_int_equal(boot_command_line_value(&info, "ktest", value, sizeof(value)), ERROR_NOT_FOUND);

    set_command_line(&info, "ktest.filter=x ktest=yes");
    assert_int_equal(boot_command_line_value(&info, "ktest", value, sizeof(value)), ERROR_NONE);
    assert_string_equal(value, "yes");
    assert_int_equal(boot_command_line_value(&info, "ktest.filter", value, sizeof(value)), ERROR_NONE);
    assert_string_equal(value, "x");

    set_command_line(&info, "ktest ktest.filter=x");
    assert_true(boot_command_line_has(&info, "ktest"));
    assert_int_equal(boot_command_line_value(&info, "ktest", value, sizeof(value)), ERROR_NOT_FOUND);
}

/* "ttyS0" needs 6 bytes with its NUL: 6 fits exactly, 5 and 0 are too small; nothing is written past size. */
static void test_command_line_value_too_long(void **state)
{
    (void)state;
    struct boot_info info;
    char value[8];
    make_valid(&info);
    set_command_line(&info, "console=ttyS0 quiet");
    memset(value, '#', sizeof(value));
    assert_int_equal(boot_command_line_value(&info, "console", value, 6), ERROR_NONE);
    assert_string_equal(value, "ttyS0");
    assert_int_equal(value[6], '#');
    memset(value, '#', sizeof(value));
    assert_int_equal(boot_command_line_value(&info, "console", value, 5), ERROR_OUT_OF_RANGE);
    assert_int_equal(value[5], '#');
    assert_int_equal(boot_command_line_value(&info, "console", value, 0), ERROR_OUT_OF_RANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_valid_boundaries),
        cmocka_unit_test(test_no_memory_map),
        cmocka_unit_test(test_too_many_memory_regions),
        cmocka_unit_test(test_zero_size_regions_ignored),
        cmocka_unit_test(test_region_wraps_around),
        cmocka_unit_test(test_no_usable_memory),
        cmocka_unit_test(test_no_modules),
        cmocka_unit_test(test_too_many_modules),
        cmocka_unit_test(test_exactly_max_modules),
        cmocka_unit_test(test_empty_module),
        cmocka_unit_test(test_module_wraps_around),
        cmocka_unit_test(test_module_outside_usable_memory),
        cmocka_unit_test(test_module_in_non_usable_region_type),
        cmocka_unit_test(test_module_spans_adjacent_usable_regions),
        cmocka_unit_test(test_module_spans_hole),
        cmocka_unit_test(test_module_spans_reserved_region),
        cmocka_unit_test(test_module_overlaps_kernel),
        cmocka_unit_test(test_modules_overlap),
        cmocka_unit_test(test_command_line_has_word),
        cmocka_unit_test(test_command_line_spaces),
        cmocka_unit_test(test_empty_command_line),
        cmocka_unit_test(test_command_line_value),
        cmocka_unit_test(test_command_line_value_with_equals),
        cmocka_unit_test(test_command_line_missing_key),
        cmocka_unit_test(test_command_line_key_prefix_of_other_key),
        cmocka_unit_test(test_command_line_value_too_long),
    };
    return cmocka_run_group_tests_name("boot_info_test", tests, NULL, NULL);
}
