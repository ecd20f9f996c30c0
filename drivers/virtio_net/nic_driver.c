/*
 * nic: the host's NIC driver Micro-App (issue 6). It takes a virtio network
 * device from the PCI bus Micro-App (pci_handoff.h), drives it with
 * virtio_net_driver.h over the handed BARs and MSI-X vectors, and joins it to
 * the virtual switch as a port: frames the NIC receives go to the switch,
 * frames from the switch go out of the NIC.
 *
 *     nic --switch-port <shared region>:<switch app> [--pci <pci app>]
 *
 * A boot manifest's driver takes the hand-over through its "peer:" gate and gives
 * the device back through "peer:<pci app>"; one that pci_bus launches and
 * supervises (pci_supervise.h) takes it through its control gate, has no --pci,
 * and the device goes back when it ends, however it ends.
 *
 * It ends when the switch closes its side of the port (the switch does so for
 * an uplink once every other port has closed): it resets the device, closes
 * its side, gives the device back to the PCI app and prints its counts.
 *
 * Exit status: 0 after a clean end, 1 for bad arguments or a missing
 * capability, 2 when the hand-over or the device is unusable, 3 when the
 * device failed while running.
 */
#include "drivers/pci/pci_handoff.h"
#include "kernel_dma.h"
#include "mapped_mmio.h"
#include "virtio_net_driver.h"
#include "virtio_pci_registers.h"
#include "vmm/net/frame_link.h"

#include <kapsel/environment.h>
#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NIC_BAR_WINDOW 0x0000300000000000ull /* the hand-over's memory window (pci_handoff.h) */
#define NIC_DMA_WINDOW 0x0000340000000000ull
#define NIC_DMA_WINDOW_SIZE 0x4000000ull                                  /* 64 MiB of address space */
#define NIC_FIRST_IRQ_SLOT (APP_FIRST_NAMED + APP_MAX_NAMED_CAPABILITIES) /* the capability window */
#define NIC_IRQ_WINDOW_ORDER 2                                            /* PCI_HANDOFF_MAX_VECTORS slots */
#define NIC_IRQ_LABEL 0x4e00u /* Irq i arrives with label NIC_IRQ_LABEL + i */
#define NIC_IDLE_WAIT_MS 10   /* a wakeup missed while busy is found this much later at most */
#define NIC_SWITCH_END 1
#define MSIX_ENTRY_SIZE 16u
#define MSIX_ENTRY_ADDRESS_LOW 0u
#define MSIX_ENTRY_ADDRESS_HIGH 4u
#define MSIX_ENTRY_DATA 8u
#define MSIX_ENTRY_CONTROL 12u
#define VIRTIO_PCI_CAP_COMMON 1u
#define VIRTIO_PCI_CAP_NOTIFY 2u
#define VIRTIO_PCI_CAP_ISR 3u
#define VIRTIO_PCI_CAP_DEVICE 4u

_Static_assert((1u << NIC_IRQ_WINDOW_ORDER) >= PCI_HANDOFF_MAX_VECTORS, "the Irq window holds every vector");

struct handoff {
    uint64_t words[PCI_HANDOFF_WORDS];
    uint64_t items[2 * (PCI_HANDOFF_MAX_BARS + PCI_HANDOFF_MAX_VECTORS)];
    uint64_t bar_size[6]; /* 0: not handed over */
    unsigned vectors;
};

static struct frame_link switch_link;
static struct virtio_net_driver net;
static struct kernel_dma dma;
static uint8_t frame[FRAME_RING_MAX_FRAME];
static bool wake_switch;
static uint64_t frames_to_switch, frames_to_switch_dropped, frames_from_switch, interrupts;

static volatile uint8_t *bar_base(unsigned index)
{
    return (volatile uint8_t *)(uintptr_t)(NIC_BAR_WINDOW + index * PCI_HANDOFF_BAR_SLOT);
}

