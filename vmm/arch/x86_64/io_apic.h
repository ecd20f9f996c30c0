/*
 * The I/O APIC at 0xfec00000 (82093AA-style, version 0x20 with an EOI
 * register): 24 inputs, each with a redirection entry that routes it to the
 * local APIC. Sources pulse their input (the PC's ISA lines and the virtio
 * devices are edge-triggered); an entry the guest programs as level-triggered
 * keeps its remote IRR until the local APIC's EOI, as the hardware does.
 * Pure C, unit-tested on the host.
 */
#ifndef VMM_X86_IO_APIC_H
#define VMM_X86_IO_APIC_H

#include "../../device_registry.h"
#include "local_apic.h"

#include <stdint.h>

#define IO_APIC_BASE 0xfec00000ull
#define IO_APIC_SIZE 0x1000ull
#define IO_APIC_PINS 24u

struct io_apic {
    uint8_t id;
    uint32_t select; /* IOREGSEL */
    uint64_t redirection[IO_APIC_PINS];
    uint32_t asserted_in_service;  /* level inputs pulsed again while in service: delivered again after EOI */
    struct local_apic *local_apic; /* the one vCPU's */
};

/* Reset state (every input masked) with the given ID, delivering to local_apic; also hooks its level EOIs. */
void io_apic_init(struct io_apic *io_apic, uint8_t id, struct local_apic *local_apic);

enum error io_apic_register(struct io_apic *io_apic, struct device_registry *registry);

/* A source signals an interrupt on input pin: delivered unless masked (or, for a level entry, still in service). */
void io_apic_pulse(struct io_apic *io_apic, unsigned pin);

#endif
