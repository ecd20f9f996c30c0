/*
 * The PCI bus Micro-App (issue 6): owns PCI configuration space and
 * enumerates every function on it. Configuration space is reached through
 * the legacy mechanism #1 ports (0xCF8/0xCFC), which it grants itself with
 * the manifest's "io_ports" capability; ECAM from ACPI's MCFG table can
 * replace that behind the same interface (pci_config.h).
 *
 * It prints one summary line per function, a line per implemented BAR and
 * per virtio capability, every problem it found, and a total. Handing a
 * driver exactly one device (its BARs and MSI/MSI-X) is the next step; until
 * then it finishes with status 0 once the bus is listed.
 *
 * Exit status: 0 when the bus is listed (malformed functions are reported,
 * not fatal), 1 without the io_ports capability or the ports, 2 when no
 * configuration mechanism answers.
 */
#include "pci_describe.h"
#include "pci_enumerate.h"
#include "pci_legacy.h"
#include "x86_port_io.h"

#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdio.h>

#define MAX_FUNCTIONS 256

static struct pci_function functions[MAX_FUNCTIONS];
static struct pci_enumeration bus;

static void print_function(const struct pci_function *fn)
{
    char line[PCI_DESCRIBE_LINE_SIZE];
    pci_describe_function(fn, line, sizeof(line));
    printf("pci %s\n", line);
    for (unsigned index = 0; index < fn->bar_count; index++) {
        if (pci_describe_bar(fn, index, line, sizeof(line))) {
            printf("pci %s\n", line);
        }
    }
    for (size_t index = 0; index < fn->virtio_count; index++) {
        pci_describe_virtio(fn, index, line, sizeof(line));
        printf("pci %s\n", line);
    }
}

int main(void)
{
    uint64_t io_ports = capability_named("io_ports");
    if (io_ports == 0) {
        printf("pci_bus: no io_ports capability: cannot reach PCI configuration space\n");
        return 1;
    }
    enum error error = io_ports_grant(io_ports, APP_TASK, PCI_LEGACY_FIRST_PORT, PCI_LEGACY_PORT_COUNT);
    if (error != ERROR_NONE) {
        printf("pci_bus: granting ports 0x%x..0x%x to itself failed: %s\n", PCI_LEGACY_FIRST_PORT,
               PCI_LEGACY_FIRST_PORT + PCI_LEGACY_PORT_COUNT - 1, error_name(error));
        return 1;
    }
    struct pci_legacy legacy = {.ports = x86_port_io()};
    if (!pci_legacy_present(&legacy.ports)) {
        printf("pci_bus: no PCI configuration mechanism #1 (port 0x%x does not keep its address)\n",
               PCI_LEGACY_ADDRESS_PORT);
        return 2;
    }
    struct pci_config config = pci_legacy_config(&legacy);
    pci_enumeration_init(&bus, functions, MAX_FUNCTIONS);
    pci_enumerate(&config, &bus);

    for (size_t i = 0; i < bus.count; i++) {
        print_function(&bus.functions[i]);
    }
    for (size_t i = 0; i < bus.problems.count; i++) {
        const struct pci_problem *problem = &bus.problems.list[i];
        printf("pci %02x:%02x.%x problem: %s\n", problem->address.bus, problem->address.device,
               problem->address.function, problem->message);
    }
    /* No %zu: newlib's printf here is built without C99 size modifiers. */
    unsigned long count = (unsigned long)bus.count;
    unsigned long problems = (unsigned long)(bus.problems.count + bus.problems.dropped);
    printf("pci: %lu function%s on %u bus%s, %lu problem%s%s\n", count, count == 1 ? "" : "s", bus.buses,
           bus.buses == 1 ? "" : "es", problems, problems == 1 ? "" : "s",
           bus.problems.dropped ? " (some not listed)" : "");
    /* Next step: wait for drivers' requests and hand each exactly one function (BARs, MSI/MSI-X). */
    return 0;
}
