/*
 * Unit tests for starting, paging and stopping Micro-Apps (roottask/microapp.c,
 * loader.c, app_files.c, app_shared.c, pager.c, root_memory.c, boot_modules.c) against a fake kernel.
 */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "fake_kernel.h"
#include "manifest.h"
#include "microapp.h"
#include "pager.h"
#include "root_memory.h"

#include <kapsel/environment.h>
#include <stdio.h>
#include <string.h>

/* --- a small ELF image: text, read-only data sharing text's last page, data + bss -------------- */

struct elf64_header {
    unsigned char ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, program_header_offset, section_header_offset;
    uint32_t flags;
    uint16_t header_size, program_header_size, program_header_count;
    uint16_t section_header_size, section_header_count, section_name_index;
};

struct elf64_program_header {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, file_size, memory_size, align;
};

#define PF_X 1u
#define PF_W 2u
#define PF_R 4u
#define IMAGE_ENTRY 0x400010ull
#define FILE_SIZE 0x4000

struct segment_spec {
    uint64_t offset, vaddr, file_size, memory_size;
    uint32_t flags;
};

/* text 0x400000-0x401800 (RX), rodata 0x401800-0x402000 (R, shares page 0x401000), data+bss 0x403000-0x406000 */
static const struct segment_spec default_segments[] = {
    {0x1000, 0x400000, 0x1800, 0x1800, PF_R | PF_X},
    {0x2800, 0x401800, 0x100, 0x800, PF_R},
    {0x3000, 0x403000, 0x10, 0x3000, PF_R | PF_W},
};

static uint8_t image_file[FILE_SIZE];

static void build_image(const struct segment_spec *segments, size_t count)
{
    memset(image_file, 0, sizeof(image_file));
    for (size_t i = 0x1000; i < sizeof(image_file); i++) {
        image_file[i] = (uint8_t)(i * 7 + 1); /* never zero, so that zero-filled bytes stand out */
        if (image_file[i] == 0) {
            image_file[i] = 0x5a;
        }
    }
    struct elf64_header header = {
        .ident = {0x7f, 'E', 'L', 'F', 2, 1, 1},
        .type = 2,
        .machine = 62,
        .version = 1,
        .entry = IMAGE_ENTRY,
        .program_header_offset = sizeof(struct elf64_header),
        .header_size = sizeof(struct elf64_header),
        .program_header_size = sizeof(struct elf64_program_header),
        .program_header_count = (uint16_t)count,
    };
    memcpy(image_file, &header, sizeof(header));
    for (size_t i = 0; i < count; i++) {
        struct elf64_program_header program = {
            .type = 1,
            .flags = segments[i].flags,
            .offset = segments[i].offset,
            .vaddr = segments[i].vaddr,
            .paddr = segments[i].vaddr,
            .file_size = segments[i].file_size,
            .memory_size = segments[i].memory_size,
            .align = 0x1000,
        };
        memcpy(image_file + sizeof(header) + i * sizeof(program), &program, sizeof(program));
    }
}

/* An image of one small text segment at address, entered there: for where images may not go. */
static void build_image_at(uint64_t address)
{
    const struct segment_spec text[] = {{0x1000, address, 0x100, 0x100, PF_R | PF_X}};
    build_image(text, 1);
    struct elf64_header header;
    memcpy(&header, image_file, sizeof(header));
    header.entry = address;
    memcpy(image_file, &header, sizeof(header));
}

/* --- boot information, manifest and apps ---------------------------------------------------- */

static struct root_boot_info boot_info;
static uint64_t message[MESSAGE_REGISTERS]; /* the root task's message registers */
static struct manifest manifest;
static struct microapp apps[MANIFEST_MAX_APPS];

static void add_module(const char *name, const void *data, size_t size)
{
    struct root_boot_module *module = &boot_info.modules[boot_info.module_count++];
    module->address = (uint64_t)(uintptr_t)data;
    module->size = size;
    strncpy(module->name, name, sizeof(module->name) - 1);
}

static void use_manifest(const char *text)
{
    struct manifest_error error;
    if (manifest_parse(text, strlen(text), &manifest, &error) != ERROR_NONE) {
        fail_msg("test manifest: %s", error.message);
    }
    for (size_t i = 0; i < manifest.app_count; i++) {
        apps[i] =
            (struct microapp){.manifest = &manifest.apps[i], .index = i, .apps = apps, .app_count = manifest.app_count};
    }
}

static int setup(void **state)
{
    (void)state;
    fake_reset();
    memset(&boot_info, 0, sizeof(boot_info));
    boot_info.magic = ROOT_BOOT_INFO_MAGIC;
    build_image(default_segments, sizeof(default_segments) / sizeof(default_segments[0]));
    add_module("app.elf", image_file, sizeof(image_file));
    return 0;
}

/* Every app a test left alive finishes, so that the root task's shared state (the boot files' copies) is free. */
static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < manifest.app_count; i++) {
        if (apps[i].state == MICROAPP_CREATED || apps[i].state == MICROAPP_GRANTED ||
            apps[i].state == MICROAPP_RUNNING) {
            fake_capture_begin();
            microapp_end(&apps[i], "ended by the test");
            fake_capture_end();
        }
    }
    fake_reset();
    return 0;
}

static const char default_manifest[] = "microapp a\n"
                                       "  image app.elf\n"
                                       "  priority 42\n"
                                       "  quota 1M\n"
                                       "  memory 64K\n"
                                       "  capability log\n"
                                       "  capability factory quota=256K\n"
                                       "  capability scheduler\n"
                                       "  arguments -x --y\n";

/* The three start steps for every app; returns what they printed. */
static const char *start_all(void)
{
    fake_capture_begin();
    for (size_t i = 0; i < manifest.app_count; i++) {
        microapp_create(&apps[i], &boot_info);
    }
    for (size_t i = 0; i < manifest.app_count; i++) {
        if (apps[i].state == MICROAPP_CREATED) {
            microapp_grant(&apps[i], apps, manifest.app_count);
        }
    }
    for (size_t i = 0; i < manifest.app_count; i++) {
        if (apps[i].state == MICROAPP_GRANTED) {
            microapp_run(&apps[i]);
        }
    }
    return fake_capture_end();
}

#define SLOT(index, offset) (MICROAPP_ROOT_SLOTS_FIRST + (index)*MICROAPP_ROOT_SLOTS_PER_APP + (offset))
#define WINDOW(index) (ROOT_SCRATCH_BASE + (uint64_t)(index)*ROOT_SCRATCH_WINDOW_SIZE)

static void expect_object(size_t n, uint64_t factory, uint64_t slot, enum object_type type, uint64_t first,
                          uint64_t second)
{
    assert_true(n < fake.created_count);
    assert_int_equal(fake.created[n].factory, factory);
    assert_int_equal(fake.created[n].slot, slot);
    assert_int_equal(fake.created[n].type, type);
    assert_int_equal(fake.created[n].arguments[0], first);
    assert_int_equal(fake.created[n].arguments[1], second);
}

