#include <arch/trap.h>
#include <kapsel/address_space.h>
#include <kapsel/factory.h>
#include <kapsel/ipc.h>
#include <kapsel/ipc_gate.h>
#include <kapsel/irq.h>
#include <kapsel/kmem.h>
#include <kapsel/memory.h>
#include <kapsel/print.h>
#include <kapsel/scheduler.h>
#include <kapsel/task.h>
#include <kapsel/thread.h>
#include <kapsel/vm.h>
#include <string.h>

enum error thread_create(struct factory *factory, struct thread **thread)
{
    size_t extra = kmem_charge_size(THREAD_KERNEL_STACK_SIZE) + FRAME_SIZE; /* kernel stack and UTCB */
    if (factory) {
        enum error error = factory_charge(factory, extra);
        if (error != ERROR_NONE) {
            return error;
        }
    }
    struct object *object;
    enum error error = object_allocate(factory, OBJECT_THREAD, sizeof(struct thread), &object);
    if (error != ERROR_NONE) {
        if (factory) {
            factory_refund(factory, extra);
        }
        return error;
    }
    void *stack = kmem_alloc(THREAD_KERNEL_STACK_SIZE);
    if (!stack) {
        if (factory) {
            factory_refund(factory, object->charged_bytes + extra);
        }
        kmem_free(object, sizeof(struct thread));
        return ERROR_OUT_OF_MEMORY;
    }
    struct thread *created = (struct thread *)object;
    created->object.charged_bytes += factory ? extra : 0;
    created->kernel_stack = stack;
    created->state = THREAD_INACTIVE;
    created->priority = 1;
    created->time_slice = SCHEDULER_DEFAULT_TIME_SLICE;
    list_init(&created->task_link);
    list_init(&created->run_link);
    list_init(&created->senders);
    list_init(&created->sender_link);
    list_init(&created->timeout_link);
    list_init(&created->bound_gates);
    list_init(&created->bound_irqs);
    list_init(&created->pending_irqs);
    thread_context_init(created);
    *thread = created;
    return ERROR_NONE;
}

enum error thread_set_user_registers(struct thread *thread, uint64_t rip, uint64_t rsp)
{
    if (rip >= USER_ADDRESS_LIMIT || rsp > USER_ADDRESS_LIMIT) {
        return ERROR_OUT_OF_RANGE;
    }
    struct trap_frame *frame = thread_user_frame(thread);
    frame->rip = rip;
    frame->rsp = rsp;
    return ERROR_NONE;
}

/* Detaches the thread from its task: it loses its UTCB mapping and leaves the task's list. */
static void unbind_from_task(struct thread *thread)
{
    if (!thread->task) {
        return;
    }
    address_space_unmap(thread->task->space.root, thread->utcb_address);
    list_remove(&thread->task_link);
    thread->task = NULL;
}

void thread_kill(struct thread *thread, const char *reason)
{
    if (thread->state == THREAD_DEAD) {
        return;
    }
    if (reason) {
        kprintf("kernel: thread %u of task %u stopped: %s\n", thread->object.id,
                thread->task ? thread->task->object.id : 0, reason);
    }
    ipc_thread_dies(thread);
    scheduler_remove(thread);
    thread->state = THREAD_DEAD;
    vm_vcpu_owner_gone(thread);
    unbind_from_task(thread);
}

void thread_teardown(struct thread *thread)
{
    thread_kill(thread, NULL);
    struct list_node *node, *next;
    list_for_each_safe(node, next, &thread->bound_gates)
    {
        struct ipc_gate *gate = container_of(node, struct ipc_gate, receiver_link);
        list_remove(node);
        gate->receiver = NULL;
    }
    list_for_each_safe(node, next, &thread->bound_irqs)
    {
        struct irq *irq = container_of(node, struct irq, receiver_link);
        list_remove(node);
        if (list_linked(&irq->pending_link)) {
            list_remove(&irq->pending_link);
        }
        irq->receiver = NULL;
    }
    if (thread->utcb) {
        frame_allocator_free(physical_memory(), virt_to_phys(thread->utcb), 0);
        thread->utcb = NULL;
    }
    scheduler_bury(thread);
}

