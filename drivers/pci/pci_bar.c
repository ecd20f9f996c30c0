#include "pci_bar.h"

#include "pci_registers.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#define ALL_ONES 0xffffffffu
#define UPPER_DWORD 0xffffffff00000000ull
#define IO_UPPER_HALF 0xffff0000u

static enum pci_problem_kind invalid(struct pci_bar *bar, enum pci_problem_kind kind)
{
    *bar = (struct pci_bar){.kind = PCI_BAR_INVALID};
    return kind;
}

/* The size a sizing mask says (its lowest set bit), or 0 if the mask is not all ones from there up. */
static uint64_t mask_size(uint64_t mask)
{
    uint64_t lowest = mask & (~mask + 1);
    return mask + lowest == 0 ? lowest : 0;
}

/*
 * Fills address and size in from mask (all 64 bits meaningful; shown is what was read) and checks them against the
 * space's size limit (0: none).
 */
static enum pci_problem_kind place(struct pci_bar *bar, uint64_t address, uint64_t mask, uint64_t shown, uint64_t limit,
                                   char *why, size_t why_size)
{
    uint64_t size = mask_size(mask);
    if (size == 0) {
        snprintf(why, why_size, "size read 0x%" PRIx64 " is not a mask", shown);
        return invalid(bar, PCI_PROBLEM_BAR_SIZE);
    }
    if (limit && size >= limit) {
        snprintf(why, why_size, "sizes to 0x%" PRIx64 " bytes, the whole of its space", size);
        return invalid(bar, PCI_PROBLEM_BAR_SIZE);
    }
    if (address & (size - 1)) {
        snprintf(why, why_size, "address 0x%" PRIx64 " is not aligned to its size 0x%" PRIx64, address, size);
        return invalid(bar, PCI_PROBLEM_BAR_PLACEMENT);
    }
    if (limit && address + size > limit) {
        snprintf(why, why_size, "0x%" PRIx64 " + 0x%" PRIx64 " lies beyond its space", address, size);
        return invalid(bar, PCI_PROBLEM_BAR_PLACEMENT);
    }
    bar->address = address;
    bar->size = size;
    return PCI_PROBLEM_NONE;
}

static enum pci_problem_kind decode_io(const struct pci_bar_reading *reading, struct pci_bar *bar, char *why,
                                       size_t why_size)
{
    if (!(reading->readback & PCI_BAR_IO_SPACE)) {
        snprintf(why, why_size, "I/O BAR reads back 0x%08" PRIx32 " (memory) when sized", reading->readback);
        return invalid(bar, PCI_PROBLEM_BAR_TYPE);
    }
    uint32_t address = reading->original & PCI_BAR_IO_ADDRESS_MASK;
    uint32_t mask = reading->readback & PCI_BAR_IO_ADDRESS_MASK;
    if ((mask & ~IO_UPPER_HALF) == 0) {
        if (address) {
            snprintf(why, why_size, "holds 0x%08" PRIx32 " but sizes to nothing", reading->original);
            return invalid(bar, PCI_PROBLEM_BAR_SIZE);
        }
        *bar = (struct pci_bar){.kind = PCI_BAR_UNUSED};
        return PCI_PROBLEM_NONE;
    }
    if ((mask & IO_UPPER_HALF) == 0) {
        mask |= IO_UPPER_HALF; /* a 16-bit I/O decoder: the upper half reads zero */
    }
    *bar = (struct pci_bar){.kind = PCI_BAR_IO};
    return place(bar, address, UPPER_DWORD | mask, reading->readback, PCI_IO_SPACE_SIZE, why, why_size);
}

