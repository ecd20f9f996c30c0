/* The portable kernel start-up, entered by the arch boot code. */
#ifndef KAPSEL_KERNEL_H
#define KAPSEL_KERNEL_H

#include <kapsel/boot_info.h>

/* Validates the boot information, sets up memory and timers, then runs self tests or the system. */
_Noreturn void kernel_start(struct boot_info *info);

/* The validated boot information (for self tests and, later, the root task hand-off). */
const struct boot_info *kernel_boot_info(void);

#endif
