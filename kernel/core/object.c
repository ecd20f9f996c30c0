#include <kapsel/factory.h>
#include <kapsel/ipc_gate.h>
#include <kapsel/irq.h>
#include <kapsel/kmem.h>
#include <kapsel/object.h>
#include <kapsel/panic.h>
#include <kapsel/task.h>
#include <kapsel/thread.h>
#include <kapsel/vm.h>

enum error object_allocate(struct factory *factory, enum object_type type, size_t size, struct object **object)
{
    size_t charge = kmem_charge_size(size);
    if (factory) {
        enum error error = factory_charge(factory, charge);
        if (error != ERROR_NONE) {
            return error;
        }
    }
    struct object *allocated = kmem_alloc(size);
    if (!allocated) {
        if (factory) {
            factory_refund(factory, charge);
        }
        return ERROR_OUT_OF_MEMORY;
    }
    static uint32_t next_id = 1;
    allocated->type = type;
    allocated->id = next_id++;
    allocated->charged_to = factory;
    allocated->charged_bytes = charge;
    *object = allocated;
    return ERROR_NONE;
}

static size_t object_size(enum object_type type)
{
    switch (type) {
    case OBJECT_TASK:
        return sizeof(struct task);
    case OBJECT_THREAD:
        return sizeof(struct thread);
    case OBJECT_IPC_GATE:
        return sizeof(struct ipc_gate);
    case OBJECT_IRQ:
        return sizeof(struct irq);
    case OBJECT_FACTORY:
        return sizeof(struct factory);
    default:
        return 0;
    }
}

void object_destroy(struct object *object)
{
    if (object->permanent || object->dying) {
        return;
    }
    object->dying = true;
    capability_revoke_all(object);
    struct factory *charged_to = object->charged_to;
    size_t charged_bytes = object->charged_bytes;
    enum object_type type = object->type; /* a thread's teardown may already free its memory */
    switch (type) {
    case OBJECT_TASK:
        task_teardown((struct task *)object);
        break;
    case OBJECT_THREAD:
        thread_teardown((struct thread *)object);
        break;
    case OBJECT_IPC_GATE:
        ipc_gate_teardown((struct ipc_gate *)object);
        break;
    case OBJECT_IRQ:
        irq_teardown((struct irq *)object);
        break;
    case OBJECT_VM:
        /* Frees itself, possibly later: a preempted VM_RUN may still be inside it. */
        vm_teardown((struct vm *)object);
        return;
    case OBJECT_FACTORY:
        /* A factory's memory outlives it while objects it paid for still exist. */
        factory_teardown((struct factory *)object);
        return;
    default:
        panic("destroying an object of type %d", type);
    }
    if (type != OBJECT_THREAD) {
        /* Threads free themselves once no CPU runs on their stack (scheduler_bury). */
        kmem_free(object, object_size(type));
    }
    if (charged_to) {
        factory_refund(charged_to, charged_bytes);
    }
}
