/*
 * The PCI bus Micro-App (issue 6): owns PCI configuration space and
 * enumerates every function on it. Configuration space is reached through
 * ECAM where the firmware's ACPI MCFG describes it (the kernel reports it to
 * the holder of the manifest's "device_memory" capability, which also maps
 * it), and otherwise through the legacy mechanism #1 ports (0xCF8/0xCFC),
 * which it grants itself with the manifest's "io_ports" capability. Both sit
 * behind one interface (pci_config.h).
 *
 *     pci_bus [--assign <vendor>:<device>=<driver app> | --assign <vendor>:<device>=<driver image> --restart <n>
 *              [--kill-driver-after-ms <ms>]]
 *
 * With --restart it launches the driver itself and restarts it up to n times when it ends (pci_supervise.h); the
 * driver's uplink is on network 1 until the switch's uplink policy says otherwise. --kill-driver-after-ms is a test
 * hook: the launch service stops the first driver that long after its hand-over.
 *
 * It prints the mechanism, one summary line per function, a line per implemented BAR and
 * per virtio capability, every problem it found, and a total. With --assign
 * it then hands the first function with those IDs to the driver Micro-App
 * (pci_assign.h, pci_handoff.h) and ends once the driver gives it back.
 *
 * Exit status: 0 when the bus is listed (malformed functions are reported,
 * not fatal) and any hand-over went through, 1 with neither mechanism's
 * capability, when granting the ports fails, or with bad arguments, 2 when no
 * configuration mechanism answers, 3 when the hand-over failed.
 */
#include "pci_assign.h"
#include "pci_describe.h"
#include "pci_ecam.h"
#include "pci_enumerate.h"
#include "pci_legacy.h"
#include "pci_supervise.h"
#include "x86_port_io.h"

#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FUNCTIONS 256
#define UPLINK_NETWORK 1u
#define MAX_RESTARTS_LIMIT 100u
#define ECAM_WINDOW 0x0000280000000000ull /* where this app maps ECAM: room for all 256 buses (256 MiB) */
#define PAGE_SHIFT 12

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

/* The first function with the assignment's IDs, or NULL. */
static const struct pci_function *find_assigned(const struct pci_assignment *assignment)
{
    for (size_t i = 0; i < bus.count; i++) {
        const struct pci_function *fn = &bus.functions[i];
        if (fn->vendor_id == assignment->vendor_id && fn->device_id == assignment->device_id) {
            return fn;
        }
    }
    return NULL;
}

struct ecam_mapping {
    uint64_t device_memory;
    uint64_t base; /* bus 0's space, physical */
};

static enum error map_ecam_bus(void *context, uint8_t bus, void *address)
{
    const struct ecam_mapping *mapping = context;
    uint64_t item =
        ITEM_MEMORY((uint64_t)address >> PAGE_SHIFT, PCI_ECAM_BUS_SHIFT - PAGE_SHIFT, MEMORY_READ | MEMORY_WRITE, 0);
    return device_memory_map(mapping->device_memory, item, mapping->base + ((uint64_t)bus << PCI_ECAM_BUS_SHIFT));
}

/* ECAM for segment 0 if the firmware describes it and the manifest gives device_memory. */
static bool open_ecam(struct pci_config *config)
{
    static struct ecam_mapping mapping;
    static struct pci_ecam ecam;
    mapping.device_memory = capability_named("device_memory");
    struct pci_ecam_region region = {0};
    for (unsigned index = 0;
         mapping.device_memory && device_memory_pci_ecam(mapping.device_memory, index, &region) == ERROR_NONE;
         index++) {
        if (region.segment != 0) {
            continue;
        }
        mapping.base = region.base;
        ecam = (struct pci_ecam){.window = (uint8_t *)ECAM_WINDOW,
                                 .first_bus = region.first_bus,
                                 .last_bus = region.last_bus,
                                 .map_bus = map_ecam_bus,
                                 .map_context = &mapping};
        *config = pci_ecam_config(&ecam);
        printf("pci: configuration space through ECAM at 0x%llx (ACPI MCFG: segment 0, buses %u-%u)\n",
               (unsigned long long)(region.base + ((uint64_t)region.first_bus << PCI_ECAM_BUS_SHIFT)), region.first_bus,
               region.last_bus);
        return true;
    }
    return false;
}

