/*
 * The entropy device (VIRTIO 1.2 section 5.4): one request queue whose
 * device-writable buffers the device fills with random bytes. The bytes come
 * from a callback the VMM supplies (its own entropy source); the device only
 * moves them into guest buffers, through the transport and the queue layers.
 */
#ifndef VMM_VIRTIO_VIRTIO_RNG_H
#define VMM_VIRTIO_VIRTIO_RNG_H

#include "virtio_mmio.h"
#include "virtqueue.h"

#include <stddef.h>
#include <stdint.h>
#include <vmm/guest_memory.h>

/* Fills all length bytes of buffer with random bytes; it cannot fail (the VMM's source never runs dry). */
typedef void (*virtio_rng_entropy_fn)(void *context, uint8_t *buffer, size_t length);

struct virtio_rng {
    struct virtio_mmio_device transport; /* what the VMM forwards the MMIO window to */
    virtio_rng_entropy_fn entropy;
    void *entropy_context;
    struct virtq_chain chain; /* the chain being filled: too large for a small stack */
};

/*
 * Sets up the device on its transport. The VMM then forwards the guest's
 * accesses to its window to virtio_mmio_read/write(&rng->transport, ...).
 * NULL, or why it cannot be set up.
 */
const char *virtio_rng_init(struct virtio_rng *rng, const struct guest_memory *memory, virtio_rng_entropy_fn entropy,
                            void *entropy_context, void (*raise_interrupt)(void *context), void *interrupt_context);

#endif
