#include "fake_config.h"

#include "drivers/pci/pci_registers.h"

#include <stdlib.h>
#include <string.h>

void fake_config_init(struct fake_config *fake)
{
    memset(fake, 0, sizeof(*fake));
    fake->fail_from = FAKE_NO_OFFSET;
}

static bool same(struct pci_address a, struct pci_address b)
{
    return a.bus == b.bus && a.device == b.device && a.function == b.function;
}

struct fake_function *fake_function_at(struct fake_config *fake, struct pci_address address)
{
    for (size_t i = 0; i < fake->count; i++) {
        if (same(fake->functions[i].address, address)) {
            return &fake->functions[i];
        }
    }
    return NULL;
}

static bool fails(const struct fake_config *fake, struct pci_address address, uint16_t offset)
{
    return fake->fail_from != FAKE_NO_OFFSET && same(fake->fail_address, address) && offset >= fake->fail_from;
}

static enum error fake_read(void *context, struct pci_address address, uint16_t offset, unsigned width, uint32_t *value)
{
    struct fake_config *fake = context;
    fake->reads++;
    if (fails(fake, address, offset)) {
        return fake->fail_error;
    }
    const struct fake_function *fn = fake_function_at(fake, address);
    uint32_t result = 0;
    for (unsigned i = 0; i < width; i++) {
        result |= (uint32_t)(fn ? fn->bytes[offset + i] : 0xff) << (8 * i);
    }
    *value = result;
    return ERROR_NONE;
}

