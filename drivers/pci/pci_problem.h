/*
 * What the enumeration found malformed: each problem names the function, a
 * kind (for programs and tests) and a complete sentence (for people). The
 * list has a fixed size; what does not fit is counted.
 */
#ifndef DRIVERS_PCI_PCI_PROBLEM_H
#define DRIVERS_PCI_PCI_PROBLEM_H

#include "pci_config.h"
#include "pci_function.h"

#include <stddef.h>

#define PCI_MAX_PROBLEMS 64
#define PCI_PROBLEM_MESSAGE_SIZE 120

enum pci_problem_kind {
    PCI_PROBLEM_NONE = 0,
    PCI_PROBLEM_ACCESS,               /* a configuration read or write failed */
    PCI_PROBLEM_VENDOR_INVALID,       /* vendor ID 0x0000 */
    PCI_PROBLEM_HEADER_TYPE,          /* unknown header type */
    PCI_PROBLEM_TABLE_FULL,           /* more functions than the caller's table holds */
    PCI_PROBLEM_BRIDGE_UNCONFIGURED,  /* secondary bus 0 */
    PCI_PROBLEM_BRIDGE_BUS_ORDER,     /* secondary not above its own bus, or subordinate below secondary */
    PCI_PROBLEM_BUS_SCANNED_TWICE,    /* two bridges claim one bus */
    PCI_PROBLEM_BRIDGE_TOO_DEEP,      /* nesting beyond PCI_MAX_BRIDGE_DEPTH */
    PCI_PROBLEM_BAR_SIZE,             /* the size read back is not a mask, or sizes to nothing */
    PCI_PROBLEM_BAR_TYPE,             /* type bits changed when written, or a reserved type */
    PCI_PROBLEM_BAR_NO_UPPER_HALF,    /* a 64-bit BAR in the last slot */
    PCI_PROBLEM_BAR_PLACEMENT,        /* address not aligned to its size, or beyond its space */
    PCI_PROBLEM_NOT_RESTORED,         /* a BAR or the command register did not take its old value back */
    PCI_PROBLEM_INTERRUPT_PIN,        /* pin beyond INTD# */
    PCI_PROBLEM_CAPABILITY_IN_HEADER, /* a capability pointer below 0x40 */
    PCI_PROBLEM_CAPABILITY_LOOP,      /* a capability pointer back to one already seen */
    PCI_PROBLEM_CAPABILITY_TRUNCATED, /* a capability running past the end of the space */
    PCI_PROBLEM_CAPABILITY_DUPLICATE, /* a second MSI or MSI-X capability */
    PCI_PROBLEM_CAPABILITY_FIELD,     /* a reserved or impossible value in a capability */
    PCI_PROBLEM_REGION_OUTSIDE_BAR,   /* an MSI-X table/PBA or virtio region not inside a suitable BAR */
    PCI_PROBLEM_TOO_MANY_VIRTIO,      /* more virtio capabilities than PCI_MAX_VIRTIO_CAPABILITIES */
};

struct pci_problem {
    struct pci_address address;
    enum pci_problem_kind kind;
    char message[PCI_PROBLEM_MESSAGE_SIZE]; /* e.g. "capability pointer at 0x34 points into the header (0x20)" */
};

struct pci_problems {
    size_t count;
    size_t dropped; /* reported after the list was full */
    struct pci_problem list[PCI_MAX_PROBLEMS];
};

/* Records a problem of the function at address (printf-style message); fn, if not NULL, counts it too. */
void pci_problem_report(struct pci_problems *problems, struct pci_address address, struct pci_function *fn,
                        enum pci_problem_kind kind, const char *format, ...) __attribute__((format(printf, 5, 6)));

/* How many problems of kind were reported for the function at address (dropped ones not counted). */
size_t pci_problems_count(const struct pci_problems *problems, struct pci_address address, enum pci_problem_kind kind);

#endif
