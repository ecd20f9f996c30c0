#include "pci_enumerate.h"

#include "pci_registers.h"

#include <stdbool.h>

static bool scanned(const struct pci_enumeration *result, unsigned bus)
{
    return result->bus_scanned[bus / 8] & (1u << (bus % 8));
}

static void scan_bus(const struct pci_config *config, struct pci_enumeration *result, uint8_t bus, unsigned depth);

/* Scans the bus behind bridge (just probed into the table) if its bus numbers make sense. */
static void follow_bridge(const struct pci_config *config, struct pci_enumeration *result, struct pci_function *bridge,
                          unsigned depth)
{
    struct pci_problems *problems = &result->problems;
    struct pci_address address = bridge->address;
    uint8_t secondary = bridge->secondary_bus;
    if (secondary == 0) {
        pci_problem_report(problems, address, bridge, PCI_PROBLEM_BRIDGE_UNCONFIGURED,
                           "bridge without a secondary bus (firmware left 0): not scanned");
    } else if (secondary <= address.bus) {
        pci_problem_report(problems, address, bridge, PCI_PROBLEM_BRIDGE_BUS_ORDER,
                           "bridge's secondary bus %u is not above its own bus %u: not scanned", secondary,
                           address.bus);
    } else if (bridge->subordinate_bus < secondary) {
        pci_problem_report(problems, address, bridge, PCI_PROBLEM_BRIDGE_BUS_ORDER,
                           "bridge's subordinate bus %u is below its secondary bus %u: not scanned",
                           bridge->subordinate_bus, secondary);
    } else if (scanned(result, secondary)) {
        pci_problem_report(problems, address, bridge, PCI_PROBLEM_BUS_SCANNED_TWICE,
                           "bridge's secondary bus %u was already scanned: not again", secondary);
    } else if (depth + 1 >= PCI_MAX_BRIDGE_DEPTH) {
        pci_problem_report(problems, address, bridge, PCI_PROBLEM_BRIDGE_TOO_DEEP,
                           "bridges nest deeper than %u: bus %u not scanned", PCI_MAX_BRIDGE_DEPTH, secondary);
    } else {
        scan_bus(config, result, secondary, depth + 1);
    }
}

/* Whether a function answers at address: reads its vendor ID (reporting 0x0000 and failed reads). */
static bool answers(const struct pci_config *config, struct pci_enumeration *result, struct pci_address address)
{
    uint16_t vendor;
    enum error error = pci_config_read16(config, address, PCI_VENDOR_ID, &vendor);
    if (error != ERROR_NONE) {
        pci_problem_report(&result->problems, address, NULL, PCI_PROBLEM_ACCESS,
                           "reading the vendor ID failed: %s: skipped", error_name(error));
        return false;
    }
    if (vendor == PCI_VENDOR_INVALID) {
        pci_problem_report(&result->problems, address, NULL, PCI_PROBLEM_VENDOR_INVALID,
                           "vendor ID 0x0000 is invalid: skipped");
        return false;
    }
    return vendor != PCI_VENDOR_NONE;
}

static void probe(const struct pci_config *config, struct pci_enumeration *result, struct pci_address address,
                  bool multi_function, unsigned depth)
{
    if (result->count == result->capacity) {
        if (result->dropped++ == 0) {
            pci_problem_report(&result->problems, address, NULL, PCI_PROBLEM_TABLE_FULL,
                               "the table of %lu functions is full: this one and any after it are left out",
                               (unsigned long)result->capacity);
        }
        return;
    }
    struct pci_function *fn = &result->functions[result->count];
    if (!pci_function_probe(config, address, multi_function, fn, &result->problems)) {
        return;
    }
    result->count++;
    if (fn->header_type == PCI_HEADER_BRIDGE) {
        follow_bridge(config, result, fn, depth);
    }
}

static void scan_bus(const struct pci_config *config, struct pci_enumeration *result, uint8_t bus, unsigned depth)
{
    result->bus_scanned[bus / 8] |= (uint8_t)(1u << (bus % 8));
    result->buses++;
    for (uint8_t device = 0; device < PCI_DEVICES_PER_BUS; device++) {
        struct pci_address address = {.bus = bus, .device = device, .function = 0};
        if (!answers(config, result, address)) {
            continue; /* functions 1..7 exist only where function 0 does */
        }
        uint8_t header_type;
        enum error error = pci_config_read8(config, address, PCI_HEADER_TYPE, &header_type);
        if (error != ERROR_NONE) {
            pci_problem_report(&result->problems, address, NULL, PCI_PROBLEM_ACCESS,
                               "reading the header type failed: %s: skipped", error_name(error));
            continue;
        }
        bool multi_function = header_type & PCI_HEADER_MULTI_FUNCTION;
        probe(config, result, address, multi_function, depth);
        for (uint8_t function = 1; multi_function && function < PCI_FUNCTIONS_PER_DEVICE; function++) {
            address.function = function;
            if (answers(config, result, address)) {
                probe(config, result, address, multi_function, depth);
            }
        }
    }
}

void pci_enumeration_init(struct pci_enumeration *result, struct pci_function *table, size_t capacity)
{
    *result = (struct pci_enumeration){.functions = table, .capacity = capacity};
}

void pci_enumerate(const struct pci_config *config, struct pci_enumeration *result)
{
    scan_bus(config, result, 0, 0);
}

const struct pci_function *pci_enumeration_find(const struct pci_enumeration *result, struct pci_address address)
{
    for (size_t i = 0; i < result->count; i++) {
        const struct pci_function *fn = &result->functions[i];
        if (fn->address.bus == address.bus && fn->address.device == address.device &&
            fn->address.function == address.function) {
            return fn;
        }
    }
    return NULL;
}
