#include <arch/elf_machine.h>
#include <kapsel/address_space.h>
#include <kapsel/boot_files.h>
#include <kapsel/console_object.h>
#include <kapsel/device_memory.h>
#include <kapsel/dma_memory.h>
#include <kapsel/elf.h>
#include <kapsel/factory.h>
#include <kapsel/icu.h>
#include <kapsel/io_ports.h>
#include <kapsel/memory.h>
#include <kapsel/memory_mapping.h>
#include <kapsel/memory_object.h>
#include <kapsel/panic.h>
#include <kapsel/print.h>
#include <kapsel/root_task.h>
#include <kapsel/scheduler.h>
#include <kapsel/task.h>
#include <kapsel/thread.h>
#include <string.h>

struct image_search {
    const uint8_t *data;
    size_t size;
};

static bool find_image(const struct boot_file *file, void *context)
{
    struct image_search *search = context;
    if (strcmp(file->name, ROOT_TASK_IMAGE) == 0) {
        search->data = file->data;
        search->size = file->size;
        return false;
    }
    return true;
}

static void check(enum error error, const char *what)
{
    if (error != ERROR_NONE) {
        boot_fail("cannot create the root task: %s: %s", what, error_name(error));
    }
}

static unsigned segment_rights(uint32_t flags)
{
    return MEMORY_READ | (flags & ELF_SEGMENT_WRITE ? MEMORY_WRITE : 0) |
           (flags & ELF_SEGMENT_EXECUTE ? MEMORY_EXECUTE : 0);
}

/* Fresh pages for each segment, filled from the file; the root task owns them like any memory it allocates. */
static void load_segments(struct task *root, const uint8_t *image, const struct elf_image *elf)
{
    for (size_t i = 0; i < elf->segment_count; i++) {
        const struct elf_segment *segment = &elf->segments[i];
        uint64_t first_page = segment->vaddr & ~(uint64_t)(FRAME_SIZE - 1);
        uint64_t end = segment->vaddr + segment->memory_size;
        for (uint64_t page = first_page; page < end; page += FRAME_SIZE) {
            enum error error = memory_allocate(&root->space, page, 0, segment_rights(segment->flags));
            if (error == ERROR_SLOT_OCCUPIED) {
                boot_fail("%s: segments share the page at %#llx (link with page-aligned segments)", ROOT_TASK_IMAGE,
                          (unsigned long long)page);
            }
            check(error, "segment memory");
            uint64_t phys;
            unsigned rights;
            address_space_lookup(root->space.root, page, &phys, &rights);
            /* Copy the part of [page, page + 4 KiB) that the file provides. */
            uint64_t from = page > segment->vaddr ? page : segment->vaddr;
            uint64_t file_end = segment->vaddr + segment->file_size;
            uint64_t to = page + FRAME_SIZE < file_end ? page + FRAME_SIZE : file_end;
            if (from < to) {
                memcpy((uint8_t *)phys_to_virt(phys) + (from - page),
                       image + segment->file_offset + (from - segment->vaddr), to - from);
            }
        }
    }
}

/* Boot modules appear read-only in the root task; kernel-owned pages, so they cannot be mapped on. */
static void map_boot_modules(struct task *root, const struct boot_info *info, struct root_boot_info *boot_info)
{
    uint64_t next = ROOT_BOOT_MODULES_ADDRESS;
    boot_info->magic = ROOT_BOOT_INFO_MAGIC;
    for (size_t i = 0; i < info->module_count && i < ROOT_MAX_MODULES; i++) {
        const struct boot_module *module = &info->modules[i];
        uint64_t first = module->phys & ~(uint64_t)(FRAME_SIZE - 1);
        uint64_t offset = module->phys - first;
        for (uint64_t phys = first; phys < module->phys + module->size; phys += FRAME_SIZE) {
            check(address_space_map(root->space.root, root->space.quota, next + (phys - first), phys, MEMORY_READ),
                  "boot module mapping");
        }
        boot_info->modules[i].address = next + offset;
        boot_info->modules[i].size = module->size;
        memcpy(boot_info->modules[i].name, module->name, sizeof(boot_info->modules[i].name) - 1);
        boot_info->module_count++;
        next += (offset + module->size + FRAME_SIZE - 1) & ~(uint64_t)(FRAME_SIZE - 1);
    }
    memcpy(boot_info->command_line, info->command_line, sizeof(boot_info->command_line) - 1);
}

