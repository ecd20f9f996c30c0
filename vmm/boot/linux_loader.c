#include "linux_loader.h"

#include "zero_page.h"
#include <stdbool.h>
#include <string.h>

#define ONE_MIB 0x100000ull
#define FOUR_GIB 0x100000000ull
#define PAGE_SIZE 4096ull

/* Guest-physical addresses [start, end). */
struct range {
    uint64_t start;
    uint64_t end;
};

/* What linux_load puts where, decided before anything is written. */
struct placement {
    struct bzimage bzimage;
    size_t command_line_bytes; /* with the NUL */
    struct range zero_page;
    struct range command_line;
    struct range kernel;
    struct range initrd; /* empty without an initrd */
};

static bool ranges_overlap(struct range a, struct range b)
{
    return a.start < b.end && b.start < a.end;
}

static bool range_contains(struct range outer, struct range inner)
{
    return outer.start <= inner.start && inner.end <= outer.end;
}

static struct range e820_range(const struct linux_e820_entry *entry)
{
    return (struct range){entry->address, entry->address + entry->size};
}

/* [address, address + size) if all of it is guest RAM; false otherwise (this also rules out wrapping). */
static bool guest_range(const struct guest_memory *memory, uint64_t address, uint64_t size, struct range *range)
{
    if (guest_memory_at(memory, address, size) == NULL) {
        return false;
    }
    *range = (struct range){address, address + size};
    return true;
}

static enum boot_error check_e820(const struct guest_memory *memory, const struct linux_boot_layout *layout)
{
    if (layout->e820_count > LINUX_E820_MAX_ENTRIES) {
        return BOOT_ERROR_TOO_MANY_E820_ENTRIES;
    }
    for (size_t i = 0; i < layout->e820_count; i++) {
        const struct linux_e820_entry *entry = &layout->e820[i];
        if (entry->size == 0 || entry->size > UINT64_MAX - entry->address) {
            return BOOT_ERROR_BAD_E820_ENTRY;
        }
        /* Linux would use RAM the VMM does not have. Reserved ranges may lie anywhere (device windows). */
        if (entry->type == LINUX_E820_RAM && guest_memory_at(memory, entry->address, entry->size) == NULL) {
            return BOOT_ERROR_BAD_E820_ENTRY;
        }
    }
    return BOOT_OK;
}

/*
 * Where the kernel runs: a non-relocatable kernel moves itself to pref_address anyway, and a
 * relocatable one decompresses at its load address aligned up to kernel_alignment, but never below
 * pref_address (LOAD_PHYSICAL_ADDR); loading it at the aligned pref_address makes both the same.
 * Without pref_address, the traditional 1 MiB.
 */
static bool kernel_address(const struct bzimage *bzimage, uint64_t *address)
{
    uint64_t preferred = bzimage->pref_address ? bzimage->pref_address : ONE_MIB;
    if (!bzimage->relocatable) {
        *address = preferred;
        return true;
    }
    uint64_t mask = (uint64_t)bzimage->kernel_alignment - 1;
    if (preferred > UINT64_MAX - mask) {
        return false;
    }
    *address = (preferred + mask) & ~mask;
    return true;
}

/* The start of something that range would overwrite: an earlier placement or a non-RAM e820 range. */
static bool find_blocker(const struct linux_boot_layout *layout, const struct range *placed, size_t placed_count,
                         struct range range, uint64_t *blocker_start)
{
    for (size_t i = 0; i < placed_count; i++) {
        if (ranges_overlap(range, placed[i])) {
            *blocker_start = placed[i].start;
            return true;
        }
    }
    for (size_t i = 0; i < layout->e820_count; i++) {
        struct range reserved = e820_range(&layout->e820[i]);
        if (layout->e820[i].type != LINUX_E820_RAM && ranges_overlap(range, reserved)) {
            *blocker_start = reserved.start;
            return true;
        }
    }
    return false;
}

/*
 * The highest page-aligned home for size bytes of initrd inside one e820 RAM range, below limit and
 * clear of the placements and non-RAM ranges: from the top of each RAM range, slide below whatever
 * is in the way (each blocker at most once, so this ends).
 */
static bool initrd_address(const struct linux_boot_layout *layout, const struct range *placed, size_t placed_count,
                           uint64_t limit, uint64_t size, uint64_t *address)
{
    bool found = false;
    for (size_t i = 0; i < layout->e820_count; i++) {
        if (layout->e820[i].type != LINUX_E820_RAM) {
            continue;
        }
        struct range ram = e820_range(&layout->e820[i]);
        uint64_t top = ram.end < limit ? ram.end : limit;
        while (top >= ram.start && top - ram.start >= size) {
            uint64_t candidate = (top - size) & ~(PAGE_SIZE - 1);
            if (candidate < ram.start) {
                break;
            }
            uint64_t blocker_start;
            if (!find_blocker(layout, placed, placed_count, (struct range){candidate, candidate + size},
                              &blocker_start)) {
                if (!found || candidate > *address) {
                    *address = candidate;
                }
                found = true;
                break;
            }
            top = blocker_start;
        }
    }
    return found;
}

