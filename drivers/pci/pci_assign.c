#include "pci_assign.h"

#include "pci_handoff.h"
#include "pci_registers.h"

#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the PCI app maps the BARs it hands over: BAR i at PCI_ASSIGN_BAR_WINDOW + i * PCI_HANDOFF_BAR_SLOT. */
#define PCI_ASSIGN_BAR_WINDOW 0x0000300000000000ull
/* The first capability slot for the Irqs: past every named capability the manifest can give. */
#define PCI_ASSIGN_FIRST_IRQ_SLOT (APP_FIRST_NAMED + APP_MAX_NAMED_CAPABILITIES)
#define PCI_ASSIGN_PAGE 4096ull
#define PCI_ASSIGN_VIRTIO_DEVICE_STATUS 0x14u /* in virtio_pci_common_cfg, one byte */
#define PCI_ASSIGN_RESET_POLLS 1000000u       /* reads of the status until the reset took */

bool pci_assignment_parse(const char *text, struct pci_assignment *assignment)
{
    char *end;
    unsigned long vendor = strtoul(text, &end, 16);
    if (end == text || *end != ':' || vendor > 0xffff) {
        return false;
    }
    const char *device_text = end + 1;
    unsigned long device = strtoul(device_text, &end, 16);
    if (end == device_text || *end != '=' || device > 0xffff) {
        return false;
    }
    const char *driver = end + 1;
    size_t length = strlen(driver);
    if (length == 0 || length >= sizeof(assignment->driver)) {
        return false;
    }
    assignment->vendor_id = (uint16_t)vendor;
    assignment->device_id = (uint16_t)device;
    memcpy(assignment->driver, driver, length + 1);
    return true;
}

static unsigned order_of_pages(uint64_t bytes)
{
    unsigned order = 0;
    while ((PCI_ASSIGN_PAGE << order) < bytes) {
        order++;
    }
    return order;
}

/* The BARs the driver needs: those of the valid virtio structures and of the MSI-X table; a bit per index. */
static unsigned needed_bars(const struct pci_function *fn)
{
    unsigned mask = 0;
    for (size_t i = 0; i < fn->virtio_count; i++) {
        const struct pci_virtio_capability *capability = &fn->virtio[i];
        if (capability->valid && capability->cfg_type != VIRTIO_PCI_CAP_PCI_CFG && capability->bar < fn->bar_count) {
            mask |= 1u << capability->bar;
        }
    }
    if (fn->msix.present) {
        mask |= 1u << fn->msix.table_bar;
    }
    return mask;
}

/* Whether BAR index can be handed over: memory, assigned, 4 KiB..PCI_HANDOFF_BAR_SLOT, aligned to its size. */
static const char *check_bar(const struct pci_bar *bar)
{
    if (bar->kind != PCI_BAR_MEMORY32 && bar->kind != PCI_BAR_MEMORY64) {
        return "a BAR the driver needs is not a memory BAR";
    }
    if (bar->address == 0) {
        return "a BAR the driver needs has no address assigned";
    }
    if (bar->size < PCI_ASSIGN_PAGE || bar->size > PCI_HANDOFF_BAR_SLOT || (bar->size & (bar->size - 1)) != 0 ||
        bar->address % bar->size != 0) {
        return "a BAR the driver needs is smaller than a page, larger than 64 MiB or misaligned";
    }
    return NULL;
}

/* Turns MSI-X and bus mastering off (no more interrupts or DMA). */
static void disable(const struct pci_config *config, const struct pci_function *fn)
{
    if (fn->msix.present) {
        uint16_t control;
        if (pci_config_read16(config, fn->address, (uint16_t)(fn->msix.offset + PCI_MSIX_CONTROL), &control) ==
            ERROR_NONE) {
            pci_config_write16(config, fn->address, (uint16_t)(fn->msix.offset + PCI_MSIX_CONTROL),
                               (uint16_t)(control & ~PCI_MSIX_CONTROL_ENABLE));
        }
    }
    pci_config_write16(config, fn->address, PCI_COMMAND, (uint16_t)(fn->command & ~PCI_COMMAND_MASTER));
}

