#include "pci_names.h"

#include "pci_registers.h"

#include <stddef.h>
#include <stdint.h>

#define ANY 0xffffu /* matches every subclass or programming interface */

struct class_name {
    uint8_t class_code;
    uint16_t subclass; /* or ANY */
    uint16_t prog_if;  /* or ANY */
    const char *name;
};

/* The first match wins: specific entries before their class's catch-all. */
static const struct class_name class_names[] = {
    {0x01, 0x00, ANY, "SCSI controller"},
    {0x01, 0x01, ANY, "IDE controller"},
    {0x01, 0x06, ANY, "SATA controller"},
    {0x01, 0x08, ANY, "NVMe controller"},
    {0x01, ANY, ANY, "storage controller"},
    {0x02, 0x00, ANY, "Ethernet controller"},
    {0x02, ANY, ANY, "network controller"},
    {0x03, 0x00, ANY, "VGA controller"},
    {0x03, ANY, ANY, "display controller"},
    {0x04, ANY, ANY, "multimedia controller"},
    {0x05, ANY, ANY, "memory controller"},
    {0x06, 0x00, ANY, "host bridge"},
    {0x06, 0x01, ANY, "ISA bridge"},
    {0x06, 0x04, ANY, "PCI bridge"},
    {0x06, 0x07, ANY, "CardBus bridge"},
    {0x06, ANY, ANY, "bridge"},
    {0x07, 0x00, ANY, "serial controller"},
    {0x07, ANY, ANY, "communication controller"},
    {0x08, ANY, ANY, "system peripheral"},
    {0x09, ANY, ANY, "input controller"},
    {0x0c, 0x03, 0x30, "USB xHCI controller"},
    {0x0c, 0x03, ANY, "USB controller"},
    {0x0c, 0x05, ANY, "SMBus controller"},
    {0x0c, ANY, ANY, "serial bus controller"},
    {0x0d, ANY, ANY, "wireless controller"},
    {0x10, ANY, ANY, "encryption controller"},
    {0x12, ANY, ANY, "processing accelerator"},
};

/* Modern virtio PCI device IDs are 0x1040 + the virtio device ID (VIRTIO 1.2 section 5). */
static const char *const virtio_names[] = {
    [1] = "virtio-net",     [2] = "virtio-blk",    [3] = "virtio-console", [4] = "virtio-rng",
    [5] = "virtio-balloon", [8] = "virtio-scsi",   [9] = "virtio-9p",      [16] = "virtio-gpu",
    [18] = "virtio-input",  [19] = "virtio-vsock", [20] = "virtio-crypto", [26] = "virtio-fs",
};

/* Transitional device IDs 0x1000.. (VIRTIO 1.2 section 4.1.2.1) as virtio device IDs. */
static const uint8_t transitional_ids[] = {1, 2, 5, 3, 8, 4, 0, 0, 0, 9};

static const char *virtio_name(uint16_t device_id)
{
    unsigned id;
    if (device_id >= VIRTIO_PCI_DEVICE_MODERN) {
        id = device_id - VIRTIO_PCI_DEVICE_MODERN;
    } else if (device_id - VIRTIO_PCI_DEVICE_FIRST < sizeof(transitional_ids)) {
        id = transitional_ids[device_id - VIRTIO_PCI_DEVICE_FIRST];
    } else {
        return "virtio device";
    }
    if (id < sizeof(virtio_names) / sizeof(virtio_names[0]) && virtio_names[id]) {
        return virtio_names[id];
    }
    return "virtio device";
}

const char *pci_function_name(const struct pci_function *fn)
{
    if (pci_function_is_virtio(fn)) {
        return virtio_name(fn->device_id);
    }
    for (size_t i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++) {
        const struct class_name *entry = &class_names[i];
        if (entry->class_code == fn->class_code && (entry->subclass == ANY || entry->subclass == fn->subclass) &&
            (entry->prog_if == ANY || entry->prog_if == fn->prog_if)) {
            return entry->name;
        }
    }
    return "unknown";
}

const char *pci_virtio_cfg_type_name(uint8_t cfg_type)
{
    switch (cfg_type) {
    case VIRTIO_PCI_CAP_COMMON_CFG:
        return "common";
    case VIRTIO_PCI_CAP_NOTIFY_CFG:
        return "notify";
    case VIRTIO_PCI_CAP_ISR_CFG:
        return "isr";
    case VIRTIO_PCI_CAP_DEVICE_CFG:
        return "device";
    case VIRTIO_PCI_CAP_PCI_CFG:
        return "pci-cfg";
    case VIRTIO_PCI_CAP_SHARED_MEMORY_CFG:
        return "shared-memory";
    case VIRTIO_PCI_CAP_VENDOR_CFG:
        return "vendor";
    default:
        return NULL;
    }
}