static enum boot_error place(const struct guest_memory *memory, const uint8_t *image, size_t image_size,
                             size_t initrd_size, const char *command_line, const struct linux_boot_layout *layout,
                             struct placement *placement)
{
    struct bzimage *bzimage = &placement->bzimage;
    enum boot_error error = bzimage_parse(image, image_size, bzimage);
    if (error != BOOT_OK) {
        return error;
    }
    size_t command_line_length = strlen(command_line);
    if (command_line_length > bzimage->cmdline_size) {
        return BOOT_ERROR_COMMAND_LINE_TOO_LONG;
    }
    placement->command_line_bytes = command_line_length + 1;
    error = check_e820(memory, layout);
    if (error != BOOT_OK) {
        return error;
    }

    uint64_t kernel_span = bzimage->init_size > bzimage->kernel_size ? bzimage->init_size : bzimage->kernel_size;
    uint64_t kernel_start;
    if (!kernel_address(bzimage, &kernel_start) ||
        !guest_range(memory, kernel_start, kernel_span, &placement->kernel) ||
        !guest_range(memory, layout->zero_page_address, LINUX_ZERO_PAGE_SIZE, &placement->zero_page) ||
        !guest_range(memory, layout->command_line_address, placement->command_line_bytes, &placement->command_line)) {
        return BOOT_ERROR_OUTSIDE_GUEST_MEMORY;
    }
    if (!(bzimage->xloadflags & BZIMAGE_XLF_CAN_BE_LOADED_ABOVE_4G) &&
        (placement->kernel.end > FOUR_GIB || placement->zero_page.end > FOUR_GIB ||
         placement->command_line.end > FOUR_GIB)) {
        return BOOT_ERROR_ABOVE_4G;
    }

    bool kernel_in_ram = false;
    for (size_t i = 0; i < layout->e820_count; i++) {
        if (layout->e820[i].type == LINUX_E820_RAM && range_contains(e820_range(&layout->e820[i]), placement->kernel)) {
            kernel_in_ram = true;
        }
    }
    if (!kernel_in_ram) {
        return BOOT_ERROR_KERNEL_NOT_IN_RAM;
    }

    const struct range placed[] = {placement->kernel, placement->zero_page, placement->command_line};
    uint64_t ignored;
    for (size_t i = 0; i < sizeof placed / sizeof placed[0]; i++) {
        if (find_blocker(layout, placed, i, placed[i], &ignored)) {
            return BOOT_ERROR_OVERLAP;
        }
    }

    placement->initrd = (struct range){0, 0};
    if (initrd_size != 0) {
        /* The flag says the initrd may lie anywhere; otherwise initrd_addr_max is its highest byte. */
        uint64_t limit = (bzimage->xloadflags & BZIMAGE_XLF_CAN_BE_LOADED_ABOVE_4G)
                             ? UINT64_MAX
                             : (uint64_t)bzimage->initrd_addr_max + 1;
        uint64_t address;
        if (!initrd_address(layout, placed, sizeof placed / sizeof placed[0], limit, initrd_size, &address)) {
            return BOOT_ERROR_NO_ROOM_FOR_INITRD;
        }
        placement->initrd = (struct range){address, address + initrd_size};
    }
    return BOOT_OK;
}

static void *guest_pointer(const struct guest_memory *memory, struct range range)
{
    return guest_memory_at(memory, range.start, range.end - range.start);
}

enum boot_error linux_load(const struct guest_memory *memory, const uint8_t *image, size_t image_size,
                           const uint8_t *initrd, size_t initrd_size, const char *command_line,
                           const struct linux_boot_layout *layout, struct linux_boot_entry *entry)
{
    struct placement placement;
    enum boot_error error = place(memory, image, image_size, initrd_size, command_line, layout, &placement);
    if (error != BOOT_OK) {
        return error;
    }

    const struct bzimage *bzimage = &placement.bzimage;
    memcpy(guest_pointer(memory, placement.kernel), image + bzimage->kernel_offset, bzimage->kernel_size);
    memcpy(guest_pointer(memory, placement.command_line), command_line, placement.command_line_bytes);
    if (initrd_size != 0) {
        memcpy(guest_pointer(memory, placement.initrd), initrd, initrd_size);
    }
    zero_page_fill(guest_pointer(memory, placement.zero_page), image, bzimage, layout, placement.initrd.start,
                   initrd_size);

    *entry = (struct linux_boot_entry){
        .entry_address = placement.kernel.start + BZIMAGE_ENTRY_64_OFFSET,
        .zero_page_address = placement.zero_page.start,
        .kernel_address = placement.kernel.start,
        .kernel_span = placement.kernel.end - placement.kernel.start,
        .initrd_address = placement.initrd.start,
    };
    return BOOT_OK;
}
