#include <kapsel/arch.h>
#include <kapsel/boot_files.h>
#include <kapsel/interrupt_lines.h>
#include <kapsel/kernel.h>
#include <kapsel/ktest.h>
#include <kapsel/memory.h>
#include <kapsel/memory_mapping.h>
#include <kapsel/panic.h>
#include <kapsel/print.h>
#include <kapsel/root_task.h>
#include <kapsel/scheduler.h>
#include <kapsel/vcpu.h>
#include <kapsel/wall_clock.h>

static const struct boot_info *boot_info;

const struct boot_info *kernel_boot_info(void)
{
    return boot_info;
}

/* "ktest.filter=prefix" runs a subset; "ktest.inject=kind" breaks the kernel on purpose. */
static _Noreturn void run_self_tests(const struct boot_info *info)
{
    char value[64];
    if (boot_command_line_value(info, "ktest.inject", value, sizeof(value)) == ERROR_NONE) {
        ktest_inject_failure(value);
    }
    bool filtered = boot_command_line_value(info, "ktest.filter", value, sizeof(value)) == ERROR_NONE;
    ktest_run_all(filtered ? value : NULL);
    kprintf("Kapsel halted.\n");
    arch_halt();
}

void kernel_start(struct boot_info *info)
{
    const char *reason = NULL;
    struct phys_range image = kernel_image_range();
    if (boot_info_validate(info, image, &reason) != ERROR_NONE) {
        boot_fail("%s", reason);
    }
    boot_info = info;
    kprintf("Command line: \"%s\"\n", info->command_line);
    physical_memory_init(info, image);
    arch_memory_init(info);
    memory_mapping_init();
    if (boot_files_check_and_list(info, &reason) != ERROR_NONE) {
        boot_fail("%s", reason);
    }
    scheduler_init();
    arch_timer_init();
    wall_clock_init();
    if (interrupt_lines_init(&reason)) {
        kprintf("Interrupt lines: %u (%s)\n", interrupt_lines_count(), reason);
    } else {
        kprintf("Interrupt lines: none: %s\n", reason);
    }
    if (arch_virtualization_init(&reason)) {
        kprintf("Virtualization: %s\n", reason);
    } else {
        kprintf("Virtualization: not available: %s (Vm objects cannot be created)\n", reason);
    }

    if (boot_command_line_has(info, "ktest")) {
        run_self_tests(info);
    }
    root_task_create(info);
    scheduler_start();
}