static void expect_map(size_t n, uint64_t task, uint64_t item, uint64_t destination)
{
    assert_true(n < fake.map_count);
    assert_int_equal(fake.maps[n].task, task);
    assert_int_equal(fake.maps[n].item, item);
    assert_int_equal(fake.maps[n].destination, destination);
}

static void expect_capability_map(size_t n, uint64_t source, unsigned rights, uint64_t destination)
{
    assert_true(n < fake.capability_map_count);
    assert_int_equal(fake.capability_maps[n].task, SLOT(0, MICROAPP_SLOT_TASK));
    assert_int_equal(fake.capability_maps[n].item, ITEM_CAPABILITY(source, 0, rights, 0));
    assert_int_equal(fake.capability_maps[n].destination, destination);
}

/* --- starting ------------------------------------------------------------------------------ */

static void start_creates_objects_from_the_app_factory(void **state)
{
    (void)state;
    use_manifest(default_manifest);
    const char *output = start_all();
    assert_int_equal(apps[0].state, MICROAPP_RUNNING);
    assert_non_null(strstr(output, "roottask: started a: image app.elf (entry 0x400010, 24 KiB), priority 42, "
                                   "quota 1024 KiB, heap 64 KiB, 3 named capabilities\n"));

    uint64_t factory = SLOT(0, MICROAPP_SLOT_FACTORY);
    assert_int_equal(fake.created_count, 6);
    expect_object(0, ROOT_FACTORY, factory, OBJECT_FACTORY, 1024 * 1024, 0);
    expect_object(1, factory, SLOT(0, MICROAPP_SLOT_TASK), OBJECT_TASK, MICROAPP_CAPABILITY_SLOTS, 0);
    expect_object(2, factory, SLOT(0, MICROAPP_SLOT_THREAD), OBJECT_THREAD, 0, 0);
    expect_object(3, factory, SLOT(0, MICROAPP_SLOT_PAGER_GATE), OBJECT_IPC_GATE, ROOT_THREAD, GATE_LABEL_PAGER | 0);
    expect_object(4, factory, SLOT(0, MICROAPP_SLOT_FIRST_NAMED), OBJECT_IPC_GATE, ROOT_THREAD, GATE_LABEL_LOG | 0);
    expect_object(5, factory, SLOT(0, MICROAPP_SLOT_FIRST_NAMED + 1), OBJECT_FACTORY, 256 * 1024, 0);

    assert_int_equal(fake.configure.thread, SLOT(0, MICROAPP_SLOT_THREAD));
    assert_int_equal(fake.configure.task, SLOT(0, MICROAPP_SLOT_TASK));
    assert_int_equal(fake.configure.utcb, APP_UTCB_ADDRESS);
    assert_int_equal(fake.configure.pager, APP_PAGER);
    assert_int_equal(fake.configure.exception, APP_PAGER);
    assert_int_equal(fake.ex_regs.thread, SLOT(0, MICROAPP_SLOT_THREAD));
    assert_int_equal(fake.ex_regs.rip, IMAGE_ENTRY);
    assert_int_equal(fake.ex_regs.rsp, APP_STACK_TOP);
    assert_int_equal(fake.run.scheduler, ROOT_SCHEDULER);
    assert_int_equal(fake.run.thread, SLOT(0, MICROAPP_SLOT_THREAD));
    assert_int_equal(fake.run.priority, 42);
    assert_int_equal(fake.run.slice, MICROAPP_TIME_SLICE);
}

static void start_hands_over_capabilities_without_delete(void **state)
{
    (void)state;
    use_manifest(default_manifest);
    start_all();
    assert_int_equal(fake.capability_map_count, 6);
    unsigned self = RIGHT_READ | RIGHT_WRITE | RIGHT_GRANT;
    expect_capability_map(0, SLOT(0, MICROAPP_SLOT_TASK), self, APP_TASK);
    expect_capability_map(1, SLOT(0, MICROAPP_SLOT_THREAD), self, APP_THREAD);
    expect_capability_map(2, SLOT(0, MICROAPP_SLOT_PAGER_GATE), RIGHT_READ | RIGHT_WRITE, APP_PAGER);
    expect_capability_map(3, SLOT(0, MICROAPP_SLOT_FIRST_NAMED), self, APP_FIRST_NAMED);
    expect_capability_map(4, SLOT(0, MICROAPP_SLOT_FIRST_NAMED + 1), self, APP_FIRST_NAMED + 1);
    expect_capability_map(5, ROOT_SCHEDULER, self, APP_FIRST_NAMED + 2);
}

/* A clock is the scheduler with RIGHT_READ only: SCHEDULER_INFO answers it, SCHEDULER_RUN does not. */
static void a_clock_is_the_scheduler_read_only(void **state)
{
    (void)state;
    use_manifest("microapp a\n image app.elf\n capability clock\n");
    start_all();
    assert_int_equal(fake.capability_map_count, 4);
    expect_capability_map(3, ROOT_SCHEDULER, RIGHT_READ, APP_FIRST_NAMED);
}

/* The kernel's singletons come from the root task's own slots (no object is made for them), without RIGHT_DELETE. */
static void driver_capabilities_come_from_the_root_slots(void **state)
{
    (void)state;
    use_manifest("microapp pci\n image app.elf\n capability device_memory\n capability io_ports\n capability icu\n"
                 " capability dma_memory\n");
    const char *output = start_all();
    assert_int_equal(apps[0].state, MICROAPP_RUNNING);
    assert_non_null(strstr(output, "4 named capabilities"));
    assert_int_equal(fake.created_count, 4); /* factory, task, thread, pager gate: nothing for the named ones */
    assert_int_equal(fake.capability_map_count, 7);
    unsigned named = RIGHT_READ | RIGHT_WRITE | RIGHT_GRANT;
    expect_capability_map(3, ROOT_DEVICE_MEMORY, named, APP_FIRST_NAMED);
    expect_capability_map(4, ROOT_IO_PORTS, named, APP_FIRST_NAMED + 1);
    expect_capability_map(5, ROOT_ICU, named, APP_FIRST_NAMED + 2);
    expect_capability_map(6, ROOT_DMA_MEMORY, named, APP_FIRST_NAMED + 3);
    const struct app_environment *environment =
        (const struct app_environment *)(uintptr_t)(WINDOW(0) + SCRATCH_ENVIRONMENT_OFFSET);
    assert_int_equal(environment->named_count, 4);
    assert_string_equal(environment->named[0].name, "device_memory");
    assert_int_equal(environment->named[0].slot, APP_FIRST_NAMED);
    assert_string_equal(environment->named[3].name, "dma_memory");
    assert_int_equal(environment->named[3].slot, APP_FIRST_NAMED + 3);
    /* The app ends: the root task deletes only what it made, never its own singletons. */
    microapp_end(&apps[0], "ended by the test");
    for (size_t i = 0; i < fake.deleted_count; i++) {
        assert_true(fake.deleted[i] >= MICROAPP_ROOT_SLOTS_FIRST);
    }
}

