#include <arch/segments.h>
#include <kapsel/factory.h>
#include <kapsel/io_ports.h>
#include <kapsel/kmem.h>
#include <kapsel/task.h>
#include <kapsel/thread.h>
#include <string.h>

#define PORT_COUNT 65536u

static struct object io_ports = {.type = OBJECT_IO_PORTS, .permanent = true};

struct object *io_ports_object(void)
{
    return &io_ports;
}

void io_ports_release(struct task *task)
{
    if (task->io_bitmap) {
        kmem_free(task->io_bitmap, IO_BITMAP_BYTES);
        factory_refund(task->space.quota, kmem_charge_size(IO_BITMAP_BYTES));
        task->io_bitmap = NULL;
    }
}

static enum error ensure_bitmap(struct task *task)
{
    if (task->io_bitmap) {
        return ERROR_NONE;
    }
    enum error error = factory_charge(task->space.quota, kmem_charge_size(IO_BITMAP_BYTES));
    if (error != ERROR_NONE) {
        return error;
    }
    task->io_bitmap = kmem_alloc(IO_BITMAP_BYTES);
    if (!task->io_bitmap) {
        factory_refund(task->space.quota, kmem_charge_size(IO_BITMAP_BYTES));
        return ERROR_OUT_OF_MEMORY;
    }
    memset(task->io_bitmap, 0xff, IO_BITMAP_BYTES);
    return ERROR_NONE;
}

static void set_ports(struct task *task, uint32_t first, uint32_t count, bool allowed)
{
    for (uint32_t port = first; port < first + count; port++) {
        uint8_t bit = (uint8_t)(1u << (port % 8));
        if (allowed) {
            task->io_bitmap[port / 8] &= (uint8_t)~bit;
        } else {
            task->io_bitmap[port / 8] |= bit;
        }
    }
    struct thread *current = thread_current();
    if (current->task == task) {
        tss_load_io_bitmap(task->io_bitmap, true); /* the running task's ports changed under it */
    }
}

enum error io_ports_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words)
{
    (void)reply_words;
    uint64_t operation = MESSAGE_TAG_LABEL(tag);
    if (operation != IO_PORTS_GRANT && operation != IO_PORTS_REVOKE) {
        return ERROR_INVALID_OPERATION;
    }
    if (!(capability->rights & RIGHT_WRITE)) {
        return ERROR_MISSING_RIGHTS;
    }
    if (MESSAGE_TAG_WORDS(tag) < 3) {
        return ERROR_INVALID_ARGUMENT;
    }
    struct capability *task_capability;
    enum error error = capability_lookup(capability->owner, message[0], OBJECT_TASK, RIGHT_WRITE, &task_capability);
    if (error != ERROR_NONE) {
        return error;
    }
    if (message[1] >= PORT_COUNT || message[2] == 0 || message[2] > PORT_COUNT - message[1]) {
        return ERROR_OUT_OF_RANGE;
    }
    struct task *task = (struct task *)task_capability->object;
    if (operation == IO_PORTS_REVOKE && !task->io_bitmap) {
        return ERROR_NONE;
    }
    error = ensure_bitmap(task);
    if (error == ERROR_NONE) {
        set_ports(task, (uint32_t)message[1], (uint32_t)message[2], operation == IO_PORTS_GRANT);
    }
    return error;
}
