#include "pci_regions.h"

#include "pci_names.h"
#include "pci_registers.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Whether [offset, offset + length) lies inside BAR index of fn (a memory BAR if memory_only). */
static bool inside(const struct pci_function *fn, unsigned index, uint64_t offset, uint64_t length, bool memory_only)
{
    if (index >= fn->bar_count) {
        return false;
    }
    const struct pci_bar *bar = &fn->bars[index];
    bool memory = bar->kind == PCI_BAR_MEMORY32 || bar->kind == PCI_BAR_MEMORY64;
    if (!memory && (memory_only || bar->kind != PCI_BAR_IO)) {
        return false;
    }
    return offset <= bar->size && length <= bar->size - offset;
}

static bool check(struct pci_function *fn, struct pci_problems *problems, const char *what, unsigned index,
                  uint64_t offset, uint64_t length, bool memory_only)
{
    if (inside(fn, index, offset, length, memory_only)) {
        return true;
    }
    pci_problem_report(problems, fn->address, fn, PCI_PROBLEM_REGION_OUTSIDE_BAR,
                       "%s at BAR%u +0x%" PRIx64 " (0x%" PRIx64 " bytes) is not inside a%s BAR", what, index, offset,
                       length, memory_only ? " memory" : "n implemented");
    return false;
}

void pci_regions_check(struct pci_function *fn, struct pci_problems *problems)
{
    struct pci_msix *msix = &fn->msix;
    if (msix->present) {
        uint64_t table_length = (uint64_t)msix->vectors * PCI_MSIX_ENTRY_SIZE;
        uint64_t pba_length = ((uint64_t)msix->vectors + 63) / 64 * 8;
        bool table = check(fn, problems, "MSI-X table", msix->table_bar, msix->table_offset, table_length, true);
        bool pba = check(fn, problems, "MSI-X PBA", msix->pba_bar, msix->pba_offset, pba_length, true);
        msix->present = table && pba;
    }
    for (size_t i = 0; i < fn->virtio_count; i++) {
        struct pci_virtio_capability *capability = &fn->virtio[i];
        if (capability->cfg_type == VIRTIO_PCI_CAP_PCI_CFG) {
            continue; /* a window the driver points itself */
        }
        char what[32];
        const char *name = pci_virtio_cfg_type_name(capability->cfg_type);
        if (name) {
            snprintf(what, sizeof(what), "virtio %s", name);
        } else {
            snprintf(what, sizeof(what), "virtio type %u", capability->cfg_type);
        }
        capability->valid =
            check(fn, problems, what, capability->bar, capability->region_offset, capability->length, false);
    }
}
