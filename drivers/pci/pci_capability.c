#include "pci_capability.h"

#include "pci_registers.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>

struct walk {
    const struct pci_config *config;
    struct pci_function *fn;
    struct pci_problems *problems;
    bool failed; /* a configuration read failed (reported once): the walk ends */
};

static uint32_t read_config(struct walk *w, uint16_t offset, unsigned width)
{
    uint32_t value = 0;
    enum error error = ERROR_NONE;
    if (width == 1) {
        uint8_t byte;
        error = pci_config_read8(w->config, w->fn->address, offset, &byte);
        value = byte;
    } else if (width == 2) {
        uint16_t half;
        error = pci_config_read16(w->config, w->fn->address, offset, &half);
        value = half;
    } else {
        error = pci_config_read32(w->config, w->fn->address, offset, &value);
    }
    if (error != ERROR_NONE && !w->failed) {
        w->failed = true;
        pci_problem_report(w->problems, w->fn->address, w->fn, PCI_PROBLEM_ACCESS,
                           "configuration read at 0x%02x failed in the capability list: %s", offset, error_name(error));
    }
    return value;
}

/* Whether a capability of size bytes at offset fits the space; reports it if not. */
static bool fits(struct walk *w, uint8_t offset, uint8_t id, unsigned size)
{
    if (offset + size <= PCI_CONFIG_SIZE) {
        return true;
    }
    pci_problem_report(w->problems, w->fn->address, w->fn, PCI_PROBLEM_CAPABILITY_TRUNCATED,
                       "capability 0x%02x at 0x%02x needs %u bytes: it runs past the end of the space", id, offset,
                       size);
    return false;
}

static bool first_of_its_kind(struct walk *w, bool present, uint8_t offset, const char *name)
{
    if (present) {
        pci_problem_report(w->problems, w->fn->address, w->fn, PCI_PROBLEM_CAPABILITY_DUPLICATE,
                           "a second %s capability at 0x%02x: ignored", name, offset);
    }
    return !present;
}

static void read_msi(struct walk *w, uint8_t offset)
{
    if (!first_of_its_kind(w, w->fn->msi.present, offset, "MSI") || !fits(w, offset, PCI_CAPABILITY_MSI, 4)) {
        return;
    }
    uint16_t control = (uint16_t)read_config(w, offset + PCI_MSI_CONTROL, 2);
    bool address64 = control & PCI_MSI_CONTROL_64BIT;
    bool masking = control & PCI_MSI_CONTROL_MASKING;
    unsigned size = PCI_MSI_SIZE + (address64 ? PCI_MSI_SIZE_ADDRESS_HIGH : 0) + (masking ? PCI_MSI_SIZE_MASKING : 0);
    unsigned multiple = control >> PCI_MSI_CONTROL_MULTIPLE_SHIFT & PCI_MSI_CONTROL_MULTIPLE_MASK;
    if (w->failed || !fits(w, offset, PCI_CAPABILITY_MSI, size)) {
        return;
    }
    if (multiple > PCI_MSI_CONTROL_MULTIPLE_MAX) {
        pci_problem_report(w->problems, w->fn->address, w->fn, PCI_PROBLEM_CAPABILITY_FIELD,
                           "MSI at 0x%02x: multiple message capable %u is reserved", offset, multiple);
        return;
    }
    w->fn->msi = (struct pci_msi){
        .present = true,
        .offset = offset,
        .address64 = address64,
        .masking = masking,
        .vectors = (uint8_t)(1u << multiple),
    };
}

static void read_msix(struct walk *w, uint8_t offset)
{
    if (!first_of_its_kind(w, w->fn->msix.present, offset, "MSI-X") ||
        !fits(w, offset, PCI_CAPABILITY_MSIX, PCI_MSIX_SIZE)) {
        return;
    }
    uint16_t control = (uint16_t)read_config(w, offset + PCI_MSIX_CONTROL, 2);
    uint32_t table = read_config(w, offset + PCI_MSIX_TABLE, 4);
    uint32_t pba = read_config(w, offset + PCI_MSIX_PBA, 4);
    if (w->failed) {
        return;
    }
    uint8_t table_bar = table & PCI_MSIX_BIR_MASK;
    uint8_t pba_bar = pba & PCI_MSIX_BIR_MASK;
    if (table_bar >= PCI_MAX_BARS || pba_bar >= PCI_MAX_BARS) {
        pci_problem_report(w->problems, w->fn->address, w->fn, PCI_PROBLEM_CAPABILITY_FIELD,
                           "MSI-X at 0x%02x: BAR indicator %u is reserved", offset,
                           table_bar >= PCI_MAX_BARS ? table_bar : pba_bar);
        return;
    }
    /* Present for now; pci_regions_check() withdraws it if the table or PBA is not inside a memory BAR. */
    w->fn->msix = (struct pci_msix){
        .present = true,
        .offset = offset,
        .vectors = (uint16_t)((control & PCI_MSIX_CONTROL_TABLE_SIZE) + 1),
        .table_bar = table_bar,
        .table_offset = table & PCI_MSIX_OFFSET_MASK,
        .pba_bar = pba_bar,
        .pba_offset = pba & PCI_MSIX_OFFSET_MASK,
    };
}