static const char *map_bars(const struct pci_function *fn, struct pci_handoff_message *handoff)
{
    uint64_t device_memory = capability_named("device_memory");
    if (!device_memory) {
        return "no device_memory capability";
    }
    unsigned mask = needed_bars(fn);
    unsigned count = 0;
    for (unsigned index = 0; index < fn->bar_count; index++) {
        if (!(mask & (1u << index))) {
            continue;
        }
        const struct pci_bar *bar = &fn->bars[index];
        const char *problem = check_bar(bar);
        if (problem) {
            return problem;
        }
        if (count == PCI_HANDOFF_MAX_BARS) {
            return "the driver needs more BARs than a hand-over carries";
        }
        uint64_t address = PCI_ASSIGN_BAR_WINDOW + index * PCI_HANDOFF_BAR_SLOT;
        unsigned order = order_of_pages(bar->size);
        uint64_t item = ITEM_MEMORY(address >> 12, order, MEMORY_READ | MEMORY_WRITE, 0);
        enum error error = device_memory_map(device_memory, item, bar->address);
        if (error != ERROR_NONE) {
            printf("pci_bus: mapping BAR%u at 0x%llx failed: %s\n", index, (unsigned long long)bar->address,
                   error_name(error));
            return "mapping a BAR failed";
        }
        handoff->words[PCI_HANDOFF_W_BARS + 2 * count] = index;
        handoff->words[PCI_HANDOFF_W_BARS + 2 * count + 1] = bar->size;
        handoff->items[2 * handoff->item_count] = item;
        handoff->items[2 * handoff->item_count + 1] = index * PCI_HANDOFF_BAR_SLOT;
        handoff->item_count++;
        count++;
    }
    handoff->words[PCI_HANDOFF_W_BAR_COUNT] = count;
    return NULL;
}

static void describe_virtio(const struct pci_function *fn, struct pci_handoff_message *handoff)
{
    unsigned count = 0;
    for (size_t i = 0; i < fn->virtio_count && count < PCI_HANDOFF_MAX_VIRTIO; i++) {
        const struct pci_virtio_capability *capability = &fn->virtio[i];
        if (!capability->valid || capability->cfg_type == VIRTIO_PCI_CAP_PCI_CFG) {
            continue;
        }
        uint64_t *words = &handoff->words[PCI_HANDOFF_W_VIRTIO + 4 * count];
        words[0] = PCI_HANDOFF_VIRTIO_TYPE_BAR(capability->cfg_type, capability->bar);
        words[1] = capability->region_offset;
        words[2] = capability->length;
        words[3] = capability->notify_multiplier;
        count++;
    }
    handoff->words[PCI_HANDOFF_W_VIRTIO_COUNT] = count;
}

