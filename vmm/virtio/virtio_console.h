/*
 * The console device (VIRTIO 1.2 section 5.3) with a single port: no
 * VIRTIO_CONSOLE_F_MULTIPORT, no emergency write, no console size, so no
 * feature bits and no configuration space. Port 0 has two queues: receiveq
 * (host to guest) and transmitq (guest to host).
 *
 * What the guest transmits goes, chain by chain, to an output callback the VMM
 * supplies; what the host has for the guest waits in a bounded ring inside the
 * device until the guest's receive buffers take it.
 */
#ifndef VMM_VIRTIO_VIRTIO_CONSOLE_H
#define VMM_VIRTIO_VIRTIO_CONSOLE_H

#include "virtio_mmio.h"
#include "virtqueue.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vmm/guest_memory.h>

#define VIRTIO_CONSOLE_RECEIVE_QUEUE 0  /* receiveq(port0): the guest's buffers for host input */
#define VIRTIO_CONSOLE_TRANSMIT_QUEUE 1 /* transmitq(port0): the guest's output */

/* Host input the device holds while the guest has no receive buffers; more is refused. */
#define VIRTIO_CONSOLE_INPUT_CAPACITY 4096u

/*
 * Takes length bytes the guest transmitted, in order. They lie in guest RAM
 * and are valid only during the call (a running vCPU may change them): copy
 * what has to stay.
 */
typedef void (*virtio_console_output_fn)(void *context, const uint8_t *bytes, size_t length);

struct virtio_console {
    struct virtio_mmio_device transport; /* what the VMM forwards the MMIO window to */
    virtio_console_output_fn output;
    void *output_context;
    bool receive_queue_broken; /* receiveq held a malformed chain: no more input until the driver resets */
    uint32_t input_start;      /* the oldest pending byte in input */
    uint32_t input_count;      /* pending bytes, from input_start on, wrapping around */
    uint8_t input[VIRTIO_CONSOLE_INPUT_CAPACITY];
    struct virtq_chain chain; /* the chain being handled: too large for a small stack */
};

/*
 * Sets up the device on its transport. The VMM then forwards the guest's
 * accesses to its window to virtio_mmio_read/write(&console->transport, ...).
 * NULL, or why it cannot be set up.
 */
const char *virtio_console_init(struct virtio_console *console, const struct guest_memory *memory,
                                virtio_console_output_fn output, void *output_context,
                                void (*raise_interrupt)(void *context), void *interrupt_context);

/*
 * Hands length bytes of host input to the guest: as much as its receive
 * buffers take now, the rest kept (up to VIRTIO_CONSOLE_INPUT_CAPACITY pending
 * bytes) for buffers the driver adds later. Returns how many bytes were
 * accepted; the caller decides what to do about the others. Pending input is
 * dropped when the driver resets the device. Input keeps flowing into a sound
 * receiveq after the transmitq broke (DEVICE_NEEDS_RESET), so the guest can
 * still be reached until its driver resets.
 */
size_t virtio_console_input(struct virtio_console *console, const uint8_t *bytes, size_t length);

#endif