enum error thread_bind(struct thread *thread, struct task *task, uint64_t utcb_address, uint64_t pager_slot,
                       uint64_t exception_slot)
{
    if (thread->task || thread->state == THREAD_DEAD) {
        return ERROR_BUSY;
    }
    uint64_t phys;
    unsigned rights;
    if (!address_space_valid_user_range(utcb_address, FRAME_SIZE)) {
        return ERROR_OUT_OF_RANGE;
    }
    if (address_space_lookup(task->space.root, utcb_address, &phys, &rights)) {
        return ERROR_SLOT_OCCUPIED;
    }
    if (frame_allocator_alloc(physical_memory(), 0, &phys) != ERROR_NONE) {
        return ERROR_OUT_OF_MEMORY;
    }
    struct utcb *utcb = phys_to_virt(phys);
    memset(utcb, 0, FRAME_SIZE);
    /* The UTCB is the kernel's page: mapped without a mapping record, so it cannot be mapped on or revoked. */
    enum error error =
        address_space_map(task->space.root, task->space.quota, utcb_address, phys, MEMORY_READ | MEMORY_WRITE);
    if (error != ERROR_NONE) {
        frame_allocator_free(physical_memory(), phys, 0);
        return error;
    }
    utcb->self = utcb_address;
    thread->utcb = utcb;
    thread->utcb_address = utcb_address;
    thread->task = task;
    thread->pager_slot = pager_slot;
    thread->exception_slot = exception_slot;
    list_add_tail(&task->threads, &thread->task_link);
    return ERROR_NONE;
}

static enum error configure(struct thread *thread, struct task *caller, const uint64_t *message)
{
    struct capability *task_capability;
    enum error error = capability_lookup(caller, message[0], OBJECT_TASK, RIGHT_WRITE, &task_capability);
    if (error != ERROR_NONE) {
        return error;
    }
    return thread_bind(thread, (struct task *)task_capability->object, message[1], message[2], message[3]);
}

static enum error exchange_registers(struct thread *thread, uint64_t *message, unsigned *reply_words)
{
    struct trap_frame *frame = thread_user_frame(thread);
    uint64_t old_rip = frame->rip;
    uint64_t old_rsp = frame->rsp;
    enum error error = thread_set_user_registers(thread, message[0], message[1]);
    if (error != ERROR_NONE) {
        return error;
    }
    if (message[2] & EX_REGS_CANCEL_IPC) {
        ipc_cancel(thread, ERROR_CANCELED);
    }
    message[0] = old_rip;
    message[1] = old_rsp;
    *reply_words = 2;
    return ERROR_NONE;
}

enum error thread_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words)
{
    struct thread *thread = (struct thread *)capability->object;
    uint64_t operation = MESSAGE_TAG_LABEL(tag);
    static const unsigned minimum_words[] = {
        [THREAD_CONFIGURE] = 4, [THREAD_EX_REGS] = 3, [THREAD_SET_HANDLERS] = 2, [THREAD_INFO] = 0};
    enum error error =
        capability_check_invocation(capability, tag, THREAD_CONFIGURE, THREAD_INFO, THREAD_INFO, minimum_words);
    if (error != ERROR_NONE) {
        return error;
    }
    switch (operation) {
    case THREAD_CONFIGURE:
        return configure(thread, capability->owner, message);
    case THREAD_EX_REGS:
        if (thread->state == THREAD_DEAD) {
            return ERROR_BUSY;
        }
        return exchange_registers(thread, message, reply_words);
    case THREAD_SET_HANDLERS:
        thread->pager_slot = message[0];
        thread->exception_slot = message[1];
        return ERROR_NONE;
    default:
        message[0] = thread->state;
        message[1] = thread->ticks_run;
        message[2] = thread->priority;
        *reply_words = 3;
        return ERROR_NONE;
    }
}

_Static_assert(offsetof(struct utcb, self) == UTCB_SELF_OFFSET, "UTCB layout and UTCB_SELF_OFFSET disagree");
