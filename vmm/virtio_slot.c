#include "virtio_slot.h"

#include "arch.h"
#include "vm.h"

struct virtio_slot *virtio_slot_next(struct vm *vm)
{
    if (vm->virtio_slot_count == VM_MAX_VIRTIO_SLOTS) {
        return NULL;
    }
    struct virtio_slot *slot = &vm->virtio_slots[vm->virtio_slot_count];
    *slot = (struct virtio_slot){
        .vm = vm,
        .window = arch_virtio_window(vm->virtio_slot_count),
        .interrupt = arch_virtio_interrupt(vm->virtio_slot_count),
    };
    return slot;
}

void virtio_slot_raise_interrupt(void *context)
{
    struct virtio_slot *slot = context;
    arch_platform_raise_irq(slot->vm, slot->interrupt);
}

static const char *window_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    struct virtio_slot *slot = context;
    uint32_t value32 = 0;
    const char *refused = virtio_mmio_read(slot->transport, offset, size, &value32);
    *value = value32;
    return refused;
}

static const char *window_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    struct virtio_slot *slot = context;
    const char *refused = virtio_mmio_write(slot->transport, offset, size, (uint32_t)value);
    if (!refused && slot->transport->needs_reset_reason) {
        vm_end(slot->vm, VMM_STATUS_GUEST_FAULT, "%s: the guest's driver broke the device: %s", slot->name,
               slot->transport->needs_reset_reason);
    }
    return refused;
}

enum error virtio_slot_attach(struct vm *vm, struct virtio_slot *slot, const char *name,
                              struct virtio_mmio_device *transport)
{
    if (slot != &vm->virtio_slots[vm->virtio_slot_count]) {
        return ERROR_INVALID_ARGUMENT;
    }
    slot->name = name;
    slot->transport = transport;
    const struct device window = {
        .name = name,
        .space = DEVICE_SPACE_MMIO,
        .base = slot->window,
        .size = VIRTIO_MMIO_WINDOW_SIZE,
        .access_sizes = 1 | 2 | 4,
        .read = window_read,
        .write = window_write,
        .context = slot,
    };
    enum error error = device_registry_add(&vm->devices, &window);
    if (error == ERROR_NONE) {
        vm->virtio_slot_count++;
    }
    return error;
}