void root_task_create(const struct boot_info *info)
{
    struct image_search search = {NULL, 0};
    const char *reason = NULL;
    if (boot_files_for_each(info, find_image, &search, &reason) != ERROR_NONE || !search.data) {
        boot_fail("no %s among the boot files", ROOT_TASK_IMAGE);
    }
    struct elf_image elf;
    if (elf_image_parse(search.data, search.size, ARCH_ELF_MACHINE, USER_ADDRESS_LIMIT, &elf, &reason) != ERROR_NONE) {
        boot_fail("%s: %s", ROOT_TASK_IMAGE, reason);
    }

    const struct frame_allocator *frames = physical_memory();
    struct factory *factory = factory_create_root((uint64_t)frames->free_count * FRAME_SIZE);
    if (!factory) {
        boot_fail("cannot create the root factory");
    }
    factory->object.permanent = true;
    struct task *root;
    struct thread *thread;
    check(task_create(factory, ROOT_CAPABILITY_SLOTS, &root), "task");
    check(thread_create(factory, &thread), "thread");
    capability_install(&root->slots[ROOT_TASK], &root->object, RIGHTS_ALL);
    capability_install(&root->slots[ROOT_THREAD], &thread->object, RIGHTS_ALL);
    capability_install(&root->slots[ROOT_FACTORY], &factory->object, RIGHT_READ | RIGHT_WRITE | RIGHT_GRANT);
    capability_install(&root->slots[ROOT_SCHEDULER], scheduler_object(), RIGHT_READ | RIGHT_WRITE | RIGHT_GRANT);
    capability_install(&root->slots[ROOT_MEMORY], memory_object(), RIGHT_READ | RIGHT_WRITE);
    capability_install(&root->slots[ROOT_CONSOLE], console_object(), RIGHT_WRITE | RIGHT_GRANT);
    capability_install(&root->slots[ROOT_ICU], icu_object(), RIGHT_READ | RIGHT_WRITE | RIGHT_GRANT);
    capability_install(&root->slots[ROOT_IO_PORTS], io_ports_object(), RIGHT_WRITE | RIGHT_GRANT);
    capability_install(&root->slots[ROOT_DEVICE_MEMORY], device_memory_object(),
                       RIGHT_READ | RIGHT_WRITE | RIGHT_GRANT);
    capability_install(&root->slots[ROOT_DMA_MEMORY], dma_memory_object(), RIGHT_READ | RIGHT_WRITE | RIGHT_GRANT);

    load_segments(root, search.data, &elf);
    check(memory_allocate(&root->space, ROOT_STACK_TOP - ROOT_STACK_SIZE, 4, MEMORY_READ | MEMORY_WRITE), "stack");
    check(memory_allocate(&root->space, ROOT_BOOT_INFO_ADDRESS, 0, MEMORY_READ), "boot information page");
    uint64_t phys;
    unsigned rights;
    address_space_lookup(root->space.root, ROOT_BOOT_INFO_ADDRESS, &phys, &rights);
    map_boot_modules(root, info, phys_to_virt(phys));

    /* No pager and no exception handler: a fault in the root task stops it, with the reason printed. */
    check(thread_bind(thread, root, ROOT_UTCB_ADDRESS, 0, 0), "UTCB");
    check(thread_set_user_registers(thread, elf.entry, ROOT_STACK_TOP), "registers");
    thread_set_user_argument(thread, ROOT_BOOT_INFO_ADDRESS);
    thread->priority = ROOT_TASK_PRIORITY;
    thread->started = true;
    scheduler_make_ready(thread);
    kprintf("Root task: %s, entry %#llx, %zu segments\n", ROOT_TASK_IMAGE, (unsigned long long)elf.entry,
            elf.segment_count);
}
