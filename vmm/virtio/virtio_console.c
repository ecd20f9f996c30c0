#include "virtio_console.h"

#include "virtio_spec.h"

#include <string.h>

_Static_assert(VIRTIO_CONSOLE_INPUT_CAPACITY > 0 && VIRTIO_CONSOLE_INPUT_CAPACITY <= UINT32_MAX,
               "the input ring's indices are 32-bit");

static size_t smaller(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Appends what fits of bytes to the pending input; returns how much that was. */
static size_t keep_input(struct virtio_console *console, const uint8_t *bytes, size_t length)
{
    size_t accepted = smaller(length, VIRTIO_CONSOLE_INPUT_CAPACITY - console->input_count);
    size_t end = (console->input_start + console->input_count) % VIRTIO_CONSOLE_INPUT_CAPACITY;
    size_t before_wrap = smaller(accepted, VIRTIO_CONSOLE_INPUT_CAPACITY - end);
    memcpy(console->input + end, bytes, before_wrap);
    memcpy(console->input, bytes + before_wrap, accepted - before_wrap);
    console->input_count += (uint32_t)accepted;
    return accepted;
}

/* Moves the oldest pending input into buffer, up to length bytes; returns how much that was. */
static size_t take_input(struct virtio_console *console, uint8_t *buffer, size_t length)
{
    size_t taken = smaller(length, console->input_count);
    size_t before_wrap = smaller(taken, VIRTIO_CONSOLE_INPUT_CAPACITY - console->input_start);
    memcpy(buffer, console->input + console->input_start, before_wrap);
    memcpy(buffer + before_wrap, console->input, taken - before_wrap);
    console->input_start = (uint32_t)((console->input_start + taken) % VIRTIO_CONSOLE_INPUT_CAPACITY);
    console->input_count -= (uint32_t)taken;
    return taken;
}

/*
 * DEVICE_NEEDS_RESET does not stop input on its own: only a broken receiveq
 * does, so a broken transmitq leaves the guest reachable until its driver
 * resets the device.
 */
static bool receive_queue_usable(struct virtio_console *console)
{
    const struct virtq *queue = virtio_mmio_queue(&console->transport, VIRTIO_CONSOLE_RECEIVE_QUEUE);
    return (console->transport.status & VIRTIO_STATUS_DRIVER_OK) && queue->ready && !console->receive_queue_broken;
}

/*
 * Fills receive chains with pending input, in order, until either runs out.
 * A chain is taken only while input is pending, so the driver's buffers wait
 * in the queue for the next input rather than come back empty.
 */
static void deliver_input(struct virtio_console *console)
{
    if (console->input_count == 0 || !receive_queue_usable(console)) {
        return;
    }
    struct virtio_mmio_device *transport = &console->transport;
    struct virtq *queue = virtio_mmio_queue(transport, VIRTIO_CONSOLE_RECEIVE_QUEUE);
    while (console->input_count > 0) {
        enum virtq_result result = virtq_pop_chain(queue, transport->memory, &console->chain);
        if (result == VIRTQ_EMPTY) {
            break;
        }
        if (result == VIRTQ_OK) {
            /* Readable segments carry nothing into the guest (the driver should send none): they are skipped. */
            size_t written = 0;
            for (uint16_t i = console->chain.readable_count; i < console->chain.segment_count; i++) {
                written += take_input(console, console->chain.segments[i].host, console->chain.segments[i].length);
            }
            /* At most VIRTIO_CONSOLE_INPUT_CAPACITY bytes were pending: written fits in 32 bits. */
            result = virtq_push_used(queue, transport->memory, console->chain.head, (uint32_t)written);
        }
        if (result != VIRTQ_OK) {
            console->receive_queue_broken = true;
            virtio_mmio_set_needs_reset(transport, virtq_result_reason(result));
            break;
        }
    }
    virtio_mmio_signal_used(transport, queue);
}

/* Every transmit chain the driver made available: its readable bytes go to the output, the chain back empty. */
static void transmit_output(struct virtio_console *console)
{
    struct virtio_mmio_device *transport = &console->transport;
    struct virtq *queue = virtio_mmio_queue(transport, VIRTIO_CONSOLE_TRANSMIT_QUEUE);
    for (;;) {
        enum virtq_result result = virtq_pop_chain(queue, transport->memory, &console->chain);
        if (result == VIRTQ_EMPTY) {
            break;
        }
        if (result == VIRTQ_OK) {
            /* Writable segments are the driver's mistake; the device writes nothing into them. */
            for (uint16_t i = 0; i < console->chain.readable_count; i++) {
                const struct virtq_segment *segment = &console->chain.segments[i];
                if (segment->length > 0) {
                    console->output(console->output_context, segment->host, segment->length);
                }
            }
            result = virtq_push_used(queue, transport->memory, console->chain.head, 0);
        }
        if (result != VIRTQ_OK) {
            virtio_mmio_set_needs_reset(transport, virtq_result_reason(result));
            break;
        }
    }
    virtio_mmio_signal_used(transport, queue);
}

static void queue_notify(void *context, uint16_t queue_index)
{
    struct virtio_console *console = context;
    if (queue_index == VIRTIO_CONSOLE_RECEIVE_QUEUE) {
        deliver_input(console);
    } else {
        transmit_output(console);
    }
}

/* A new driver starts afresh: input meant for the previous one is dropped. */
static void reset(void *context)
{
    struct virtio_console *console = context;
    console->receive_queue_broken = false;
    console->input_start = 0;
    console->input_count = 0;
}

static const struct virtio_device_ops console_ops = {
    .device_id = VIRTIO_ID_CONSOLE,
    .features = 0, /* neither VIRTIO_CONSOLE_F_SIZE, nor F_MULTIPORT, nor F_EMERG_WRITE */
    .queue_count = VIRTIO_CONSOLE_TRANSMIT_QUEUE + 1,
    .config_size = 0, /* every configuration field depends on one of those features */
    .queue_notify = queue_notify,
    .reset = reset,
};

const char *virtio_console_init(struct virtio_console *console, const struct guest_memory *memory,
                                virtio_console_output_fn output, void *output_context,
                                void (*raise_interrupt)(void *context), void *interrupt_context)
{
    if (!output) {
        return "the console device needs an output callback";
    }
    console->output = output;
    console->output_context = output_context;
    reset(console);
    return virtio_mmio_init(&console->transport, &console_ops, console, memory, raise_interrupt, interrupt_context);
}

size_t virtio_console_input(struct virtio_console *console, const uint8_t *bytes, size_t length)
{
    if (length == 0) {
        return 0; /* bytes may then be NULL, which memcpy must not see */
    }
    size_t accepted = 0;
    for (;;) {
        accepted += keep_input(console, bytes + accepted, length - accepted);
        deliver_input(console);
        /* The ring is still full only if the guest took nothing more: the rest cannot be kept. */
        if (accepted == length || console->input_count == VIRTIO_CONSOLE_INPUT_CAPACITY) {
            return accepted;
        }
    }
}
