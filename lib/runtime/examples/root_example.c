/* The root task's start path in its smallest form: boot information, stdio on the console, the heap. */
#include <kapsel/runtime.h>
#include <stdio.h>
#include <stdlib.h>

int root_main(const struct root_boot_info *boot_info)
{
    printf("root example: %llu boot modules, command line \"%.*s\"\n", (unsigned long long)boot_info->module_count,
           (int)sizeof(boot_info->command_line), boot_info->command_line);
    for (uint64_t i = 0; i < boot_info->module_count && i < ROOT_MAX_MODULES; i++) {
        const struct root_boot_module *module = &boot_info->modules[i];
        printf("  %.*s: %llu bytes at %#llx\n", (int)sizeof(module->name), module->name,
               (unsigned long long)module->size, (unsigned long long)module->address);
    }
    void *block = malloc(64 * 1024); /* backed page by page from ROOT_MEMORY */
    printf("root example: heap block at %p\n", block);
    free(block);
    return 0;
}