/* ECAM, or else the legacy ports; 0, or the exit status when there is no way to configuration space. */
static int open_configuration_space(struct pci_config *config)
{
    if (open_ecam(config)) {
        return 0;
    }
    uint64_t io_ports = capability_named("io_ports");
    if (io_ports == 0) {
        printf("pci_bus: no ECAM that device_memory reaches and no io_ports capability: cannot reach PCI "
               "configuration space\n");
        return 1;
    }
    enum error error = io_ports_grant(io_ports, APP_TASK, PCI_LEGACY_FIRST_PORT, PCI_LEGACY_PORT_COUNT);
    if (error != ERROR_NONE) {
        printf("pci_bus: granting ports 0x%x..0x%x to itself failed: %s\n", PCI_LEGACY_FIRST_PORT,
               PCI_LEGACY_FIRST_PORT + PCI_LEGACY_PORT_COUNT - 1, error_name(error));
        return 1;
    }
    static struct pci_legacy legacy;
    legacy.ports = x86_port_io();
    if (!pci_legacy_present(&legacy.ports)) {
        printf("pci_bus: no PCI configuration mechanism #1 (port 0x%x does not keep its address)\n",
               PCI_LEGACY_ADDRESS_PORT);
        return 2;
    }
    *config = pci_legacy_config(&legacy);
    printf("pci: configuration space through the legacy ports 0x%x-0x%x (no ECAM: %s)\n", PCI_LEGACY_FIRST_PORT,
           PCI_LEGACY_FIRST_PORT + PCI_LEGACY_PORT_COUNT - 1,
           capability_named("device_memory") ? "the firmware describes none for segment 0"
                                             : "no device_memory capability");
    return 0;
}

int main(int argc, char **argv)
{
    struct pci_assignment assignment;
    bool assign = false, supervise = false;
    struct pci_supervision supervision = {.network = UPLINK_NETWORK};
    for (int i = 1; i < argc; i += 2) {
        char *end = NULL;
        bool ok = i + 1 < argc;
        if (ok && strcmp(argv[i], "--assign") == 0) {
            ok = !assign && pci_assignment_parse(argv[i + 1], &assignment);
            assign = true;
        } else if (ok && strcmp(argv[i], "--restart") == 0) {
            unsigned long restarts = strtoul(argv[i + 1], &end, 10);
            ok = *end == '\0' && end != argv[i + 1] && restarts <= MAX_RESTARTS_LIMIT;
            supervision.max_restarts = (unsigned)restarts;
            supervise = true;
        } else if (ok && strcmp(argv[i], "--kill-driver-after-ms") == 0) {
            supervision.kill_after_ms = strtoull(argv[i + 1], &end, 10);
            ok = *end == '\0' && end != argv[i + 1] && supervision.kill_after_ms > 0;
        } else {
            ok = false;
        }
        if (!ok || (supervise && !assign && i + 2 >= argc) ||
            (supervision.kill_after_ms && !supervise && i + 2 >= argc)) {
            printf("pci_bus: usage: pci_bus [--assign <vendor>:<device>=<driver app> | --assign "
                   "<vendor>:<device>=<driver image> --restart <n> [--kill-driver-after-ms <ms>]]\n");
            return 1;
        }
    }
    supervision.image = assign ? assignment.driver : NULL;
    struct pci_config config;
    int status = open_configuration_space(&config);
    if (status != 0) {
        return status;
    }
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
    unsigned long count = (unsigned long)bus.count;
    unsigned long problems = (unsigned long)(bus.problems.count + bus.problems.dropped);
    printf("pci: %lu function%s on %u bus%s, %lu problem%s%s\n", count, count == 1 ? "" : "s", bus.buses,
           bus.buses == 1 ? "" : "es", problems, problems == 1 ? "" : "s",
           bus.problems.dropped ? " (some not listed)" : "");
    if (!assign) {
        return 0;
    }
    const struct pci_function *fn = find_assigned(&assignment);
    if (!fn) {
        printf("pci_bus: no function %04x:%04x to hand to %s\n", assignment.vendor_id, assignment.device_id,
               assignment.driver);
        return 3;
    }
    const char *problem = supervise ? pci_supervise(&config, fn, &supervision) : pci_assign(&config, fn, &assignment);
    if (problem) {
        printf("pci_bus: handing %02x:%02x.%x to %s failed: %s\n", fn->address.bus, fn->address.device,
               fn->address.function, assignment.driver, problem);
        return 3;
    }
    return 0;
}