/* Binds an Irq per handed vector (pci_handoff_enable masks every table entry, whatever firmware left). */
static const char *set_up_msix(const struct pci_function *fn, struct pci_handoff_message *handoff)
{
    handoff->words[PCI_HANDOFF_W_VECTOR_COUNT] = 0;
    if (!fn->msix.present) {
        return NULL; /* the driver polls */
    }
    const struct pci_msix *msix = &fn->msix;
    handoff->words[PCI_HANDOFF_W_MSIX_TABLE] = (uint64_t)msix->table_bar | (uint64_t)msix->vectors << 8;
    handoff->words[PCI_HANDOFF_W_MSIX_OFFSET] = msix->table_offset;
    uint64_t icu = capability_named("icu");
    uint64_t factory = capability_named("factory");
    if (!icu || !factory) {
        return "no icu or factory capability for the device's interrupts";
    }
    const struct app_environment *environment = (const struct app_environment *)APP_ENVIRONMENT_ADDRESS;
    unsigned vectors = msix->vectors < PCI_HANDOFF_MAX_VECTORS ? msix->vectors : PCI_HANDOFF_MAX_VECTORS;
    if (PCI_ASSIGN_FIRST_IRQ_SLOT + vectors > environment->capability_slots) {
        return "too few capability slots for the device's Irqs";
    }
    for (unsigned i = 0; i < vectors; i++) {
        uint64_t slot = PCI_ASSIGN_FIRST_IRQ_SLOT + i;
        uint64_t address = 0;
        uint32_t data = 0;
        enum error error = factory_create_irq(factory, slot);
        if (error == ERROR_NONE) {
            error = icu_bind_msi(icu, slot, &address, &data);
        }
        if (error != ERROR_NONE) {
            printf("pci_bus: an Irq for MSI-X vector %u: %s\n", i, error_name(error));
            return "no Irq bound to an MSI vector";
        }
        handoff->words[PCI_HANDOFF_W_VECTORS + 2 * i] = address;
        handoff->words[PCI_HANDOFF_W_VECTORS + 2 * i + 1] = data;
        handoff->items[2 * handoff->item_count] = ITEM_CAPABILITY(slot, 0, RIGHTS_ALL, 0);
        handoff->items[2 * handoff->item_count + 1] = i;
        handoff->item_count++;
    }
    handoff->words[PCI_HANDOFF_W_VECTOR_COUNT] = vectors;
    return NULL;
}

const char *pci_handoff_enable(const struct pci_config *config, const struct pci_function *fn)
{
    uint16_t command = (uint16_t)(fn->command | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    if (pci_config_write16(config, fn->address, PCI_COMMAND, command) != ERROR_NONE) {
        return "enabling memory decoding and bus mastering failed";
    }
    if (!fn->msix.present) {
        return NULL;
    }
    const struct pci_msix *msix = &fn->msix;
    /* Masked until the driver writes its vectors: a previous driver's entries must not fire into the new one. */
    volatile uint8_t *table =
        (volatile uint8_t *)(uintptr_t)(PCI_ASSIGN_BAR_WINDOW + msix->table_bar * PCI_HANDOFF_BAR_SLOT +
                                        msix->table_offset);
    for (unsigned i = 0; i < msix->vectors; i++) {
        *(volatile uint32_t *)(table + i * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CONTROL) = PCI_MSIX_ENTRY_MASKED;
    }
    uint16_t control;
    uint16_t at = (uint16_t)(msix->offset + PCI_MSIX_CONTROL);
    if (pci_config_read16(config, fn->address, at, &control) != ERROR_NONE ||
        pci_config_write16(config, fn->address, at,
                           (uint16_t)((control | PCI_MSIX_CONTROL_ENABLE) & ~PCI_MSIX_CONTROL_FUNCTION_MASK)) !=
            ERROR_NONE) {
        return "enabling MSI-X failed";
    }
    return NULL;
}

const char *pci_handoff_call(uint64_t gate, const char *driver, const struct pci_handoff_message *handoff)
{
    uint64_t *message = utcb()->message;
    memcpy(message, handoff->words, sizeof(handoff->words));
    memcpy(message + PCI_HANDOFF_WORDS, handoff->items, 2 * handoff->item_count * sizeof(uint64_t));
    struct invoke_result result = ipc_call(gate, MESSAGE_TAG(PCI_HANDOFF_LABEL, PCI_HANDOFF_WORDS, handoff->item_count),
                                           TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER));
    if (result.error != ERROR_NONE) {
        printf("pci_bus: the hand-over call to %s failed: %s\n", driver, error_name(result.error));
        return "the driver did not take the hand-over";
    }
    if (MESSAGE_TAG_LABEL(result.tag) != PCI_HANDOFF_REPLY_LABEL || MESSAGE_TAG_WORDS(result.tag) < 1) {
        return "the driver's answer is not a hand-over reply";
    }
    uint64_t status = utcb()->message[0];
    if (status != 0) {
        printf("pci_bus: %s refused the device: %s\n", driver,
               status < 256 ? error_name((enum error)status) : "(unknown error)");
        return "the driver refused the device";
    }
    return NULL;
}