static bool is_bar(const struct fake_function *fn, uint16_t offset)
{
    unsigned type = fn->bytes[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK;
    unsigned bars = type == PCI_HEADER_DEVICE ? PCI_DEVICE_BARS : type == PCI_HEADER_BRIDGE ? PCI_BRIDGE_BARS : 0;
    return offset >= PCI_BAR0 && offset < PCI_BAR0 + 4 * bars;
}

static enum error fake_write(void *context, struct pci_address address, uint16_t offset, unsigned width, uint32_t value)
{
    struct fake_config *fake = context;
    fake->writes++;
    if (fails(fake, address, offset)) {
        return fake->fail_error;
    }
    struct fake_function *fn = fake_function_at(fake, address);
    if (!fn) {
        return ERROR_NONE; /* nobody there: the write goes nowhere */
    }
    if (is_bar(fn, offset)) {
        fn->bar_writes++;
        if (fake_get16(fn, PCI_COMMAND) & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) {
            fn->bar_writes_while_decoding++;
        }
    }
    if (offset == PCI_COMMAND) {
        fn->command_writes++;
    }
    for (unsigned i = 0; i < width; i++) {
        uint8_t byte = (uint8_t)(value >> (8 * i));
        uint8_t mask = fn->writable[offset + i];
        fn->bytes[offset + i] = (uint8_t)((fn->bytes[offset + i] & ~mask) | (byte & mask));
    }
    if (fn->freeze_after_write != FAKE_NO_OFFSET && (offset & ~3u) == fn->freeze_after_write) {
        memset(&fn->writable[fn->freeze_after_write], 0, 4);
    }
    return ERROR_NONE;
}

static const struct pci_config_ops fake_ops = {.read = fake_read, .write = fake_write};

struct pci_config fake_config_access(struct fake_config *fake)
{
    return (struct pci_config){.ops = &fake_ops, .context = fake, .size = PCI_CONFIG_SIZE};
}

void fake_set8(struct fake_function *fn, uint16_t offset, uint8_t value)
{
    fn->bytes[offset] = value;
}

void fake_set16(struct fake_function *fn, uint16_t offset, uint16_t value)
{
    fake_set8(fn, offset, (uint8_t)value);
    fake_set8(fn, (uint16_t)(offset + 1), (uint8_t)(value >> 8));
}

void fake_set32(struct fake_function *fn, uint16_t offset, uint32_t value)
{
    fake_set16(fn, offset, (uint16_t)value);
    fake_set16(fn, (uint16_t)(offset + 2), (uint16_t)(value >> 16));
}

uint16_t fake_get16(const struct fake_function *fn, uint16_t offset)
{
    return (uint16_t)(fn->bytes[offset] | fn->bytes[offset + 1] << 8);
}

uint32_t fake_get32(const struct fake_function *fn, uint16_t offset)
{
    return fake_get16(fn, offset) | (uint32_t)fake_get16(fn, (uint16_t)(offset + 2)) << 16;
}

void fake_writable32(struct fake_function *fn, uint16_t offset, uint32_t mask)
{
    for (unsigned i = 0; i < 4; i++) {
        fn->writable[offset + i] = (uint8_t)(mask >> (8 * i));
    }
}

struct fake_function *fake_function_add(struct fake_config *fake, struct pci_address address, uint16_t vendor,
                                        uint16_t device, uint32_t class_code, uint8_t header_type)
{
    if (fake->count == FAKE_MAX_FUNCTIONS || fake_function_at(fake, address)) {
        abort(); /* a broken test, not a finding */
    }
    struct fake_function *fn = &fake->functions[fake->count++];
    memset(fn, 0, sizeof(*fn));
    fn->address = address;
    fn->freeze_after_write = FAKE_NO_OFFSET;
    fake_set16(fn, PCI_VENDOR_ID, vendor);
    fake_set16(fn, PCI_DEVICE_ID, device);
    fake_set8(fn, PCI_PROG_IF, (uint8_t)class_code);
    fake_set8(fn, PCI_SUBCLASS, (uint8_t)(class_code >> 8));
    fake_set8(fn, PCI_CLASS, (uint8_t)(class_code >> 16));
    fake_set8(fn, PCI_HEADER_TYPE, header_type);
    fn->writable[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    fn->writable[PCI_COMMAND + 1] = 0x04; /* INTx disable */
    return fn;
}

void fake_memory_bar(struct fake_function *fn, unsigned index, uint64_t address, uint64_t size, bool wide,
                     bool prefetchable)
{
    uint16_t offset = (uint16_t)(PCI_BAR0 + 4 * index);
    uint32_t type = (wide ? PCI_BAR_MEMORY_TYPE_64 << PCI_BAR_MEMORY_TYPE_SHIFT : 0) |
                    (prefetchable ? PCI_BAR_MEMORY_PREFETCHABLE : 0);
    uint64_t mask = ~(size - 1);
    fake_set32(fn, offset, (uint32_t)address | type);
    fake_writable32(fn, offset, (uint32_t)mask & PCI_BAR_MEMORY_ADDRESS_MASK);
    if (wide) {
        fake_set32(fn, (uint16_t)(offset + 4), (uint32_t)(address >> 32));
        fake_writable32(fn, (uint16_t)(offset + 4), (uint32_t)(mask >> 32));
    }
}

void fake_io_bar(struct fake_function *fn, unsigned index, uint16_t port, uint32_t size)
{
    uint16_t offset = (uint16_t)(PCI_BAR0 + 4 * index);
    fake_set32(fn, offset, (uint32_t)port | PCI_BAR_IO_SPACE);
    fake_writable32(fn, offset, ~(size - 1) & 0xfffcu);
}

void fake_capability(struct fake_function *fn, uint8_t offset, uint8_t id, const uint8_t *body, size_t body_size)
{
    if (offset + 2 + body_size > PCI_CONFIG_SIZE) {
        abort();
    }
    fake_set16(fn, PCI_STATUS, (uint16_t)(fake_get16(fn, PCI_STATUS) | PCI_STATUS_CAPABILITIES));
    fake_set8(fn, fn->last_capability ? (uint16_t)(fn->last_capability + 1) : PCI_CAPABILITY_POINTER, offset);
    fake_set8(fn, offset, id);
    fake_set8(fn, (uint16_t)(offset + 1), 0);
    if (body_size) {
        memcpy(&fn->bytes[offset + 2], body, body_size);
    }
    fn->last_capability = offset;
}

void fake_virtio_capability(struct fake_function *fn, uint8_t offset, uint8_t cfg_type, uint8_t bar, uint32_t region,
                            uint32_t length, uint32_t multiplier)
{
    bool notify = cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG;
    uint8_t body[VIRTIO_PCI_NOTIFY_CAP_SIZE - 2] = {0};
    body[0] = notify ? VIRTIO_PCI_NOTIFY_CAP_SIZE : VIRTIO_PCI_CAP_SIZE;
    body[1] = cfg_type;
    body[2] = bar;
    for (unsigned i = 0; i < 4; i++) {
        body[6 + i] = (uint8_t)(region >> (8 * i));
        body[10 + i] = (uint8_t)(length >> (8 * i));
        body[14 + i] = (uint8_t)(multiplier >> (8 * i));
    }
    fake_capability(fn, offset, PCI_CAPABILITY_VENDOR, body, notify ? sizeof(body) : VIRTIO_PCI_CAP_SIZE - 2);
}