/* Waits for the PCI app's hand-over call (anything else, e.g. an early switch wakeup, is ignored). */
static void receive_handoff(struct handoff *handoff)
{
    struct utcb *u = utcb();
    u->memory_window = ITEM_MEMORY(NIC_BAR_WINDOW >> 12, PCI_HANDOFF_MEMORY_WINDOW_ORDER, 0, 0);
    u->capability_window = ITEM_CAPABILITY(NIC_FIRST_IRQ_SLOT, NIC_IRQ_WINDOW_ORDER, 0, 0);
    for (;;) {
        struct invoke_result result = ipc_wait(TIMEOUTS(0, TIMEOUT_NEVER));
        if (result.error == ERROR_NONE && MESSAGE_TAG_LABEL(result.tag) == PCI_HANDOFF_LABEL &&
            MESSAGE_TAG_WORDS(result.tag) == PCI_HANDOFF_WORDS) {
            unsigned items = MESSAGE_TAG_ITEMS(result.tag);
            memset(handoff, 0, sizeof(*handoff));
            memcpy(handoff->words, u->message, sizeof(handoff->words));
            if (items <= PCI_HANDOFF_MAX_BARS + PCI_HANDOFF_MAX_VECTORS) {
                memcpy(handoff->items, u->message + PCI_HANDOFF_WORDS, 2 * items * sizeof(uint64_t));
            }
            handoff->vectors = items; /* checked against the words in check_handoff */
            break;
        }
    }
    /* Nothing more lands here. */
    u->memory_window = 0;
    u->capability_window = 0;
}

static bool power_of_two(uint64_t value)
{
    return value && (value & (value - 1)) == 0;
}

/* Checks the words against the items that came with them; NULL or what is wrong. */
static const char *check_handoff(struct handoff *handoff)
{
    const uint64_t *w = handoff->words;
    unsigned items = handoff->vectors;
    uint64_t bars = w[PCI_HANDOFF_W_BAR_COUNT], vectors = w[PCI_HANDOFF_W_VECTOR_COUNT];
    if (w[PCI_HANDOFF_W_MAGIC] != PCI_HANDOFF_MAGIC) {
        return "not a hand-over of this version";
    }
    if (bars > PCI_HANDOFF_MAX_BARS || vectors > PCI_HANDOFF_MAX_VECTORS || bars + vectors != items) {
        return "the counts of BARs and vectors do not match the items";
    }
    for (unsigned i = 0; i < bars; i++) {
        uint64_t index = w[PCI_HANDOFF_W_BARS + 2 * i], size = w[PCI_HANDOFF_W_BARS + 2 * i + 1];
        uint64_t item = handoff->items[2 * i], offset = handoff->items[2 * i + 1];
        if (index >= 6 || handoff->bar_size[index] || !power_of_two(size) || size < 4096 ||
            size > PCI_HANDOFF_BAR_SLOT || ITEM_TYPE(item) != ITEM_TYPE_MEMORY ||
            (ITEM_RIGHTS(item) & (MEMORY_READ | MEMORY_WRITE)) != (MEMORY_READ | MEMORY_WRITE) ||
            (4096ull << ITEM_ORDER(item)) != size || offset != index * PCI_HANDOFF_BAR_SLOT) {
            return "a BAR's words do not match its map item";
        }
        handoff->bar_size[index] = size;
    }
    for (unsigned i = 0; i < vectors; i++) {
        uint64_t item = handoff->items[2 * (bars + i)], offset = handoff->items[2 * (bars + i) + 1];
        if (ITEM_TYPE(item) != ITEM_TYPE_CAPABILITY || ITEM_ORDER(item) != 0 || offset != i) {
            return "an Irq's item is not one capability at its vector's slot";
        }
    }
    if (w[PCI_HANDOFF_W_VIRTIO_COUNT] > PCI_HANDOFF_MAX_VIRTIO) {
        return "too many virtio capabilities";
    }
    handoff->vectors = (unsigned)vectors;
    return NULL;
}

/* [offset, offset + length) inside a handed BAR: its registers, else NULL. */
static volatile uint8_t *inside_bar(const struct handoff *handoff, uint64_t bar, uint64_t offset, uint64_t length)
{
    if (bar >= 6 || !handoff->bar_size[bar] || offset > handoff->bar_size[bar] ||
        length > handoff->bar_size[bar] - offset) {
        return NULL;
    }
    return bar_base((unsigned)bar) + offset;
}

