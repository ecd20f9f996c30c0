#include "virtio_rng.h"

#include "virtio_spec.h"

#define REQUEST_QUEUE 0

/* Every chain the driver made available: its writable segments filled, returned with their length. */
static void serve_requests(void *context, uint16_t queue_index)
{
    struct virtio_rng *rng = context;
    struct virtio_mmio_device *transport = &rng->transport;
    struct virtq *queue = virtio_mmio_queue(transport, queue_index);
    for (;;) {
        enum virtq_result result = virtq_pop_chain(queue, transport->memory, &rng->chain);
        if (result == VIRTQ_EMPTY) {
            break;
        }
        if (result == VIRTQ_OK) {
            /* Readable segments carry nothing for this device (the driver should send none): they are skipped. */
            for (uint16_t i = rng->chain.readable_count; i < rng->chain.segment_count; i++) {
                rng->entropy(rng->entropy_context, rng->chain.segments[i].host, rng->chain.segments[i].length);
            }
            /* writable_bytes fits in 32 bits: the queue caps a chain at VIRTQ_CHAIN_MAX_BYTES. */
            result = virtq_push_used(queue, transport->memory, rng->chain.head, (uint32_t)rng->chain.writable_bytes);
        }
        if (result != VIRTQ_OK) {
            virtio_mmio_set_needs_reset(transport, virtq_result_reason(result));
            break;
        }
    }
    virtio_mmio_signal_used(transport, queue);
}

static const struct virtio_device_ops rng_ops = {
    .device_id = VIRTIO_ID_ENTROPY,
    .features = 0, /* the entropy device defines no feature bits */
    .queue_count = REQUEST_QUEUE + 1,
    .config_size = 0, /* nor a configuration space */
    .queue_notify = serve_requests,
};

const char *virtio_rng_init(struct virtio_rng *rng, const struct guest_memory *memory, virtio_rng_entropy_fn entropy,
                            void *entropy_context, void (*raise_interrupt)(void *context), void *interrupt_context)
{
    if (!entropy) {
        return "the entropy device needs an entropy source";
    }
    rng->entropy = entropy;
    rng->entropy_context = entropy_context;
    return virtio_mmio_init(&rng->transport, &rng_ops, rng, memory, raise_interrupt, interrupt_context);
}