static void start_loads_segments_with_their_rights_and_bytes(void **state)
{
    (void)state;
    use_manifest(default_manifest);
    start_all();
    uint64_t task = SLOT(0, MICROAPP_SLOT_TASK);
    uint64_t window = WINDOW(0);
    unsigned rx = MEMORY_READ | MEMORY_EXECUTE;
    unsigned rw = MEMORY_READ | MEMORY_WRITE;
    /* Five image pages (the shared one once, with both segments' rights), then the environment page. */
    assert_int_equal(fake.map_count, 6);
    expect_map(0, task, ITEM_MEMORY(window / 4096, 0, rx, 0), 0x400000);
    expect_map(1, task, ITEM_MEMORY((window + 0x1000) / 4096, 0, rx, 0), 0x401000);
    expect_map(2, task, ITEM_MEMORY((window + 0x3000) / 4096, 0, rw, 0), 0x403000);
    expect_map(3, task, ITEM_MEMORY((window + 0x4000) / 4096, 0, rw, 0), 0x404000);
    expect_map(4, task, ITEM_MEMORY((window + 0x5000) / 4096, 0, rw, 0), 0x405000);
    assert_int_equal(apps[0].image_base, 0x400000);
    assert_int_equal(apps[0].image_pages, 6);

    const uint8_t *copy = (const uint8_t *)(uintptr_t)window;
    assert_memory_equal(copy, image_file + 0x1000, 0x1800);         /* text */
    assert_memory_equal(copy + 0x1800, image_file + 0x2800, 0x100); /* rodata: file bytes */
    for (size_t i = 0x1900; i < 0x2000; i++) {
        assert_int_equal(copy[i], 0); /* rodata beyond the file */
    }
    assert_memory_equal(copy + 0x3000, image_file + 0x3000, 0x10); /* data */
    for (size_t i = 0x3010; i < 0x6000; i++) {
        assert_int_equal(copy[i], 0); /* bss */
    }
    assert_false(fake_page_present(window + 0x2000)); /* the hole between the segments */
}

static void start_fills_the_environment(void **state)
{
    (void)state;
    use_manifest(default_manifest);
    start_all();
    uint64_t copy = WINDOW(0) + SCRATCH_ENVIRONMENT_OFFSET;
    expect_map(5, SLOT(0, MICROAPP_SLOT_TASK), ITEM_MEMORY(copy / 4096, 0, MEMORY_READ, 0), APP_ENVIRONMENT_ADDRESS);
    const struct app_environment *environment = (const struct app_environment *)(uintptr_t)copy;
    assert_int_equal(environment->magic, APP_ENVIRONMENT_MAGIC);
    assert_string_equal(environment->name, "a");
    assert_int_equal(environment->heap_base, APP_HEAP_BASE);
    assert_int_equal(environment->heap_size, 64 * 1024);
    assert_int_equal(environment->capability_slots, MICROAPP_CAPABILITY_SLOTS);
    assert_int_equal(environment->named_count, 3);
    assert_string_equal(environment->named[0].name, "log");
    assert_int_equal(environment->named[0].slot, APP_FIRST_NAMED);
    assert_string_equal(environment->named[1].name, "factory");
    assert_int_equal(environment->named[1].slot, APP_FIRST_NAMED + 1);
    assert_string_equal(environment->named[2].name, "scheduler");
    assert_int_equal(environment->named[2].slot, APP_FIRST_NAMED + 2);
    assert_string_equal(environment->arguments, "-x --y");
}

static void peers_get_a_gate_to_the_other_app_thread(void **state)
{
    (void)state;
    use_manifest("microapp client\n image app.elf\n capability peer:server\n"
                 "microapp server\n image app.elf\n");
    const char *output = start_all();
    assert_int_equal(apps[0].state, MICROAPP_RUNNING);
    assert_int_equal(apps[1].state, MICROAPP_RUNNING);
    assert_non_null(strstr(output, "roottask: started client:"));
    assert_non_null(strstr(output, "roottask: started server:"));
    /* client: factory, task, thread, pager gate (0..3); server: the same (4..7); then client's peer gate. */
    assert_int_equal(fake.created_count, 9);
    expect_object(8, SLOT(0, MICROAPP_SLOT_FACTORY), SLOT(0, MICROAPP_SLOT_FIRST_NAMED), OBJECT_IPC_GATE,
                  SLOT(1, MICROAPP_SLOT_THREAD), 0);
    expect_object(7, SLOT(1, MICROAPP_SLOT_FACTORY), SLOT(1, MICROAPP_SLOT_PAGER_GATE), OBJECT_IPC_GATE, ROOT_THREAD,
                  GATE_LABEL_PAGER | 1);
}

static void missing_image_is_reported(void **state)
{
    (void)state;
    use_manifest("microapp a\n image nowhere.elf\n");
    const char *output = start_all();
    assert_string_equal(output,
                        "a: not started: finding its image failed: not found (no such file in the boot modules)\n");
    assert_int_equal(apps[0].state, MICROAPP_FINISHED);
    assert_int_equal(fake.created_count, 0);
}

static void invalid_image_is_reported(void **state)
{
    (void)state;
    image_file[18] = 183; /* e_machine: AArch64 */
    use_manifest("microapp a\n image app.elf\n");
    const char *output = start_all();
    assert_string_equal(output, "a: not started: checking its image failed: malformed input (ELF file is for another "
                                "machine)\n");
}

static void image_in_the_heap_is_refused(void **state)
{
    (void)state;
    build_image_at(APP_HEAP_BASE + 0x10000);
    use_manifest("microapp a\n image app.elf\n memory 1M\n");
    const char *output = start_all();
    assert_string_equal(output, "a: not started: loading its image failed: overlapping ranges (an ELF segment "
                                "overlaps the app's heap)\n");
    /* What was made is gone again: task, thread, gate, then the factory. */
    assert_int_equal(fake.deleted_count, 4);
    assert_int_equal(fake.deleted[0], SLOT(0, MICROAPP_SLOT_TASK));
    assert_int_equal(fake.deleted[3], SLOT(0, MICROAPP_SLOT_FACTORY));
}