/* The first virtio structure of cfg_type into *region (length 0 if there is none); false if it lies outside. */
static bool find_region(const struct handoff *handoff, unsigned cfg_type, struct virtio_pci_region *region,
                        uint32_t *multiplier)
{
    region->length = 0;
    for (uint64_t i = 0; i < handoff->words[PCI_HANDOFF_W_VIRTIO_COUNT]; i++) {
        const uint64_t *w = &handoff->words[PCI_HANDOFF_W_VIRTIO + 4 * i];
        if ((w[0] & 0xff) != cfg_type) {
            continue;
        }
        volatile uint8_t *base = inside_bar(handoff, (w[0] >> 8) & 0xff, w[1], w[2]);
        if (!base) {
            return false;
        }
        region->mmio = mapped_mmio(base);
        region->length = w[2];
        if (multiplier) {
            *multiplier = (uint32_t)w[3];
        }
        return true;
    }
    return true;
}

/* Writes each handed vector's address and data into its MSI-X table entry and unmasks it. */
static const char *program_msix(const struct handoff *handoff, uint16_t *table_size)
{
    *table_size = 0;
    if (handoff->vectors == 0) {
        return NULL;
    }
    uint64_t table = handoff->words[PCI_HANDOFF_W_MSIX_TABLE];
    uint64_t entries = (table >> 8) & 0xffff;
    if (entries < handoff->vectors || entries > 2048) {
        return "the MSI-X table is smaller than the vectors handed over";
    }
    volatile uint8_t *base =
        inside_bar(handoff, table & 0xff, handoff->words[PCI_HANDOFF_W_MSIX_OFFSET], entries * MSIX_ENTRY_SIZE);
    if (!base) {
        return "the MSI-X table is not inside a handed BAR";
    }
    for (unsigned i = 0; i < handoff->vectors; i++) {
        uint64_t address = handoff->words[PCI_HANDOFF_W_VECTORS + 2 * i];
        uint64_t data = handoff->words[PCI_HANDOFF_W_VECTORS + 2 * i + 1];
        if (data > UINT32_MAX) {
            return "an MSI data word does not fit 32 bits";
        }
        volatile uint8_t *entry = base + i * MSIX_ENTRY_SIZE;
        *(volatile uint32_t *)(entry + MSIX_ENTRY_ADDRESS_LOW) = (uint32_t)address;
        *(volatile uint32_t *)(entry + MSIX_ENTRY_ADDRESS_HIGH) = (uint32_t)(address >> 32);
        *(volatile uint32_t *)(entry + MSIX_ENTRY_DATA) = (uint32_t)data;
        *(volatile uint32_t *)(entry + MSIX_ENTRY_CONTROL) = 0; /* unmasked */
    }
    *table_size = (uint16_t)entries;
    return NULL;
}

static char report[2 * LOG_MAX_BYTES];
static bool started; /* the device runs: link changes are printed as they come */

static void report_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

static void report_printf(const char *format, ...)
{
    size_t used = strlen(report);
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(report + used, sizeof(report) - used, format, arguments);
    va_end(arguments);
}

static void receive_frame(void *context, const uint8_t *bytes, size_t length)
{
    (void)context;
    if (frame_ring_push(&switch_link.out, bytes, length) == FRAME_RING_OK) {
        frames_to_switch++;
        wake_switch = true;
    } else {
        frames_to_switch_dropped++;
    }
}

static void link_changed(void *context, bool up)
{
    (void)context;
    if (started) {
        printf("nic: link %s\n", up ? "up" : "down");
    }
}

/* Sends what the switch has for the NIC; a full NIC keeps the rest in the ring. False if the ring is broken. */
static bool transmit_from_switch(void)
{
    size_t length;
    enum frame_ring_result result;
    while ((result = frame_ring_peek(&switch_link.in, frame, sizeof(frame), &length)) == FRAME_RING_OK) {
        enum virtio_net_result sent = virtio_net_transmit(&net, frame, length);
        if (sent == VIRTIO_NET_FULL) {
            return true; /* the transmit vector says when buffers are back */
        }
        frame_ring_consume(&switch_link.in);
        if (sent == VIRTIO_NET_OK) {
            frames_from_switch++;
        } else if (sent != VIRTIO_NET_ERROR_ARGUMENT) {
            return true; /* the poll reports the device's failure */
        }
    }
    return result != FRAME_RING_CORRUPT;
}

