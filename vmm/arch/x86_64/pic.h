/* The two cascaded 8259A interrupt controllers of a PC (ports 0x20-0x21, 0xa0-0xa1; ELCR 0x4d0-0x4d1). */
#ifndef VMM_X86_PIC_H
#define VMM_X86_PIC_H

#include "../../device_registry.h"

#include <stdbool.h>
#include <stdint.h>

struct pic_chip {
    uint8_t request; /* IRR */
    uint8_t service; /* ISR */
    uint8_t mask;    /* IMR */
    uint8_t vector_base;
    uint8_t init_step; /* 0: ready; 1..3: expecting ICW2..ICW4 */
    bool needs_icw4;
    bool read_service; /* OCW3: reads of the command port return ISR instead of IRR */
};

#define PIC_WINDOWS 3 /* master, slave, ELCR */

struct pic;

struct pic_window {
    struct pic *pic;
    uint16_t base;
};

struct pic {
    struct pic_chip chips[2]; /* master, slave (on master's line 2) */
    uint8_t trigger_mode[2];  /* ELCR, kept for the guest to read back */
    struct pic_window windows[PIC_WINDOWS];
};

enum error pic_register(struct pic *pic, struct device_registry *registry);

/* Raises ISA interrupt line irq (0..15), edge-style. */
void pic_raise(struct pic *pic, unsigned irq);

/* The vector of the interrupt the PIC would deliver now, or -1; pic_acknowledge() then marks it in service. */
int pic_pending_vector(const struct pic *pic);
void pic_acknowledge(struct pic *pic);

#endif