static void read_virtio(struct walk *w, uint8_t offset)
{
    if (!fits(w, offset, PCI_CAPABILITY_VENDOR, VIRTIO_PCI_CAP_CFG_TYPE + 1)) {
        return;
    }
    uint8_t length = (uint8_t)read_config(w, offset + VIRTIO_PCI_CAP_LENGTH, 1);
    uint8_t cfg_type = (uint8_t)read_config(w, offset + VIRTIO_PCI_CAP_CFG_TYPE, 1);
    unsigned needed = cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG          ? VIRTIO_PCI_NOTIFY_CAP_SIZE
                      : cfg_type == VIRTIO_PCI_CAP_SHARED_MEMORY_CFG ? VIRTIO_PCI_CAP64_SIZE
                                                                     : VIRTIO_PCI_CAP_SIZE;
    if (w->failed) {
        return;
    }
    if (length < needed) {
        pci_problem_report(w->problems, w->fn->address, w->fn, PCI_PROBLEM_CAPABILITY_FIELD,
                           "virtio capability at 0x%02x (type %u) is %u bytes long, at least %u needed", offset,
                           cfg_type, length, needed);
        return;
    }
    if (!fits(w, offset, PCI_CAPABILITY_VENDOR, length)) {
        return;
    }
    struct pci_virtio_capability capability = {
        .offset = offset,
        .cfg_type = cfg_type,
        .bar = (uint8_t)read_config(w, offset + VIRTIO_PCI_CAP_BAR, 1),
        .id = (uint8_t)read_config(w, offset + VIRTIO_PCI_CAP_ID, 1),
        .region_offset = read_config(w, offset + VIRTIO_PCI_CAP_OFFSET, 4),
        .length = read_config(w, offset + VIRTIO_PCI_CAP_REGION_LENGTH, 4),
        .valid = true,
    };
    if (cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
        capability.notify_multiplier = read_config(w, offset + VIRTIO_PCI_NOTIFY_MULTIPLIER, 4);
    } else if (cfg_type == VIRTIO_PCI_CAP_SHARED_MEMORY_CFG) {
        capability.region_offset |= (uint64_t)read_config(w, offset + VIRTIO_PCI_CAP64_OFFSET_HIGH, 4) << 32;
        capability.length |= (uint64_t)read_config(w, offset + VIRTIO_PCI_CAP64_LENGTH_HIGH, 4) << 32;
    }
    if (w->failed) {
        return;
    }
    uint32_t multiplier = capability.notify_multiplier;
    if (multiplier & (multiplier - 1)) {
        pci_problem_report(w->problems, w->fn->address, w->fn, PCI_PROBLEM_CAPABILITY_FIELD,
                           "virtio notify capability at 0x%02x: multiplier %" PRIu32
                           " is not 0 or a power of 2: ignored",
                           offset, multiplier);
        return;
    }
    /* VIRTIO 1.2 4.1.4: a driver ignores a capability with a reserved BAR (the PCI window's BAR is its own). */
    if (cfg_type != VIRTIO_PCI_CAP_PCI_CFG && capability.bar >= PCI_MAX_BARS) {
        pci_problem_report(w->problems, w->fn->address, w->fn, PCI_PROBLEM_CAPABILITY_FIELD,
                           "virtio capability at 0x%02x (type %u) names reserved BAR %u: ignored", offset, cfg_type,
                           capability.bar);
        return;
    }
    if (w->fn->virtio_count == PCI_MAX_VIRTIO_CAPABILITIES) {
        pci_problem_report(w->problems, w->fn->address, w->fn, PCI_PROBLEM_TOO_MANY_VIRTIO,
                           "more than %u virtio capabilities: the one at 0x%02x is ignored",
                           PCI_MAX_VIRTIO_CAPABILITIES, offset);
        return;
    }
    w->fn->virtio[w->fn->virtio_count++] = capability;
}

void pci_capabilities_read(const struct pci_config *config, struct pci_function *fn, struct pci_problems *problems)
{
    struct walk w = {.config = config, .fn = fn, .problems = problems};
    if (!(fn->status & PCI_STATUS_CAPABILITIES)) {
        return;
    }
    uint16_t pointer_at =
        fn->header_type == PCI_HEADER_CARDBUS ? PCI_CARDBUS_CAPABILITY_POINTER : PCI_CAPABILITY_POINTER;
    uint8_t pointer = (uint8_t)(read_config(&w, pointer_at, 1) & PCI_CAPABILITY_POINTER_MASK);
    uint64_t visited = 0; /* one bit per dword of the space */
    while (pointer != 0 && !w.failed) {
        if (pointer < PCI_HEADER_SIZE) {
            pci_problem_report(problems, fn->address, fn, PCI_PROBLEM_CAPABILITY_IN_HEADER,
                               "capability pointer at 0x%02x points into the header (0x%02x): the list ends there",
                               pointer_at, pointer);
            return;
        }
        uint64_t bit = 1ull << (pointer / 4);
        if (visited & bit) {
            pci_problem_report(problems, fn->address, fn, PCI_PROBLEM_CAPABILITY_LOOP,
                               "capability pointer at 0x%02x leads back to 0x%02x (a loop): the list ends there",
                               pointer_at, pointer);
            return;
        }
        visited |= bit;
        uint8_t id = (uint8_t)read_config(&w, pointer + PCI_CAPABILITY_ID, 1);
        uint8_t next = (uint8_t)read_config(&w, pointer + PCI_CAPABILITY_NEXT, 1);
        if (w.failed) {
            return;
        }
        /* Every dword above the header is visited at most once, so the table cannot overflow. */
        fn->capabilities[fn->capability_count++] = (struct pci_capability){.id = id, .offset = pointer};
        if (id == PCI_CAPABILITY_MSI) {
            read_msi(&w, pointer);
        } else if (id == PCI_CAPABILITY_MSIX) {
            read_msix(&w, pointer);
        } else if (id == PCI_CAPABILITY_VENDOR && pci_function_is_virtio(fn)) {
            read_virtio(&w, pointer);
        }
        pointer_at = pointer + PCI_CAPABILITY_NEXT;
        pointer = next & PCI_CAPABILITY_POINTER_MASK;
    }
}