static const char *option(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], name) == 0) {
            return argv[i + 1];
        }
    }
    return NULL;
}

static uint16_t vector_or(unsigned vectors, unsigned wanted, uint16_t otherwise)
{
    return wanted < vectors ? (uint16_t)wanted : otherwise;
}

/*
 * Checks the hand-over and starts the device; 0 or an enum error for the PCI app's reply. What it reports waits in
 * report until the reply is sent: a launched driver's log goes to the PCI app, which takes no log line while it waits
 * for that reply.
 */
static enum error start_device(struct handoff *handoff, uint64_t dma_memory)
{
    const char *problem = check_handoff(handoff);
    struct virtio_net_setup setup;
    memset(&setup, 0, sizeof(setup));
    if (!problem) {
        problem = program_msix(handoff, &setup.regions.msix_vectors);
    }
    if (!problem &&
        (!find_region(handoff, VIRTIO_PCI_CAP_COMMON, &setup.regions.common, NULL) ||
         !find_region(handoff, VIRTIO_PCI_CAP_NOTIFY, &setup.regions.notify, &setup.regions.notify_off_multiplier) ||
         !find_region(handoff, VIRTIO_PCI_CAP_ISR, &setup.regions.isr, NULL) ||
         !find_region(handoff, VIRTIO_PCI_CAP_DEVICE, &setup.regions.device, NULL))) {
        problem = "a virtio structure is not inside a handed BAR";
    }
    if (problem) {
        report_printf("nic: the hand-over is unusable: %s\n", problem);
        return ERROR_MALFORMED;
    }
    for (unsigned i = 0; i < handoff->vectors; i++) {
        enum error error = irq_bind(NIC_FIRST_IRQ_SLOT + i, APP_THREAD, NIC_IRQ_LABEL + i);
        if (error != ERROR_NONE) {
            report_printf("nic: binding the Irq of vector %u: %s\n", i, error_name(error));
            return error;
        }
    }
    setup.dma = kernel_dma_allocator(&dma, dma_memory, NIC_DMA_WINDOW, NIC_DMA_WINDOW_SIZE);
    setup.config_vector = vector_or(handoff->vectors, 0, VIRTIO_MSI_NO_VECTOR);
    setup.receive_vector = vector_or(handoff->vectors, 1, setup.config_vector);
    setup.transmit_vector = vector_or(handoff->vectors, 2, setup.receive_vector);
    const uint8_t fallback[VIRTIO_NET_MAC_BYTES] = {0x02, 0x4b, 0x41, 0x50, 0x53, 0x01};
    memcpy(setup.fallback_mac, fallback, sizeof(fallback));
    setup.callbacks = (struct virtio_net_callbacks){.receive = receive_frame, .link_changed = link_changed};
    enum virtio_net_result result = virtio_net_start(&net, &setup);
    if (result != VIRTIO_NET_OK) {
        report_printf("nic: the device did not start: %s%s%s\n", virtio_net_result_reason(result),
                      result == VIRTIO_NET_ERROR_TRANSPORT ? ": " : "",
                      result == VIRTIO_NET_ERROR_TRANSPORT ? virtio_pci_result_reason(net.transport_result) : "");
        return ERROR_UNSUPPORTED;
    }
    const uint8_t *mac = virtio_net_mac(&net);
    uint64_t identity = handoff->words[PCI_HANDOFF_W_IDENTITY];
    report_printf("nic: virtio-net %02x:%02x.%x up: MAC %02x:%02x:%02x:%02x:%02x:%02x, %u MSI-X vectors, link %s\n",
                  (unsigned)(identity >> 32) & 0xff, (unsigned)(identity >> 40) & 0x1f,
                  (unsigned)(identity >> 48) & 0x7, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], handoff->vectors,
                  virtio_net_link_up(&net) ? "up" : "down");
    return ERROR_NONE;
}