static void failed_creation_releases_what_was_made(void **state)
{
    (void)state;
    use_manifest(default_manifest);
    fake.fail_operation = "factory_create_thread";
    fake.fail_error = ERROR_QUOTA_EXCEEDED;
    const char *output = start_all();
    assert_string_equal(output, "a: not started: creating its thread failed: quota exceeded\n");
    assert_int_equal(apps[0].state, MICROAPP_FINISHED);
    assert_int_equal(fake.deleted_count, 2);
    assert_int_equal(fake.deleted[0], SLOT(0, MICROAPP_SLOT_TASK));
    assert_int_equal(fake.deleted[1], SLOT(0, MICROAPP_SLOT_FACTORY));
}

static void failed_named_capability_is_reported_with_its_line(void **state)
{
    (void)state;
    use_manifest(default_manifest);
    fake.fail_operation = "factory_create_factory";
    fake.fail_skip = 1; /* the app's own factory succeeds, its child factory does not */
    fake.fail_error = ERROR_QUOTA_EXCEEDED;
    const char *output = start_all();
    assert_string_equal(output, "a: capability 'factory' (manifest line 7): quota exceeded\n"
                                "a: not started: handing over its named capabilities failed: quota exceeded\n");
    assert_false(fake_page_present(WINDOW(0)));
    assert_false(fake_page_present(WINDOW(0) + SCRATCH_ENVIRONMENT_OFFSET));
}

static void failed_peer_fails_its_client(void **state)
{
    (void)state;
    use_manifest("microapp client\n image app.elf\n capability peer:server\n"
                 "microapp server\n image missing.elf\n");
    const char *output = start_all();
    assert_non_null(strstr(output, "server: not started: finding its image failed"));
    assert_non_null(strstr(output, "client: capability 'peer:server' (manifest line 3): peer gone (the peer did "
                                   "not start)\n"));
    assert_int_equal(apps[0].state, MICROAPP_FINISHED);
}

/* --- files ---------------------------------------------------------------------------------- */

/* The root task's copy of the boot file in copy slot index (app_files.c: one per file, shared by the apps). */
#define FILES_COPY(index) (ROOT_FILE_COPIES_BASE + (uint64_t)(index)*SCRATCH_FILES_MAX_SIZE)

static uint8_t file_bytes[7 * 4096 + 100];

static void fill_file_bytes(void)
{
    for (size_t i = 0; i < sizeof(file_bytes); i++) {
        file_bytes[i] = (uint8_t)(i * 13 + 5);
    }
}

static void files_are_copied_and_mapped_read_only(void **state)
{
    (void)state;
    fill_file_bytes();
    add_module("kernel.bin", file_bytes, 5000); /* two pages, the second partly */
    add_module("small.txt", file_bytes + 1, 10);
    use_manifest("microapp a\n image app.elf\n memory 64K\n file kernel.bin\n file small.txt\n");
    const char *output = start_all();
    assert_int_equal(apps[0].state, MICROAPP_RUNNING);
    assert_non_null(strstr(output, "heap 64 KiB, 0 named capabilities, 2 files (12 KiB)\n"));

    uint64_t task = SLOT(0, MICROAPP_SLOT_TASK);
    /* Five image pages, kernel.bin as one block of two pages, small.txt, then the environment page. */
    assert_int_equal(fake.map_count, 8);
    expect_map(5, task, ITEM_MEMORY(FILES_COPY(0) / 4096, 1, MEMORY_READ, 0), APP_FILES_ADDRESS);
    expect_map(6, task, ITEM_MEMORY(FILES_COPY(1) / 4096, 0, MEMORY_READ, 0), APP_FILES_ADDRESS + 0x2000);
    assert_int_equal(apps[0].file_pages, 3);

    const uint8_t *copy = (const uint8_t *)(uintptr_t)FILES_COPY(0);
    assert_memory_equal(copy, file_bytes, 5000);
    for (size_t i = 5000; i < 0x2000; i++) {
        assert_int_equal(copy[i], 0); /* the rest of the last page */
    }
    assert_false(fake_page_present(FILES_COPY(0) + 0x2000));
    const uint8_t *small = (const uint8_t *)(uintptr_t)FILES_COPY(1);
    assert_memory_equal(small, file_bytes + 1, 10);
    for (size_t i = 10; i < 0x1000; i++) {
        assert_int_equal(small[i], 0);
    }
    assert_false(fake_page_present(FILES_COPY(1) + 0x1000));

    const struct app_environment *environment =
        (const struct app_environment *)(uintptr_t)(WINDOW(0) + SCRATCH_ENVIRONMENT_OFFSET);
    assert_int_equal(environment->file_count, 2);
    assert_string_equal(environment->files[0].name, "kernel.bin");
    assert_int_equal(environment->files[0].address, APP_FILES_ADDRESS);
    assert_int_equal(environment->files[0].size, 5000);
    assert_string_equal(environment->files[1].name, "small.txt");
    assert_int_equal(environment->files[1].address, APP_FILES_ADDRESS + 0x2000);
    assert_int_equal(environment->files[1].size, 10);
}

static void files_are_mapped_in_aligned_blocks(void **state)
{
    (void)state;
    fill_file_bytes();
    add_module("one.bin", file_bytes, 4096);
    add_module("seven.bin", file_bytes, 7 * 4096);
    add_module("empty.bin", file_bytes, 0);
    add_module("last.bin", file_bytes, 4097);
    use_manifest("microapp a\n image app.elf\n file one.bin\n file seven.bin\n file empty.bin\n file last.bin\n");
    start_all();
    assert_int_equal(apps[0].state, MICROAPP_RUNNING);
    uint64_t task = SLOT(0, MICROAPP_SLOT_TASK);
    /*
     * one.bin at page 0; seven.bin at pages 1..7 of the app but from page 0 of its copy: a block must be aligned
     * in both, so page by page; empty.bin: nothing; last.bin at pages 8..9 from its copy's start: one block.
     */
    assert_int_equal(fake.map_count, 5 + 1 + 7 + 1 + 1);
    expect_map(5, task, ITEM_MEMORY(FILES_COPY(0) / 4096, 0, MEMORY_READ, 0), APP_FILES_ADDRESS);
    for (unsigned page = 0; page < 7; page++) {
        expect_map(6 + page, task, ITEM_MEMORY(FILES_COPY(1) / 4096 + page, 0, MEMORY_READ, 0),
                   APP_FILES_ADDRESS + 0x1000 * (1 + page));
    }
    expect_map(13, task, ITEM_MEMORY(FILES_COPY(2) / 4096, 1, MEMORY_READ, 0), APP_FILES_ADDRESS + 0x8000);
    assert_int_equal(apps[0].file_pages, 10);
    const struct app_environment *environment =
        (const struct app_environment *)(uintptr_t)(WINDOW(0) + SCRATCH_ENVIRONMENT_OFFSET);
    assert_int_equal(environment->file_count, 4);
    assert_int_equal(environment->files[2].address, APP_FILES_ADDRESS + 0x8000);
    assert_int_equal(environment->files[2].size, 0);
    assert_int_equal(environment->files[3].address, APP_FILES_ADDRESS + 0x8000);
    assert_memory_equal((const void *)(uintptr_t)FILES_COPY(1), file_bytes, 7 * 4096);
}

