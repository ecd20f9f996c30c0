#include "pci_function.h"

#include "pci_bar.h"
#include "pci_capability.h"
#include "pci_problem.h"
#include "pci_regions.h"
#include "pci_registers.h"

bool pci_function_is_virtio(const struct pci_function *fn)
{
    return fn->vendor_id == VIRTIO_PCI_VENDOR && fn->device_id >= VIRTIO_PCI_DEVICE_FIRST &&
           fn->device_id <= VIRTIO_PCI_DEVICE_LAST;
}

struct header {
    uint32_t ids;    /* 0x00: vendor, device */
    uint32_t status; /* 0x04: command, status */
    uint32_t class;  /* 0x08: revision, prog-if, subclass, class */
    uint32_t type;   /* 0x0c: ..., header type, ... */
    uint32_t bus;    /* 0x18 (bridges): primary, secondary, subordinate */
    uint32_t irq;    /* 0x3c: line, pin */
};

static uint8_t byte(uint32_t dword, unsigned index)
{
    return (uint8_t)(dword >> (8 * index));
}

bool pci_function_probe(const struct pci_config *config, struct pci_address address, bool multi_function,
                        struct pci_function *fn, struct pci_problems *problems)
{
    *fn = (struct pci_function){.address = address, .multi_function = multi_function};
    struct header h = {0};
    static const uint16_t offsets[] = {PCI_VENDOR_ID, PCI_COMMAND, PCI_REVISION, 0x0c, 0x18, PCI_INTERRUPT_LINE};
    uint32_t *fields[] = {&h.ids, &h.status, &h.class, &h.type, &h.bus, &h.irq};
    for (unsigned i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        enum error error = pci_config_read32(config, address, offsets[i], fields[i]);
        if (error != ERROR_NONE) {
            pci_problem_report(problems, address, fn, PCI_PROBLEM_ACCESS,
                               "configuration read at 0x%02x failed: %s: the function is left out", offsets[i],
                               error_name(error));
            return false;
        }
    }
    fn->vendor_id = (uint16_t)h.ids;
    fn->device_id = (uint16_t)(h.ids >> 16);
    fn->command = (uint16_t)h.status;
    fn->status = (uint16_t)(h.status >> 16);
    fn->revision = byte(h.class, 0);
    fn->prog_if = byte(h.class, 1);
    fn->subclass = byte(h.class, 2);
    fn->class_code = byte(h.class, 3);
    fn->header_type = byte(h.type, 2) & PCI_HEADER_TYPE_MASK;
    switch (fn->header_type) {
    case PCI_HEADER_DEVICE:
        fn->bar_count = PCI_DEVICE_BARS;
        break;
    case PCI_HEADER_BRIDGE:
        fn->bar_count = PCI_BRIDGE_BARS;
        fn->secondary_bus = byte(h.bus, 1);
        fn->subordinate_bus = byte(h.bus, 2);
        break;
    case PCI_HEADER_CARDBUS:
        break; /* its socket registers are not BARs; only its capabilities are read */
    default:
        pci_problem_report(problems, address, fn, PCI_PROBLEM_HEADER_TYPE,
                           "header type 0x%02x is unknown: only its IDs and class are read", fn->header_type);
        return true;
    }
    if (fn->header_type != PCI_HEADER_CARDBUS) {
        fn->interrupt_line = byte(h.irq, 0);
        fn->interrupt_pin = byte(h.irq, 1);
        if (fn->interrupt_pin > PCI_INTERRUPT_PIN_MAX) {
            pci_problem_report(problems, address, fn, PCI_PROBLEM_INTERRUPT_PIN,
                               "interrupt pin %u is not one of INTA#..INTD#: taken as none", fn->interrupt_pin);
            fn->interrupt_pin = 0;
        }
    }
    pci_bars_probe(config, fn, problems);
    pci_capabilities_read(config, fn, problems);
    pci_regions_check(fn, problems);
    return true;
}