/* Runs the port until the switch closes its side; true if the device kept working. */
static bool run(unsigned vectors)
{
    for (;;) {
        enum virtio_net_result result = virtio_net_poll(&net);
        if (result != VIRTIO_NET_OK) {
            printf("nic: the device failed: %s\n", virtio_net_result_reason(result));
            return false;
        }
        if (!transmit_from_switch()) {
            printf("nic: the switch corrupted the port's ring\n");
            return false;
        }
        if (wake_switch) {
            wake_switch = false;
            frame_link_wake(&switch_link);
        }
        size_t length;
        if (frame_ring_closed(&switch_link.in) &&
            frame_ring_peek(&switch_link.in, frame, sizeof(frame), &length) != FRAME_RING_OK) {
            return true;
        }
        struct invoke_result wait = ipc_wait(TIMEOUTS(0, NIC_IDLE_WAIT_MS));
        if (wait.error == ERROR_NONE && wait.label >= NIC_IRQ_LABEL && wait.label < NIC_IRQ_LABEL + vectors) {
            unsigned vector = (unsigned)(wait.label - NIC_IRQ_LABEL);
            interrupts++;
            irq_acknowledge(NIC_FIRST_IRQ_SLOT + vector);
            if (vector == 0 && virtio_net_config_changed(&net) != VIRTIO_NET_OK) {
                printf("nic: the device needs a reset\n");
                return false;
            }
        }
    }
}

/* Gives the device back to the PCI app (which then ends). */
static void release_device(const char *pci_app)
{
    char name[APP_CAPABILITY_NAME_SIZE];
    snprintf(name, sizeof(name), "peer:%s", pci_app);
    uint64_t gate = capability_named(name);
    if (!gate) {
        printf("nic: no gate %s to give the device back\n", name);
        return;
    }
    struct invoke_result result =
        ipc_call(gate, MESSAGE_TAG(PCI_HANDOFF_RELEASE_LABEL, 0, 0), TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER));
    if (result.error != ERROR_NONE) {
        printf("nic: giving the device back failed: %s\n", error_name(result.error));
    }
}

int main(int argc, char **argv)
{
    const char *port = option(argc, argv, "--switch-port");
    const char *pci_app = option(argc, argv, "--pci");
    char region[APP_SHARED_NAME_SIZE];
    const char *colon = port ? strchr(port, ':') : NULL;
    if (!port || !colon || colon == port || colon[1] == '\0' || (size_t)(colon - port) >= sizeof(region)) {
        printf("nic: usage: nic --switch-port <shared region>:<switch app> [--pci <pci app>]\n");
        return 1;
    }
    memcpy(region, port, (size_t)(colon - port));
    region[colon - port] = '\0';
    const char *problem = frame_link_open(&switch_link, region, NIC_SWITCH_END, colon + 1);
    uint64_t dma_memory = capability_named("dma_memory");
    const struct app_environment *environment = (const struct app_environment *)APP_ENVIRONMENT_ADDRESS;
    if (!problem && !dma_memory) {
        problem = "no dma_memory capability";
    }
    if (!problem && NIC_FIRST_IRQ_SLOT + PCI_HANDOFF_MAX_VECTORS > environment->capability_slots) {
        problem = "too few capability slots for the Irqs";
    }
    if (problem) {
        printf("nic: %s\n", problem);
        return 1;
    }
    static struct handoff handoff;
    receive_handoff(&handoff);
    enum error error = start_device(&handoff, dma_memory);
    utcb()->message[0] = error;
    ipc_reply(MESSAGE_TAG(PCI_HANDOFF_REPLY_LABEL, 1, 0));
    fputs(report, stdout);
    started = true;
    if (error != ERROR_NONE) {
        frame_link_close(&switch_link);
        return 2;
    }
    bool working = run(handoff.vectors);
    virtio_pci_reset(&net.transport); /* no more DMA into memory that goes with this app */
    frame_link_close(&switch_link);
    if (pci_app) {
        release_device(pci_app);
    }
    const struct virtio_net_counters *counters = &net.counters;
    printf("nic: %llu frames received (%llu to the switch, %llu dropped there), %llu sent from the switch, "
           "%llu link changes, %llu interrupts\n",
           (unsigned long long)counters->frames_received, (unsigned long long)frames_to_switch,
           (unsigned long long)frames_to_switch_dropped, (unsigned long long)frames_from_switch,
           (unsigned long long)counters->link_changes, (unsigned long long)interrupts);
    return working ? 0 : 3;
}