static void apps_share_one_copy_of_a_file(void **state)
{
    (void)state;
    fill_file_bytes();
    add_module("kernel.bin", file_bytes, 3 * 4096);
    /* c fails before it holds a file: its finish must not drop a's and b's copy. */
    use_manifest("microapp a\n image app.elf\n file kernel.bin\nmicroapp b\n image app.elf\n file kernel.bin\n"
                 "microapp c\n image app.elf\n file nowhere.bin\n");
    start_all();
    assert_int_equal(apps[0].state, MICROAPP_RUNNING);
    assert_int_equal(apps[1].state, MICROAPP_RUNNING);
    assert_int_equal(apps[2].state, MICROAPP_FINISHED);
    assert_true(fake_page_present(FILES_COPY(0)));
    assert_int_equal(apps[0].files[0].copy_held, 1);
    assert_int_equal(apps[1].files[0].copy_held, 1); /* one copy, slot 0, for both */
    assert_false(fake_page_present(FILES_COPY(1)));  /* no second copy */
    assert_memory_equal((const void *)(uintptr_t)FILES_COPY(0), file_bytes, 3 * 4096);
    microapp_end(&apps[0], "ended by the test");
    assert_true(fake_page_present(FILES_COPY(0))); /* b still maps it */
    microapp_end(&apps[1], "ended by the test");
    assert_false(fake_page_present(FILES_COPY(0)));
}

static void missing_file_is_reported_by_name(void **state)
{
    (void)state;
    fill_file_bytes();
    add_module("here.bin", file_bytes, 100);
    use_manifest("microapp a\n image app.elf\n file here.bin\n file nowhere.bin\n");
    const char *output = start_all();
    assert_string_equal(output, "a: not started: finding its file 'nowhere.bin' failed: not found (no such file in "
                                "the boot modules)\n");
    assert_int_equal(apps[0].state, MICROAPP_FINISHED);
    assert_int_equal(fake.created_count, 0); /* found before anything is made */
    assert_int_equal(fake.allocate_count, 0);
}

static void files_larger_than_the_window_are_refused(void **state)
{
    (void)state;
    fill_file_bytes();
    /* Sizes only: nothing is read before they are checked. */
    add_module("big.bin", file_bytes, APP_FILES_MAX_SIZE - 4096 + 1);
    add_module("small.bin", file_bytes, 1);
    use_manifest("microapp a\n image app.elf\n file small.bin\n file big.bin\n");
    const char *output = start_all();
    assert_string_equal(output, "a: not started: finding its file 'big.bin' failed: out of range (the app's files "
                                "together are larger than 2 GiB)\n");
    assert_int_equal(fake.allocate_count, 0);
}

static void failed_file_mapping_releases_the_copies(void **state)
{
    (void)state;
    fill_file_bytes();
    add_module("kernel.bin", file_bytes, 3 * 4096);
    use_manifest("microapp a\n image app.elf\n file kernel.bin\n");
    fake.fail_operation = "task_map";
    fake.fail_skip = 6; /* five image pages, then the file's first block (two pages); its second block fails */
    fake.fail_error = ERROR_QUOTA_EXCEEDED;
    const char *output = start_all();
    assert_string_equal(output, "a: not started: loading its file 'kernel.bin' failed: quota exceeded (mapping the "
                                "file into the app's task failed)\n");
    assert_int_equal(apps[0].state, MICROAPP_FINISHED);
    for (uint64_t offset = 0; offset < 3 * 4096; offset += 4096) {
        assert_false(fake_page_present(FILES_COPY(0) + offset));
    }
    assert_int_equal(fake.deleted[0], SLOT(0, MICROAPP_SLOT_TASK)); /* the app's mappings went first */
}

static void image_in_the_file_window_is_refused(void **state)
{
    (void)state;
    build_image_at(APP_FILES_ADDRESS + 0x10000000);
    use_manifest("microapp a\n image app.elf\n");
    const char *output = start_all();
    assert_string_equal(output, "a: not started: loading its image failed: overlapping ranges (an ELF segment "
                                "overlaps the app's file window)\n");
}

/* --- paging and stopping --------------------------------------------------------------------- */

static bool fault(uint64_t address, uint64_t flags, uint64_t rip, uint64_t *reply_tag, const char **output)
{
    message[0] = address;
    message[1] = flags;
    message[2] = rip;
    fake_capture_begin();
    bool reply = pager_handle(&apps[0], MESSAGE_TAG(LABEL_PAGE_FAULT, 3, 0), message, reply_tag);
    *output = fake_capture_end();
    return reply;
}

static void stack_and_heap_are_paged_on_demand(void **state)
{
    (void)state;
    use_manifest(default_manifest);
    start_all();
    uint64_t tag;
    const char *output;
    uint64_t rw = MEMORY_READ | MEMORY_WRITE;

    assert_true(fault(APP_STACK_TOP - 8, PAGE_FAULT_WRITE, 0x400100, &tag, &output));
    uint64_t stack_copy = WINDOW(0) + SCRATCH_STACK_OFFSET + APP_STACK_SIZE - 4096;
    assert_int_equal(tag, MESSAGE_TAG(0, 0, 1));
    assert_int_equal(message[0], ITEM_MEMORY(stack_copy / 4096, 0, rw, 0));
    assert_int_equal(message[1], APP_STACK_TOP - 4096);
    assert_true(fake_page_present(stack_copy));
    assert_string_equal(output, "");

    assert_true(fault(APP_STACK_TOP - APP_STACK_SIZE, 0, 0x400100, &tag, &output)); /* lowest stack byte */
    assert_int_equal(message[1], APP_STACK_TOP - APP_STACK_SIZE);

    /* A heap fault maps the aligned 64 KiB block around the page (the whole 64 KiB heap here), all fresh. */
    assert_true(fault(APP_HEAP_BASE + 0x1234, 0, 0x400100, &tag, &output));
    uint64_t heap_copy = WINDOW(0) + SCRATCH_HEAP_OFFSET + 0x1000;
    assert_int_equal(message[0], ITEM_MEMORY((WINDOW(0) + SCRATCH_HEAP_OFFSET) / 4096, 4, rw, 0));
    assert_int_equal(message[1], APP_HEAP_BASE);
    assert_int_equal(apps[0].heap_pages, 16);
    assert_true(fake_page_present(WINDOW(0) + SCRATCH_HEAP_OFFSET + 15 * 4096));

    /* A page of it again (the app lost it): just that page, the same copy, nothing new allocated. */
    size_t allocated = fake.allocate_count;
    assert_true(fault(APP_HEAP_BASE + 0x1000, PAGE_FAULT_WRITE, 0x400100, &tag, &output));
    assert_int_equal(message[0], ITEM_MEMORY(heap_copy / 4096, 0, rw, 0));
    assert_int_equal(fake.allocate_count, allocated);

    assert_true(fault(APP_HEAP_BASE + 64 * 1024 - 1, PAGE_FAULT_WRITE, 0x400100, &tag, &output)); /* last byte */
    assert_int_equal(apps[0].heap_pages, 16);
    assert_int_equal(apps[0].state, MICROAPP_RUNNING);
}

