#include "pci_describe.h"

#include "pci_names.h"
#include "pci_registers.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

/* Appends to a line, never past its end (a line too long is cut, still terminated). */
struct line {
    char *text;
    size_t size;
    size_t length;
};

static void append(struct line *line, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void append(struct line *line, const char *format, ...)
{
    if (line->length + 1 >= line->size) {
        return;
    }
    va_list arguments;
    va_start(arguments, format);
    int written = vsnprintf(line->text + line->length, line->size - line->length, format, arguments);
    va_end(arguments);
    if (written > 0) {
        size_t room = line->size - line->length - 1;
        line->length += (size_t)written < room ? (size_t)written : room;
    }
}

static struct line start(const struct pci_function *fn, char *text, size_t size)
{
    struct line line = {.text = text, .size = size};
    if (size) {
        text[0] = '\0';
    }
    append(&line, "%02x:%02x.%x", fn->address.bus, fn->address.device, fn->address.function);
    return line;
}

void pci_describe_size(uint64_t bytes, char *text, size_t size)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    unsigned unit = 0;
    uint64_t value = bytes;
    while (value >= 1024 && value % 1024 == 0 && unit + 1 < sizeof(units) / sizeof(units[0])) {
        value /= 1024;
        unit++;
    }
    snprintf(text, size, "%" PRIu64 " %s", value, units[unit]);
}

void pci_describe_function(const struct pci_function *fn, char *text, size_t size)
{
    struct line line = start(fn, text, size);
    append(&line, " %04x:%04x class %02x.%02x.%02x %s", fn->vendor_id, fn->device_id, fn->class_code, fn->subclass,
           fn->prog_if, pci_function_name(fn));
    if (fn->multi_function && fn->address.function == 0) {
        append(&line, ", multi-function");
    }
    if (fn->header_type == PCI_HEADER_BRIDGE) {
        append(&line, ", buses %02x-%02x", fn->secondary_bus, fn->subordinate_bus);
    } else if (fn->header_type == PCI_HEADER_CARDBUS) {
        append(&line, ", CardBus");
    } else if (fn->header_type != PCI_HEADER_DEVICE) {
        append(&line, ", header type 0x%02x", fn->header_type);
    }
    if (fn->interrupt_pin) {
        append(&line, ", pin %c", 'A' + fn->interrupt_pin - 1);
        if (fn->interrupt_line == 0xff) {
            append(&line, " no line");
        } else {
            append(&line, " line %u", fn->interrupt_line);
        }
    }
    if (fn->msi.present) {
        append(&line, ", MSI %u vector%s%s%s", fn->msi.vectors, fn->msi.vectors == 1 ? "" : "s",
               fn->msi.address64 ? " 64-bit" : "", fn->msi.masking ? " maskable" : "");
    }
    if (fn->msix.present) {
        append(&line, ", MSI-X %u vector%s (table BAR%u +0x%" PRIx32 ", PBA BAR%u +0x%" PRIx32 ")", fn->msix.vectors,
               fn->msix.vectors == 1 ? "" : "s", fn->msix.table_bar, fn->msix.table_offset, fn->msix.pba_bar,
               fn->msix.pba_offset);
    }
    if (fn->problems) {
        append(&line, ", %u problem%s", fn->problems, fn->problems == 1 ? "" : "s");
    }
}

bool pci_describe_bar(const struct pci_function *fn, unsigned index, char *text, size_t size)
{
    if (size) {
        text[0] = '\0';
    }
    if (index >= fn->bar_count || index >= PCI_MAX_BARS) {
        return false;
    }
    const struct pci_bar *bar = &fn->bars[index];
    if (bar->kind == PCI_BAR_UNUSED || bar->kind == PCI_BAR_UPPER_HALF) {
        return false;
    }
    struct line line = start(fn, text, size);
    if (bar->kind == PCI_BAR_INVALID) {
        append(&line, "   BAR%u invalid: not to be used", index);
        return true;
    }
    static const char *const kinds[] = {
        [PCI_BAR_IO] = "io", [PCI_BAR_MEMORY32] = "mem32", [PCI_BAR_MEMORY64] = "mem64"};
    char bytes[24];
    pci_describe_size(bar->size, bytes, sizeof(bytes));
    append(&line, "   BAR%u %s%s 0x%" PRIx64 " %s%s", index, kinds[bar->kind], bar->prefetchable ? " prefetchable" : "",
           bar->address, bytes, bar->address ? "" : " (not assigned)");
    return true;
}

void pci_describe_virtio(const struct pci_function *fn, size_t index, char *text, size_t size)
{
    struct line line = start(fn, text, size);
    if (index >= fn->virtio_count) {
        return;
    }
    const struct pci_virtio_capability *capability = &fn->virtio[index];
    const char *name = pci_virtio_cfg_type_name(capability->cfg_type);
    if (name) {
        append(&line, "   virtio %s", name);
    } else {
        append(&line, "   virtio type %u", capability->cfg_type);
    }
    if (capability->cfg_type == VIRTIO_PCI_CAP_PCI_CFG) {
        append(&line, " (access window)");
        return;
    }
    char bytes[24];
    pci_describe_size(capability->length, bytes, sizeof(bytes));
    append(&line, " BAR%u +0x%" PRIx64 " %s", capability->bar, capability->region_offset, bytes);
    if (capability->cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
        append(&line, ", multiplier %" PRIu32, capability->notify_multiplier);
    }
    if (!capability->valid) {
        append(&line, " (outside its BAR: not to be used)");
    }
}
