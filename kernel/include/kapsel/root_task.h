/* The first user task: loaded by the kernel from the boot file roottask.elf with every initial capability. */
#ifndef KAPSEL_ROOT_TASK_H
#define KAPSEL_ROOT_TASK_H

#include <kapsel/boot_info.h>

#define ROOT_TASK_IMAGE "roottask.elf"
#define ROOT_TASK_PRIORITY 100

/* Builds the root task (see abi.h for its start-up state) and makes it ready; boot_fail()s on a bad image. */
void root_task_create(const struct boot_info *info);

#endif