static void fault_outside_stack_and_heap_stops_the_app(void **state)
{
    (void)state;
    use_manifest(default_manifest);
    start_all();
    uint64_t tag;
    const char *output;
    size_t deleted = fake.deleted_count;
    assert_false(fault(0, 0, 0x401234, &tag, &output));
    assert_string_equal(output, "a: stopped: page fault at 0x0 (rip 0x401234): read, outside its stack and heap\n");
    assert_int_equal(apps[0].state, MICROAPP_FINISHED);
    assert_int_equal(fake.deleted[deleted], SLOT(0, MICROAPP_SLOT_TASK)); /* the task goes first */
    assert_int_equal(fake.deleted[fake.deleted_count - 1], SLOT(0, MICROAPP_SLOT_FACTORY));
    assert_int_equal(fake.deleted_count - deleted, 6);
}

static void heap_fault_beyond_the_limit_stops_the_app(void **state)
{
    (void)state;
    use_manifest(default_manifest);
    start_all();
    uint64_t tag;
    const char *output;
    assert_false(fault(APP_HEAP_BASE + 64 * 1024, PAGE_FAULT_WRITE, 0x401000, &tag, &output));
    assert_string_equal(output,
                        "a: stopped: page fault at 0x100000010000 (rip 0x401000): write, outside its stack and heap\n");
}

static void execute_fault_in_the_stack_stops_the_app(void **state)
{
    (void)state;
    use_manifest(default_manifest);
    start_all();
    uint64_t tag;
    const char *output;
    assert_false(fault(APP_STACK_TOP - 16, PAGE_FAULT_EXECUTE, APP_STACK_TOP - 16, &tag, &output));
    assert_string_equal(output, "a: stopped: page fault at 0x7ffdfffffff0 (rip 0x7ffdfffffff0): execute, stack and "
                                "heap are not executable\n");
}

static void out_of_memory_stops_the_app(void **state)
{
    (void)state;
    use_manifest(default_manifest);
    start_all();
    uint64_t tag;
    const char *output;
    fake.fail_operation = "memory_allocate";
    fake.fail_error = ERROR_OUT_OF_MEMORY;
    assert_false(fault(APP_HEAP_BASE, PAGE_FAULT_WRITE, 0x401000, &tag, &output));
    assert_string_equal(output, "a: stopped: page fault at 0x100000000000 (rip 0x401000): write, out of memory\n");
}

static void exception_stops_the_app(void **state)
{
    (void)state;
    use_manifest(default_manifest);
    start_all();
    uint64_t tag;
    message[0] = 14;
    message[1] = 0x6;
    message[2] = 0x401000;
    message[3] = 0x7ffdffffff00;
    message[4] = 0xdead000;
    fake_capture_begin();
    assert_false(pager_handle(&apps[0], MESSAGE_TAG(LABEL_EXCEPTION, 5, 0), message, &tag));
    assert_string_equal(fake_capture_end(), "a: stopped: exception 14 at rip 0x401000 (error code 0x6, rsp "
                                            "0x7ffdffffff00, address 0xdead000)\n");
    assert_int_equal(apps[0].state, MICROAPP_FINISHED);
}

static void file_faults_stop_the_app(void **state)
{
    (void)state;
    fill_file_bytes();
    add_module("kernel.bin", file_bytes, 5000);
    use_manifest("microapp a\n image app.elf\n file kernel.bin\n");
    start_all();
    uint64_t tag;
    const char *output;
    assert_false(fault(APP_FILES_ADDRESS + 8, PAGE_FAULT_WRITE | 1, 0x401000, &tag, &output));
    assert_string_equal(output, "a: stopped: page fault at 0x200000000008 (rip 0x401000): write, its files are "
                                "read-only\n");
    assert_int_equal(apps[0].state, MICROAPP_FINISHED);
    assert_false(fake_page_present(FILES_COPY(0)));
    assert_false(fake_page_present(FILES_COPY(0) + 0x1000));

    fake_reset();
    setup(NULL);
    add_module("kernel.bin", file_bytes, 5000);
    use_manifest("microapp a\n image app.elf\n file kernel.bin\n");
    start_all();
    assert_false(fault(APP_FILES_ADDRESS, PAGE_FAULT_EXECUTE, APP_FILES_ADDRESS, &tag, &output));
    assert_string_equal(output, "a: stopped: page fault at 0x200000000000 (rip 0x200000000000): execute, its files "
                                "are not executable\n");

    fake_reset();
    setup(NULL);
    add_module("kernel.bin", file_bytes, 5000);
    use_manifest("microapp a\n image app.elf\n file kernel.bin\n");
    start_all();
    assert_false(fault(APP_FILES_ADDRESS + 0x2000, 0, 0x401000, &tag, &output));
    assert_string_equal(output, "a: stopped: page fault at 0x200000002000 (rip 0x401000): read, outside its files\n");
}

static void exit_reports_the_status_and_releases_everything(void **state)
{
    (void)state;
    use_manifest(default_manifest);
    start_all();
    uint64_t tag;
    const char *output;
    assert_true(fault(APP_HEAP_BASE + 0x3000, PAGE_FAULT_WRITE, 0x400100, &tag, &output));
    assert_true(fault(APP_STACK_TOP - 1, PAGE_FAULT_WRITE, 0x400100, &tag, &output));
    message[0] = (uint64_t)(int64_t)-3;
    fake_capture_begin();
    assert_false(pager_handle(&apps[0], MESSAGE_TAG(LABEL_APP_EXIT, 1, 0), message, &tag));
    assert_string_equal(fake_capture_end(), "a: exited with status -3\n");
    assert_int_equal(apps[0].state, MICROAPP_FINISHED);
    for (uint64_t offset = 0; offset < 0x6000; offset += 0x1000) {
        assert_false(fake_page_present(WINDOW(0) + offset));
    }
    assert_false(fake_page_present(WINDOW(0) + SCRATCH_ENVIRONMENT_OFFSET));
    assert_false(fake_page_present(WINDOW(0) + SCRATCH_STACK_OFFSET + APP_STACK_SIZE - 4096));
    assert_false(fake_page_present(WINDOW(0) + SCRATCH_HEAP_OFFSET + 0x3000));
    for (size_t i = 0; i < fake.unmap_count; i++) {
        assert_int_equal(fake.unmaps[i].task, ROOT_TASK);
        assert_int_equal(fake.unmaps[i].flags, UNMAP_SELF);
    }
    /* A second finish does nothing. */
    size_t deleted = fake.deleted_count;
    microapp_end(&apps[0], "ended by the test");
    assert_int_equal(fake.deleted_count, deleted);
}

