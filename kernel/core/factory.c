#include <kapsel/factory.h>
#include <kapsel/ipc_gate.h>
#include <kapsel/irq.h>
#include <kapsel/kmem.h>
#include <kapsel/task.h>
#include <kapsel/thread.h>
#include <kapsel/vm.h>

enum error factory_charge(struct factory *factory, uint64_t bytes)
{
    if (bytes > factory->quota - factory->used) {
        return ERROR_QUOTA_EXCEEDED;
    }
    factory->used += bytes;
    return ERROR_NONE;
}

static void free_if_finished(struct factory *factory)
{
    if (factory->object.dying && factory->used == 0) {
        struct factory *parent = factory->parent;
        uint64_t returned = factory->quota + factory->object.charged_bytes;
        kmem_free(factory, sizeof(*factory));
        if (parent) {
            factory_refund(parent, returned);
        }
    }
}

void factory_refund(struct factory *factory, uint64_t bytes)
{
    factory->used -= bytes;
    free_if_finished(factory);
}

void factory_teardown(struct factory *factory)
{
    free_if_finished(factory);
}

struct factory *factory_create_root(uint64_t quota)
{
    struct object *object;
    if (object_allocate(NULL, OBJECT_FACTORY, sizeof(struct factory), &object) != ERROR_NONE) {
        return NULL;
    }
    struct factory *factory = (struct factory *)object;
    factory->quota = quota;
    return factory;
}

static enum error create_factory(struct factory *parent, uint64_t quota, struct object **object)
{
    enum error error = factory_charge(parent, quota);
    if (error != ERROR_NONE) {
        return error;
    }
    error = object_allocate(parent, OBJECT_FACTORY, sizeof(struct factory), object);
    if (error != ERROR_NONE) {
        factory_refund(parent, quota);
        return error;
    }
    struct factory *child = (struct factory *)*object;
    child->quota = quota;
    child->parent = parent;
    /* The child's own memory is accounted in its quota's reservation, not twice. */
    child->object.charged_to = NULL;
    return ERROR_NONE;
}

static enum error create_gate(struct factory *factory, struct task *caller, uint64_t thread_slot, uint64_t label,
                              struct object **object)
{
    struct capability *thread_capability;
    enum error error = capability_lookup(caller, thread_slot, OBJECT_THREAD, RIGHT_WRITE, &thread_capability);
    if (error != ERROR_NONE) {
        return error;
    }
    error = object_allocate(factory, OBJECT_IPC_GATE, sizeof(struct ipc_gate), object);
    if (error != ERROR_NONE) {
        return error;
    }
    struct ipc_gate *gate = (struct ipc_gate *)*object;
    struct thread *receiver = (struct thread *)thread_capability->object;
    gate->receiver = receiver;
    gate->label = label;
    list_add_tail(&receiver->bound_gates, &gate->receiver_link);
    return ERROR_NONE;
}

static enum error create_object(struct factory *factory, struct task *caller, const uint64_t *message, unsigned words,
                                struct object **object)
{
    switch (message[0]) {
    case OBJECT_TASK: {
        if (words < 3) {
            return ERROR_INVALID_ARGUMENT;
        }
        struct task *task = NULL;
        enum error error = task_create(factory, message[2], &task);
        if (error == ERROR_NONE) {
            *object = &task->object;
        }
        return error;
    }
    case OBJECT_THREAD: {
        struct thread *thread = NULL;
        enum error error = thread_create(factory, &thread);
        if (error == ERROR_NONE) {
            *object = &thread->object;
        }
        return error;
    }
    case OBJECT_IPC_GATE:
        if (words < 4) {
            return ERROR_INVALID_ARGUMENT;
        }
        return create_gate(factory, caller, message[2], message[3], object);
    case OBJECT_IRQ: {
        enum error error = object_allocate(factory, OBJECT_IRQ, sizeof(struct irq), object);
        if (error == ERROR_NONE) {
            struct irq *irq = (struct irq *)*object;
            list_init(&irq->receiver_link);
            list_init(&irq->pending_link);
        }
        return error;
    }
    case OBJECT_FACTORY:
        if (words < 3) {
            return ERROR_INVALID_ARGUMENT;
        }
        return create_factory(factory, message[2], object);
    case OBJECT_VM: {
        if (words < 3) {
            return ERROR_INVALID_ARGUMENT;
        }
        struct vm *vm = NULL;
        enum error error = vm_create(factory, message[2], &vm);
        if (error == ERROR_NONE) {
            *object = &vm->object;
        }
        return error;
    }
    default:
        return ERROR_INVALID_ARGUMENT;
    }
}

enum error factory_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words)
{
    struct factory *factory = (struct factory *)capability->object;
    unsigned words = MESSAGE_TAG_WORDS(tag);
    switch (MESSAGE_TAG_LABEL(tag)) {
    case FACTORY_CREATE: {
        if (!(capability->rights & RIGHT_WRITE)) {
            return ERROR_MISSING_RIGHTS;
        }
        if (words < 2) {
            return ERROR_INVALID_ARGUMENT;
        }
        struct task *caller = capability->owner;
        struct capability *destination = capability_slot(caller, message[1]);
        if (!destination) {
            return ERROR_INVALID_CAPABILITY;
        }
        if (destination->object) {
            return ERROR_SLOT_OCCUPIED;
        }
        struct object *object = NULL;
        enum error error = create_object(factory, caller, message, words, &object);
        if (error != ERROR_NONE) {
            return error;
        }
        capability_install(destination, object, RIGHTS_ALL);
        return ERROR_NONE;
    }
    case FACTORY_INFO:
        if (!(capability->rights & RIGHT_READ)) {
            return ERROR_MISSING_RIGHTS;
        }
        message[0] = factory->quota;
        message[1] = factory->used;
        *reply_words = 2;
        return ERROR_NONE;
    default:
        return ERROR_INVALID_OPERATION;
    }
}