const char *pci_handoff_prepare(const struct pci_function *fn, struct pci_handoff_message *handoff)
{
    memset(handoff, 0, sizeof(*handoff));
    handoff->words[PCI_HANDOFF_W_MAGIC] = PCI_HANDOFF_MAGIC;
    handoff->words[PCI_HANDOFF_W_IDENTITY] =
        PCI_HANDOFF_IDENTITY(fn->vendor_id, fn->device_id, fn->address.bus, fn->address.device, fn->address.function);
    const char *problem = map_bars(fn, handoff);
    if (problem) {
        return problem;
    }
    describe_virtio(fn, handoff);
    return set_up_msix(fn, handoff);
}

void pci_device_quiesce(const struct pci_config *config, const struct pci_function *fn)
{
    disable(config, fn);
    /* A virtio reset (device status 0) through the common configuration the PCI app mapped: the device forgets the
     * queues, whose memory went with the driver. The spec has the driver read the status back until it is 0. */
    for (size_t i = 0; i < fn->virtio_count; i++) {
        const struct pci_virtio_capability *capability = &fn->virtio[i];
        if (!capability->valid || capability->cfg_type != VIRTIO_PCI_CAP_COMMON_CFG ||
            capability->length <= PCI_ASSIGN_VIRTIO_DEVICE_STATUS || !(needed_bars(fn) & (1u << capability->bar))) {
            continue;
        }
        volatile uint8_t *status =
            (volatile uint8_t *)(uintptr_t)(PCI_ASSIGN_BAR_WINDOW + capability->bar * PCI_HANDOFF_BAR_SLOT +
                                            capability->region_offset + PCI_ASSIGN_VIRTIO_DEVICE_STATUS);
        *status = 0;
        for (unsigned tries = 0; *status != 0 && tries < PCI_ASSIGN_RESET_POLLS; tries++) {
        }
        return;
    }
}

/* Serves until the driver gives the device back (other messages are answered with nothing). */
static void wait_for_release(void)
{
    for (;;) {
        struct invoke_result result = ipc_wait(TIMEOUTS(0, TIMEOUT_NEVER));
        if (result.error != ERROR_NONE) {
            continue;
        }
        bool release = MESSAGE_TAG_LABEL(result.tag) == PCI_HANDOFF_RELEASE_LABEL;
        if (release) {
            return; /* answered once the device is off */
        }
        ipc_reply(MESSAGE_TAG(0, 0, 0));
    }
}

const char *pci_assign(const struct pci_config *config, const struct pci_function *fn,
                       const struct pci_assignment *assignment)
{
    static struct pci_handoff_message handoff;
    const char *problem = pci_handoff_prepare(fn, &handoff);
    if (problem) {
        return problem;
    }
    char name[APP_CAPABILITY_NAME_SIZE];
    snprintf(name, sizeof(name), "peer:%s", assignment->driver);
    uint64_t gate = capability_named(name);
    if (!gate) {
        return "no gate to the driver (the manifest's capability peer:<driver app>)";
    }
    problem = pci_handoff_enable(config, fn);
    if (!problem) {
        problem = pci_handoff_call(gate, assignment->driver, &handoff);
    }
    if (problem) {
        disable(config, fn);
        return problem;
    }
    printf("pci_bus: %02x:%02x.%x handed to %s (%u BARs, %u MSI-X vectors)\n", fn->address.bus, fn->address.device,
           fn->address.function, assignment->driver, (unsigned)handoff.words[PCI_HANDOFF_W_BAR_COUNT],
           (unsigned)handoff.words[PCI_HANDOFF_W_VECTOR_COUNT]);
    wait_for_release();
    disable(config, fn);
    ipc_reply(MESSAGE_TAG(PCI_HANDOFF_REPLY_LABEL, 0, 0));
    printf("pci_bus: %s released %02x:%02x.%x\n", assignment->driver, fn->address.bus, fn->address.device,
           fn->address.function);
    return NULL;
}
