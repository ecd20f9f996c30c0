/*
 * The VM's virtio-mmio slots: slot n is a register window and an interrupt
 * line the architecture assigns (arch_virtio_window, arch_virtio_interrupt),
 * described to the guest in its firmware tables. A device's transport is put
 * into the next free slot; the guest's accesses to the window reach
 * virtio_mmio_read/write, and a device that met a malformed queue ends the VM
 * with the reason (a guest that corrupts its own rings only hurts itself).
 */
#ifndef VMM_VIRTIO_SLOT_H
#define VMM_VIRTIO_SLOT_H

#include "virtio/virtio_mmio.h"

#include <kapsel/error.h>
#include <stdint.h>

#define VM_MAX_VIRTIO_SLOTS 8

struct vm;

struct virtio_slot {
    struct vm *vm;
    const char *name; /* the device's, for the log and end reasons */
    uint64_t window;  /* guest-physical base of its VIRTIO_MMIO_WINDOW_SIZE registers */
    unsigned interrupt;
    struct virtio_mmio_device *transport;
};

/* The next free slot (its interrupt is what the device's transport raises), or NULL when all are taken. */
struct virtio_slot *virtio_slot_next(struct vm *vm);

/* Puts transport into slot (from virtio_slot_next) and its window among the VM's devices. */
enum error virtio_slot_attach(struct vm *vm, struct virtio_slot *slot, const char *name,
                              struct virtio_mmio_device *transport);

/* A transport's raise_interrupt: pulses the slot's interrupt line (context: the slot). */
void virtio_slot_raise_interrupt(void *slot);

#endif