static enum pci_problem_kind decode_memory(const struct pci_bar_reading *reading, struct pci_bar *bar, char *why,
                                           size_t why_size)
{
    uint32_t type_bits =
        PCI_BAR_IO_SPACE | PCI_BAR_MEMORY_TYPE_MASK << PCI_BAR_MEMORY_TYPE_SHIFT | PCI_BAR_MEMORY_PREFETCHABLE;
    if ((reading->readback & type_bits) != (reading->original & type_bits)) {
        snprintf(why, why_size, "type bits 0x%" PRIx32 " read back as 0x%" PRIx32 " when sized",
                 reading->original & type_bits, reading->readback & type_bits);
        return invalid(bar, PCI_PROBLEM_BAR_TYPE);
    }
    unsigned type = reading->original >> PCI_BAR_MEMORY_TYPE_SHIFT & PCI_BAR_MEMORY_TYPE_MASK;
    if (type != PCI_BAR_MEMORY_TYPE_32 && type != PCI_BAR_MEMORY_TYPE_64) {
        snprintf(why, why_size, "memory type %u is reserved", type);
        return invalid(bar, PCI_PROBLEM_BAR_TYPE);
    }
    bool wide = type == PCI_BAR_MEMORY_TYPE_64;
    uint64_t address = reading->original & PCI_BAR_MEMORY_ADDRESS_MASK;
    uint64_t mask = reading->readback & PCI_BAR_MEMORY_ADDRESS_MASK;
    uint64_t shown = reading->readback;
    if (wide) {
        address |= (uint64_t)reading->upper_original << 32;
        mask |= (uint64_t)reading->upper_readback << 32;
        shown |= (uint64_t)reading->upper_readback << 32;
    } else if (mask) {
        mask |= UPPER_DWORD; /* a 32-bit BAR: the address bits above it are simply not there */
    }
    if (mask == 0) {
        if (address) {
            snprintf(why, why_size, "holds 0x%" PRIx64 " but sizes to nothing", address);
            return invalid(bar, PCI_PROBLEM_BAR_SIZE);
        }
        *bar = (struct pci_bar){.kind = PCI_BAR_UNUSED};
        return PCI_PROBLEM_NONE;
    }
    *bar = (struct pci_bar){
        .kind = wide ? PCI_BAR_MEMORY64 : PCI_BAR_MEMORY32,
        .prefetchable = reading->original & PCI_BAR_MEMORY_PREFETCHABLE,
    };
    return place(bar, address, mask, shown, 0, why, why_size);
}

enum pci_problem_kind pci_bar_decode(const struct pci_bar_reading *reading, struct pci_bar *bar, char *why,
                                     size_t why_size)
{
    if (why_size) {
        why[0] = '\0';
    }
    if (reading->original & PCI_BAR_IO_SPACE) {
        return decode_io(reading, bar, why, why_size);
    }
    return decode_memory(reading, bar, why, why_size);
}

struct sizing {
    const struct pci_config *config;
    struct pci_function *fn;
    struct pci_problems *problems;
    bool failed; /* a configuration access failed (reported once) */
};

static void access_failed(struct sizing *s, uint16_t offset, enum error error)
{
    if (!s->failed) {
        pci_problem_report(s->problems, s->fn->address, s->fn, PCI_PROBLEM_ACCESS,
                           "configuration access at 0x%02x failed while sizing BARs: %s", offset, error_name(error));
    }
    s->failed = true;
}

static uint32_t read32(struct sizing *s, uint16_t offset)
{
    uint32_t value;
    enum error error = pci_config_read32(s->config, s->fn->address, offset, &value);
    if (error != ERROR_NONE) {
        access_failed(s, offset, error);
    }
    return value;
}

static void write32(struct sizing *s, uint16_t offset, uint32_t value)
{
    enum error error = pci_config_write32(s->config, s->fn->address, offset, value);
    if (error != ERROR_NONE) {
        access_failed(s, offset, error);
    }
}

/* Writes all ones to the BAR dword at offset, reads the mask back, and restores original (checking it took). */
static uint32_t size_dword(struct sizing *s, unsigned index, uint16_t offset, uint32_t original)
{
    write32(s, offset, ALL_ONES);
    uint32_t readback = read32(s, offset);
    write32(s, offset, original);
    uint32_t restored = read32(s, offset);
    if (!s->failed && restored != original) {
        pci_problem_report(s->problems, s->fn->address, s->fn, PCI_PROBLEM_NOT_RESTORED,
                           "BAR%u reads 0x%08" PRIx32 " after its old value 0x%08" PRIx32 " was written back", index,
                           restored, original);
    }
    return readback;
}