static void malformed_pager_messages_get_an_error_reply(void **state)
{
    (void)state;
    use_manifest(default_manifest);
    start_all();
    uint64_t tag;
    assert_true(pager_handle(&apps[0], MESSAGE_TAG(LABEL_PAGE_FAULT, 2, 0), message, &tag));
    assert_int_equal(tag, MESSAGE_TAG(ERROR_INVALID_ARGUMENT, 0, 0));
    assert_true(pager_handle(&apps[0], MESSAGE_TAG(LABEL_EXCEPTION, 1, 0), message, &tag));
    assert_int_equal(tag, MESSAGE_TAG(ERROR_INVALID_ARGUMENT, 0, 0));
    assert_true(pager_handle(&apps[0], MESSAGE_TAG(LABEL_APP_EXIT, 0, 0), message, &tag));
    assert_int_equal(tag, MESSAGE_TAG(ERROR_INVALID_ARGUMENT, 0, 0));
    assert_true(pager_handle(&apps[0], MESSAGE_TAG(LABEL_LOG_WRITE, 1, 0), message, &tag));
    assert_int_equal(tag, MESSAGE_TAG(ERROR_INVALID_OPERATION, 0, 0));
    assert_int_equal(apps[0].state, MICROAPP_RUNNING);
}

/* --- shared regions ------------------------------------------------------------------------ */

#define REGION_COPY(region) (ROOT_SHARED_BASE + (uint64_t)(region)*APP_SHARED_MAX_SIZE)
#define SLOT_ADDRESS(i) (APP_SHARED_ADDRESS + (uint64_t)(i)*APP_SHARED_MAX_SIZE)
#define RW (MEMORY_READ | MEMORY_WRITE)

/* Two apps share "net" (64K, region 0) and "ack" (12K, region 1), each naming them in its own order. */
static const char shared_manifest[] = "microapp a\n image app.elf\n shared net 64K\n shared ack 12K\n"
                                      "microapp b\n image app.elf\n shared ack 12K\n shared net 64K\n";

static bool region_present(size_t region, uint64_t pages)
{
    for (uint64_t page = 0; page < pages; page++) {
        if (!fake_page_present(REGION_COPY(region) + page * 4096)) {
            return false;
        }
    }
    return true;
}

static bool region_absent(size_t region, uint64_t pages)
{
    for (uint64_t page = 0; page < pages; page++) {
        if (fake_page_present(REGION_COPY(region) + page * 4096)) {
            return false;
        }
    }
    return true;
}

static const struct app_environment *environment_of(size_t index)
{
    return (const struct app_environment *)(uintptr_t)(WINDOW(index) + SCRATCH_ENVIRONMENT_OFFSET);
}

static void shared_regions_are_the_same_pages_in_every_app(void **state)
{
    (void)state;
    use_manifest(shared_manifest);
    const char *output = start_all();
    assert_int_equal(apps[0].state, MICROAPP_RUNNING);
    assert_int_equal(apps[1].state, MICROAPP_RUNNING);
    assert_non_null(strstr(output, "roottask: started a: image app.elf (entry 0x400010, 24 KiB), priority 10, quota "
                                   "1024 KiB, heap 1024 KiB, 0 named capabilities, 2 shared regions (net 64 KiB, ack "
                                   "12 KiB)\n"));
    assert_non_null(strstr(output, "2 shared regions (ack 12 KiB, net 64 KiB)\n"));
    /* Allocated once: five image pages per app, two environment pages, 16 + 3 shared pages. */
    assert_int_equal(fake.allocate_count, 5 + 5 + 2 + 16 + 3);
    assert_true(region_present(0, 16));
    assert_true(region_present(1, 3));
    const uint8_t *net = (const uint8_t *)(uintptr_t)REGION_COPY(0);
    for (size_t i = 0; i < 64 * 1024; i++) {
        assert_int_equal(net[i], 0);
    }

    /* a: net as one block of 16 pages, ack as 2 + 1; b the same pages in its own order. Then the environments. */
    uint64_t task_a = SLOT(0, MICROAPP_SLOT_TASK);
    uint64_t task_b = SLOT(1, MICROAPP_SLOT_TASK);
    assert_int_equal(fake.map_count, 5 + 3 + 5 + 3 + 2);
    expect_map(5, task_a, ITEM_MEMORY(REGION_COPY(0) / 4096, 4, RW, 0), SLOT_ADDRESS(0));
    expect_map(6, task_a, ITEM_MEMORY(REGION_COPY(1) / 4096, 1, RW, 0), SLOT_ADDRESS(1));
    expect_map(7, task_a, ITEM_MEMORY(REGION_COPY(1) / 4096 + 2, 0, RW, 0), SLOT_ADDRESS(1) + 0x2000);
    expect_map(13, task_b, ITEM_MEMORY(REGION_COPY(1) / 4096, 1, RW, 0), SLOT_ADDRESS(0));
    expect_map(14, task_b, ITEM_MEMORY(REGION_COPY(1) / 4096 + 2, 0, RW, 0), SLOT_ADDRESS(0) + 0x2000);
    expect_map(15, task_b, ITEM_MEMORY(REGION_COPY(0) / 4096, 4, RW, 0), SLOT_ADDRESS(1));

    const struct app_environment *a = environment_of(0);
    assert_int_equal(a->shared_count, 2);
    assert_string_equal(a->shared[0].name, "net");
    assert_int_equal(a->shared[0].address, SLOT_ADDRESS(0));
    assert_int_equal(a->shared[0].size, 64 * 1024);
    assert_string_equal(a->shared[1].name, "ack");
    assert_int_equal(a->shared[1].address, SLOT_ADDRESS(1));
    assert_int_equal(a->shared[1].size, 12 * 1024);
    const struct app_environment *b = environment_of(1);
    assert_int_equal(b->shared_count, 2);
    assert_string_equal(b->shared[0].name, "ack");
    assert_int_equal(b->shared[0].address, SLOT_ADDRESS(0));
    assert_string_equal(b->shared[1].name, "net");
    assert_int_equal(b->shared[1].address, SLOT_ADDRESS(1));
    assert_int_equal(b->shared[1].size, 64 * 1024);
}

static void exit_of(size_t index)
{
    uint64_t tag;
    message[0] = 0;
    fake_capture_begin();
    assert_false(pager_handle(&apps[index], MESSAGE_TAG(LABEL_APP_EXIT, 1, 0), message, &tag));
    fake_capture_end();
}

