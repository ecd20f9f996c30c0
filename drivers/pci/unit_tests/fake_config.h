/*
 * A PCI configuration space in memory for the tests: functions with 256 bytes
 * each, per-bit write masks (so sizing a BAR reads back its size mask, as in
 * hardware), all ones where no function answers, access counts, injected
 * access failures, and a record of BAR writes made while decoding was on.
 */
#ifndef DRIVERS_PCI_UNIT_TESTS_FAKE_CONFIG_H
#define DRIVERS_PCI_UNIT_TESTS_FAKE_CONFIG_H

#include "drivers/pci/pci_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_MAX_FUNCTIONS 64
#define FAKE_NO_OFFSET 0xffffu

struct fake_function {
    struct pci_address address;
    uint8_t bytes[PCI_CONFIG_SIZE];
    uint8_t writable[PCI_CONFIG_SIZE]; /* the bits a write changes */
    uint8_t last_capability;           /* where fake_capability() links the next one */
    uint16_t freeze_after_write;       /* a register (dword offset) that turns read-only once written */
    unsigned bar_writes;
    unsigned bar_writes_while_decoding; /* BAR writes with I/O or memory decoding on in the command register */
    unsigned command_writes;
};

struct fake_config {
    size_t count;
    struct fake_function functions[FAKE_MAX_FUNCTIONS];
    unsigned long reads;
    unsigned long writes;
    /* Accesses to fail_address at offsets >= fail_from fail with fail_error (FAKE_NO_OFFSET: none fail). */
    struct pci_address fail_address;
    uint16_t fail_from;
    enum error fail_error;
};

void fake_config_init(struct fake_config *fake);

/* The access interface over fake (all 256 bytes of each function). */
struct pci_config fake_config_access(struct fake_config *fake);

/*
 * Adds a function: IDs, class, header type (with PCI_HEADER_MULTI_FUNCTION
 * if wanted); its command register's I/O, memory, master and INTx-disable
 * bits writable, the rest of the space zero and read-only.
 */
struct fake_function *fake_function_add(struct fake_config *fake, struct pci_address address, uint16_t vendor,
                                        uint16_t device, uint32_t class_code, uint8_t header_type);

/* The function at address, or NULL. */
struct fake_function *fake_function_at(struct fake_config *fake, struct pci_address address);

/* Sets bytes directly (no write mask): what firmware or the hardware itself put there. */
void fake_set8(struct fake_function *fn, uint16_t offset, uint8_t value);
void fake_set16(struct fake_function *fn, uint16_t offset, uint16_t value);
void fake_set32(struct fake_function *fn, uint16_t offset, uint32_t value);
uint32_t fake_get32(const struct fake_function *fn, uint16_t offset);
uint16_t fake_get16(const struct fake_function *fn, uint16_t offset);

/* Makes the bits of mask in the dword at offset writable (others read-only). */
void fake_writable32(struct fake_function *fn, uint16_t offset, uint32_t mask);

/* A memory BAR as hardware has it: address bits above the size writable, type bits fixed. */
void fake_memory_bar(struct fake_function *fn, unsigned index, uint64_t address, uint64_t size, bool wide,
                     bool prefetchable);

/* An I/O BAR of size bytes at port (a 16-bit decoder: the upper half reads zero). */
void fake_io_bar(struct fake_function *fn, unsigned index, uint16_t port, uint32_t size);

/*
 * Puts a capability with id and body (the bytes after id and next) at offset,
 * links it after the previous one (or from the header's pointer) and sets the
 * status register's capability-list bit.
 */
void fake_capability(struct fake_function *fn, uint8_t offset, uint8_t id, const uint8_t *body, size_t body_size);

/* A virtio vendor capability (struct virtio_pci_cap, with the notify multiplier when cfg_type is notify). */
void fake_virtio_capability(struct fake_function *fn, uint8_t offset, uint8_t cfg_type, uint8_t bar, uint32_t region,
                            uint32_t length, uint32_t multiplier);

#endif