/* Sizes BAR index; returns how many slots it took (2 for a 64-bit memory BAR). */
static unsigned probe_one(struct sizing *s, unsigned index)
{
    struct pci_bar *bar = &s->fn->bars[index];
    uint16_t offset = (uint16_t)(PCI_BAR0 + 4 * index);
    struct pci_bar_reading reading = {.original = read32(s, offset)};
    bool wide = !(reading.original & PCI_BAR_IO_SPACE) &&
                (reading.original >> PCI_BAR_MEMORY_TYPE_SHIFT & PCI_BAR_MEMORY_TYPE_MASK) == PCI_BAR_MEMORY_TYPE_64;
    if (s->failed) {
        *bar = (struct pci_bar){.kind = PCI_BAR_INVALID};
        return 1;
    }
    if (wide && index + 1 >= s->fn->bar_count) {
        *bar = (struct pci_bar){.kind = PCI_BAR_INVALID};
        pci_problem_report(s->problems, s->fn->address, s->fn, PCI_PROBLEM_BAR_NO_UPPER_HALF,
                           "BAR%u is 64-bit but the last one: it has no upper half", index);
        return 1;
    }
    reading.readback = size_dword(s, index, offset, reading.original);
    if (wide) {
        reading.upper_original = read32(s, (uint16_t)(offset + 4));
        if (!s->failed) {
            reading.upper_readback = size_dword(s, index, (uint16_t)(offset + 4), reading.upper_original);
        }
        s->fn->bars[index + 1] = (struct pci_bar){.kind = PCI_BAR_UPPER_HALF};
    }
    if (s->failed) {
        *bar = (struct pci_bar){.kind = PCI_BAR_INVALID};
        return wide ? 2 : 1;
    }
    char why[PCI_PROBLEM_MESSAGE_SIZE - 8];
    enum pci_problem_kind kind = pci_bar_decode(&reading, bar, why, sizeof(why));
    if (kind != PCI_PROBLEM_NONE) {
        pci_problem_report(s->problems, s->fn->address, s->fn, kind, "BAR%u: %s", index, why);
    }
    return wide ? 2 : 1;
}

void pci_bars_probe(const struct pci_config *config, struct pci_function *fn, struct pci_problems *problems)
{
    struct sizing s = {.config = config, .fn = fn, .problems = problems};
    if (fn->bar_count == 0) {
        return;
    }
    bool host_bridge = fn->class_code == PCI_CLASS_BRIDGE && fn->subclass == PCI_SUBCLASS_HOST_BRIDGE;
    uint16_t decoding = fn->command & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    bool toggle = decoding && !host_bridge;
    if (toggle) {
        enum error error = pci_config_write16(config, fn->address, PCI_COMMAND, (uint16_t)(fn->command & ~decoding));
        if (error != ERROR_NONE) {
            access_failed(&s, PCI_COMMAND, error);
        }
    }
    for (unsigned index = 0; index < fn->bar_count && index < PCI_MAX_BARS;) {
        if (s.failed) {
            fn->bars[index++] = (struct pci_bar){.kind = PCI_BAR_INVALID};
            continue;
        }
        index += probe_one(&s, index);
    }
    if (toggle) {
        uint16_t command;
        enum error error = pci_config_write16(config, fn->address, PCI_COMMAND, fn->command);
        if (error == ERROR_NONE) {
            error = pci_config_read16(config, fn->address, PCI_COMMAND, &command);
        }
        if (error != ERROR_NONE) {
            access_failed(&s, PCI_COMMAND, error);
        } else if (command != fn->command) {
            pci_problem_report(problems, fn->address, fn, PCI_PROBLEM_NOT_RESTORED,
                               "command register reads 0x%04x after its old value 0x%04x was written back", command,
                               fn->command);
        }
    }
}