static void shared_pages_go_with_their_last_app(void **state)
{
    (void)state;
    use_manifest(shared_manifest);
    start_all();
    exit_of(1);
    assert_int_equal(apps[1].state, MICROAPP_FINISHED);
    assert_true(region_present(0, 16)); /* a still holds both */
    assert_true(region_present(1, 3));
    exit_of(0);
    assert_true(region_absent(0, 16));
    assert_true(region_absent(1, 3));
    for (size_t i = 0; i < fake.unmap_count; i++) {
        assert_int_equal(fake.unmaps[i].task, ROOT_TASK);
        assert_int_equal(fake.unmaps[i].flags, UNMAP_SELF);
    }
}

static void a_region_goes_when_its_own_apps_are_gone(void **state)
{
    (void)state;
    use_manifest("microapp a\n image app.elf\n shared one 4K\n shared two 4K\n"
                 "microapp b\n image app.elf\n shared one 4K\n"
                 "microapp c\n image app.elf\n shared two 4K\n");
    start_all();
    exit_of(0);
    assert_true(region_present(0, 1)); /* b holds "one" */
    assert_true(region_present(1, 1)); /* c holds "two" */
    exit_of(2);
    assert_true(region_present(0, 1));
    assert_true(region_absent(1, 1));
    exit_of(1);
    assert_true(region_absent(0, 1));
}

static void failed_shared_mapping_keeps_the_pages_another_app_holds(void **state)
{
    (void)state;
    use_manifest(shared_manifest);
    fake.fail_operation = "task_map";
    fake.fail_skip = 5 + 3 + 5 + 2; /* a completely, then b's image and its "ack": its "net" fails */
    fake.fail_error = ERROR_QUOTA_EXCEEDED;
    const char *output = start_all();
    assert_non_null(strstr(output, "b: not started: loading its shared region 'net' failed: quota exceeded (mapping "
                                   "the shared region into the app's task failed)\n"));
    assert_int_equal(apps[0].state, MICROAPP_RUNNING);
    assert_int_equal(apps[1].state, MICROAPP_FINISHED);
    assert_true(region_present(0, 16));
    assert_true(region_present(1, 3));
    exit_of(0);
    assert_true(region_absent(0, 16));
    assert_true(region_absent(1, 3));
}

static void failed_shared_allocation_releases_what_no_one_holds(void **state)
{
    (void)state;
    use_manifest(shared_manifest);
    fake.fail_operation = "memory_allocate";
    fake.fail_skip = 5 + 16 + 1; /* a's image, its "net" and the first page of "ack" */
    fake.fail_error = ERROR_OUT_OF_MEMORY;
    const char *output = start_all();
    assert_non_null(strstr(output, "a: not started: loading its shared region 'ack' failed: out of memory "
                                   "(allocating a page for the shared region failed)\n"));
    assert_int_equal(apps[0].state, MICROAPP_FINISHED);
    /* b, created after a was gone, got the regions afresh. */
    assert_int_equal(apps[1].state, MICROAPP_RUNNING);
    assert_true(region_present(0, 16));
    assert_true(region_present(1, 3));
    exit_of(1);
    assert_true(region_absent(0, 16));
    assert_true(region_absent(1, 3));
}

static void shared_window_faults_stop_the_app(void **state)
{
    (void)state;
    uint64_t tag;
    const char *output;
    use_manifest(shared_manifest);
    start_all();
    assert_false(fault(SLOT_ADDRESS(1) + 12 * 1024, PAGE_FAULT_WRITE, 0x401000, &tag, &output));
    assert_string_equal(output, "a: stopped: page fault at 0x280000103000 (rip 0x401000): write, outside its shared "
                                "regions\n");
    assert_true(region_present(1, 3)); /* b still holds it */

    fake_reset();
    setup(NULL);
    use_manifest(shared_manifest);
    start_all();
    assert_false(fault(SLOT_ADDRESS(0) + 8, PAGE_FAULT_EXECUTE, SLOT_ADDRESS(0) + 8, &tag, &output));
    assert_string_equal(output, "a: stopped: page fault at 0x280000000008 (rip 0x280000000008): execute, its shared "
                                "regions are not executable\n");
}

static void image_in_the_shared_window_is_refused(void **state)
{
    (void)state;
    build_image_at(APP_SHARED_ADDRESS + 0x200000);
    use_manifest("microapp a\n image app.elf\n");
    const char *output = start_all();
    assert_string_equal(output, "a: not started: loading its image failed: overlapping ranges (an ELF segment "
                                "overlaps the app's shared window)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(start_creates_objects_from_the_app_factory, setup, teardown),
        cmocka_unit_test_setup_teardown(start_hands_over_capabilities_without_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(driver_capabilities_come_from_the_root_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(start_loads_segments_with_their_rights_and_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(a_clock_is_the_scheduler_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(start_fills_the_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(peers_get_a_gate_to_the_other_app_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_image_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_image_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(image_in_the_heap_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_creation_releases_what_was_made, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_named_capability_is_reported_with_its_line, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_peer_fails_its_client, setup, teardown),
        cmocka_unit_test_setup_teardown(files_are_copied_and_mapped_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(files_are_mapped_in_aligned_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(apps_share_one_copy_of_a_file, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_file_is_reported_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(files_larger_than_the_window_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_file_mapping_releases_the_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(image_in_the_file_window_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(shared_regions_are_the_same_pages_in_every_app, setup, teardown),
        cmocka_unit_test_setup_teardown(shared_pages_go_with_their_last_app, setup, teardown),
        cmocka_unit_test_setup_teardown(a_region_goes_when_its_own_apps_are_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_shared_mapping_keeps_the_pages_another_app_holds, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_shared_allocation_releases_what_no_one_holds, setup, teardown),
        cmocka_unit_test_setup_teardown(shared_window_faults_stop_the_app, setup, teardown),
        cmocka_unit_test_setup_teardown(image_in_the_shared_window_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(stack_and_heap_are_paged_on_demand, setup, teardown),
        cmocka_unit_test_setup_teardown(fault_outside_stack_and_heap_stops_the_app, setup, teardown),
        cmocka_unit_test_setup_teardown(heap_fault_beyond_the_limit_stops_the_app, setup, teardown),
        cmocka_unit_test_setup_teardown(execute_fault_in_the_stack_stops_the_app, setup, teardown),
        cmocka_unit_test_setup_teardown(out_of_memory_stops_the_app, setup, teardown),
        cmocka_unit_test_setup_teardown(exception_stops_the_app, setup, teardown),
        cmocka_unit_test_setup_teardown(file_faults_stop_the_app, setup, teardown),
        cmocka_unit_test_setup_teardown(exit_reports_the_status_and_releases_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_pager_messages_get_an_error_reply, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
