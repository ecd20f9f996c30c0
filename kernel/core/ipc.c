#include <kapsel/console_object.h>
#include <kapsel/device_memory.h>
#include <kapsel/dma_memory.h>
#include <kapsel/factory.h>
#include <kapsel/icu.h>
#include <kapsel/io_ports.h>
#include <kapsel/ipc.h>
#include <kapsel/ipc_gate.h>
#include <kapsel/irq.h>
#include <kapsel/memory.h>
#include <kapsel/memory_mapping.h>
#include <kapsel/memory_object.h>
#include <kapsel/scheduler.h>
#include <kapsel/task.h>
#include <kapsel/vm.h>
#include <string.h>

#define IPC_FLAGS (IPC_SEND | IPC_RECEIVE | IPC_OPEN_WAIT | IPC_REPLY)

static enum error check_tag(uint64_t tag)
{
    unsigned items = MESSAGE_TAG_ITEMS(tag);
    if (items > MESSAGE_MAX_ITEMS || MESSAGE_TAG_WORDS(tag) + 2 * items > MESSAGE_REGISTERS) {
        return ERROR_MESSAGE_TOO_LONG;
    }
    return ERROR_NONE;
}

/* Where an item of 2^order units may land: offset (aligned, inside the window) -> first unit. */
static enum error place_in_window(uint64_t window, unsigned type, unsigned order, uint64_t offset, uint64_t unit,
                                  uint64_t *destination)
{
    if (ITEM_TYPE(window) != type) {
        return ERROR_OUT_OF_RANGE; /* the receiver accepts no such items */
    }
    unsigned window_order = ITEM_ORDER(window);
    if (order > window_order || window_order > 47) {
        return ERROR_OUT_OF_RANGE;
    }
    uint64_t item_size = unit << order;
    uint64_t window_size = unit << window_order;
    if (offset % item_size != 0 || offset >= window_size || item_size > window_size - offset) {
        return ERROR_OUT_OF_RANGE;
    }
    uint64_t base = type == ITEM_TYPE_MEMORY ? ITEM_BASE(window) << PAGE_SHIFT_BITS : ITEM_BASE(window);
    *destination = base + offset; /* bytes for memory, slots for capabilities */
    return ERROR_NONE;
}

static enum error apply_item(struct thread *sender, struct thread *receiver, uint64_t word, uint64_t offset, bool apply)
{
    unsigned type = ITEM_TYPE(word);
    bool grant = ITEM_FLAGS(word) & ITEM_GRANT;
    uint64_t destination;
    enum error error;
    if (type == ITEM_TYPE_MEMORY) {
        if (receiver->in_fault) {
            destination = offset; /* a fault reply maps at the absolute address the pager names */
            error = ERROR_NONE;
        } else {
            error = place_in_window(receiver->utcb->memory_window, type, ITEM_ORDER(word), offset, FRAME_SIZE,
                                    &destination);
        }
        if (error != ERROR_NONE || !apply) {
            return error;
        }
        return memory_map(&sender->task->space, ITEM_BASE(word) << PAGE_SHIFT_BITS, ITEM_ORDER(word), ITEM_RIGHTS(word),
                          grant, &receiver->task->space, destination);
    }
    if (type == ITEM_TYPE_CAPABILITY && !receiver->in_fault) {
        error = place_in_window(receiver->utcb->capability_window, type, ITEM_ORDER(word), offset, 1, &destination);
        if (error != ERROR_NONE || !apply) {
            return error;
        }
        return capability_map(sender->task, ITEM_BASE(word), ITEM_ORDER(word), ITEM_RIGHTS(word), grant, receiver->task,
                              destination);
    }
    return ERROR_INVALID_ARGUMENT;
}

/*
 * Moves a message from sender to receiver: words into the receiver's UTCB,
 * items into its task. All items are checked against the receive windows
 * before any is applied. A reply to a fault only applies its items.
 */
static enum error transfer(struct thread *sender, struct thread *receiver, uint64_t tag, uint64_t label)
{
    enum error error = check_tag(tag);
    if (error != ERROR_NONE) {
        return error;
    }
    const uint64_t *source = sender->in_fault ? sender->fault_message : sender->utcb->message;
    unsigned words = MESSAGE_TAG_WORDS(tag);
    unsigned items = MESSAGE_TAG_ITEMS(tag);
    for (unsigned i = 0; i < items; i++) {
        error = apply_item(sender, receiver, source[words + 2 * i], source[words + 2 * i + 1], false);
        if (error != ERROR_NONE) {
            return error;
        }
    }
    if (receiver->in_fault) {
        receiver->fault_reply_label = MESSAGE_TAG_LABEL(tag);
    } else {
        memcpy(receiver->utcb->message, source, (words + 2 * items) * sizeof(uint64_t));
        receiver->received_tag = tag;
        receiver->received_label = label;
    }
    for (unsigned i = 0; i < items; i++) {
        error = apply_item(sender, receiver, source[words + 2 * i], source[words + 2 * i + 1], true);
        if (error != ERROR_NONE) {
            return error;
        }
    }
    return ERROR_NONE;
}

static bool accepts(const struct thread *receiver, const struct object *via)
{
    return receiver->state == THREAD_RECEIVING && !receiver->reply_from &&
           (!receiver->receive_from || receiver->receive_from == via);
}

/* Makes caller wait for receiver's reply (the call's message has been taken). */
static void expect_reply(struct thread *caller, struct thread *receiver)
{
    if (receiver->caller && receiver->caller != caller) {
        /* One reply slot per thread: an unanswered earlier caller loses its answer. */
        struct thread *abandoned = receiver->caller;
        abandoned->reply_from = NULL;
        scheduler_wake(abandoned, ERROR_CANCELED);
    }
    receiver->caller = caller;
    caller->reply_from = receiver;
}

static struct ipc_result result_of(struct thread *thread)
{
    return (struct ipc_result){thread->ipc_result, thread->received_tag, thread->received_label};
}

static struct ipc_result send_message(struct thread *sender, struct thread *receiver, struct object *via,
                                      uint64_t label, uint64_t tag, bool is_call, uint64_t timeouts)
{
    if (!receiver || receiver->state == THREAD_DEAD || !receiver->task) {
        return (struct ipc_result){ERROR_PEER_GONE, 0, 0};
    }
    sender->reply_timeout = TIMEOUT_RECEIVE(timeouts);
    sender->received_tag = 0;
    sender->received_label = 0;
    if (accepts(receiver, via)) {
        enum error error = transfer(sender, receiver, tag, label);
        if (error != ERROR_NONE) {
            return (struct ipc_result){error, 0, 0};
        }
        if (!is_call) {
            scheduler_wake(receiver, ERROR_NONE);
            return (struct ipc_result){ERROR_NONE, 0, 0};
        }
        expect_reply(sender, receiver);
        receiver->ipc_result = ERROR_NONE;
        scheduler_hand_over(receiver, THREAD_RECEIVING, scheduler_deadline(sender->reply_timeout));
        return result_of(sender);
    }
    if (TIMEOUT_SEND(timeouts) == TIMEOUT_POLL) {
        return (struct ipc_result){ERROR_TIMEOUT, 0, 0};
    }
    sender->send_target = receiver;
    sender->send_via = via;
    sender->send_label = label;
    sender->send_tag = tag;
    sender->send_is_call = is_call;
    list_add_tail(&receiver->senders, &sender->sender_link);
    scheduler_block_current(THREAD_SENDING, scheduler_deadline(TIMEOUT_SEND(timeouts)));
    return result_of(sender);
}

/* Takes the first queued sender (through via, or any) whose message transfers; true if one did. */
static bool take_queued_sender(struct thread *self, struct object *via)
{
    struct list_node *node, *next;
    list_for_each_safe(node, next, &self->senders)
    {
        struct thread *sender = container_of(node, struct thread, sender_link);
        if (via && sender->send_via != via) {
            continue;
        }
        list_remove(node);
        sender->send_target = NULL;
        enum error error = transfer(sender, self, sender->send_tag, sender->send_label);
        if (error != ERROR_NONE) {
            scheduler_wake(sender, error);
            continue;
        }
        if (sender->send_is_call) {
            expect_reply(sender, self);
            sender->state = THREAD_RECEIVING;
            scheduler_set_deadline(sender, scheduler_deadline(sender->reply_timeout));
        } else {
            scheduler_wake(sender, ERROR_NONE);
        }
        return true;
    }
    return false;
}

static bool take_pending_irq(struct thread *self, struct object *via)
{
    struct list_node *node, *next;
    list_for_each_safe(node, next, &self->pending_irqs)
    {
        struct irq *irq = container_of(node, struct irq, pending_link);
        if (via && &irq->object != via) {
            continue;
        }
        list_remove(node);
        irq->pending = false;
        irq->in_service = true;
        self->received_tag = MESSAGE_TAG(0, 0, 0);
        self->received_label = irq->label;
        return true;
    }
    return false;
}

/* Waits for a message; answered (or NULL) is a caller just replied to, which runs next if we must wait. */
static struct ipc_result receive(struct thread *self, struct object *via, uint32_t timeout_ms, struct thread *answered)
{
    bool taken = take_pending_irq(self, via) || take_queued_sender(self, via);
    if (taken || timeout_ms == TIMEOUT_POLL) {
        if (answered) {
            scheduler_make_ready(answered);
        }
        if (!taken) {
            return (struct ipc_result){ERROR_TIMEOUT, 0, 0};
        }
        self->ipc_result = ERROR_NONE;
        return result_of(self);
    }
    self->receive_from = via;
    self->ipc_result = ERROR_NONE;
    if (answered) {
        scheduler_hand_over(answered, THREAD_RECEIVING, scheduler_deadline(timeout_ms));
    } else {
        scheduler_block_current(THREAD_RECEIVING, scheduler_deadline(timeout_ms));
    }
    self->receive_from = NULL;
    return result_of(self);
}

/* Answers the caller; it is not made runnable here (*answered), so that a following wait can hand over to it. */
static enum error reply(struct thread *self, uint64_t tag, struct thread **answered)
{
    struct thread *caller = self->caller;
    if (!caller) {
        return ERROR_NO_CALLER;
    }
    self->caller = NULL;
    caller->reply_from = NULL;
    enum error error = transfer(self, caller, tag, 0);
    caller->ipc_result = error;
    *answered = caller;
    return error;
}

bool ipc_deliver_irq(struct thread *receiver, struct object *irq, uint64_t label)
{
    if (!accepts(receiver, irq)) {
        return false;
    }
    receiver->received_tag = MESSAGE_TAG(0, 0, 0);
    receiver->received_label = label;
    scheduler_wake(receiver, ERROR_NONE);
    return true;
}

void ipc_cancel(struct thread *thread, enum error result)
{
    if (thread->state == THREAD_SENDING && thread->send_target) {
        list_remove(&thread->sender_link);
        thread->send_target = NULL;
        scheduler_wake(thread, result);
    } else if (thread->state == THREAD_RECEIVING) {
        if (thread->reply_from) {
            if (thread->reply_from->caller == thread) {
                thread->reply_from->caller = NULL;
            }
            thread->reply_from = NULL;
        }
        scheduler_wake(thread, result);
    }
}

/* A dying thread lets down everyone who waits on it: queued senders and the caller it owes a reply. */
static void abandon_partners(struct thread *thread)
{
    struct list_node *node, *next;
    list_for_each_safe(node, next, &thread->senders)
    {
        struct thread *sender = container_of(node, struct thread, sender_link);
        list_remove(node);
        sender->send_target = NULL;
        scheduler_wake(sender, ERROR_PEER_GONE);
    }
    if (thread->caller) {
        struct thread *caller = thread->caller;
        thread->caller = NULL;
        caller->reply_from = NULL;
        scheduler_wake(caller, ERROR_PEER_GONE);
    }
}

void ipc_thread_dies(struct thread *thread)
{
    ipc_cancel(thread, ERROR_CANCELED);
    abandon_partners(thread);
}

void ipc_gate_teardown(struct ipc_gate *gate)
{
    struct thread *receiver = gate->receiver;
    if (!receiver) {
        return;
    }
    list_remove(&gate->receiver_link);
    struct list_node *node, *next;
    list_for_each_safe(node, next, &receiver->senders)
    {
        struct thread *sender = container_of(node, struct thread, sender_link);
        if (sender->send_via == &gate->object) {
            list_remove(node);
            sender->send_target = NULL;
            scheduler_wake(sender, ERROR_PEER_GONE);
        }
    }
    if (receiver->state == THREAD_RECEIVING && receiver->receive_from == &gate->object) {
        scheduler_wake(receiver, ERROR_PEER_GONE);
    }
}

static enum error invoke_object(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words)
{
    switch (capability->object->type) {
    case OBJECT_TASK:
        return task_invoke(capability, tag, message, reply_words);
    case OBJECT_THREAD:
        return thread_invoke(capability, tag, message, reply_words);
    case OBJECT_FACTORY:
        return factory_invoke(capability, tag, message, reply_words);
    case OBJECT_SCHEDULER:
        return scheduler_invoke(capability, tag, message, reply_words);
    case OBJECT_IRQ:
        return irq_invoke(capability, tag, message, reply_words);
    case OBJECT_MEMORY:
        return memory_object_invoke(capability, tag, message, reply_words);
    case OBJECT_CONSOLE:
        return console_object_invoke(capability, tag, message, reply_words);
    case OBJECT_VM:
        return vm_invoke(capability, tag, message, reply_words);
    case OBJECT_ICU:
        return icu_invoke(capability, tag, message, reply_words);
    case OBJECT_IO_PORTS:
        return io_ports_invoke(capability, tag, message, reply_words);
    case OBJECT_DEVICE_MEMORY:
        return device_memory_invoke(capability, tag, message, reply_words);
    case OBJECT_DMA_MEMORY:
        return dma_memory_invoke(capability, tag, message, reply_words);
    default:
        return ERROR_INVALID_OPERATION;
    }
}

static struct ipc_result send_phase(struct thread *self, uint64_t index, unsigned flags, uint64_t tag,
                                    uint64_t timeouts)
{
    struct capability *capability = capability_slot(self->task, index);
    if (!capability || !capability->object) {
        return (struct ipc_result){ERROR_INVALID_CAPABILITY, 0, 0};
    }
    enum error error = check_tag(tag);
    if (error != ERROR_NONE) {
        return (struct ipc_result){error, 0, 0};
    }
    if (capability->object->type == OBJECT_IPC_GATE) {
        if (!(capability->rights & RIGHT_WRITE)) {
            return (struct ipc_result){ERROR_MISSING_RIGHTS, 0, 0};
        }
        struct ipc_gate *gate = (struct ipc_gate *)capability->object;
        return send_message(self, gate->receiver, &gate->object, gate->label, tag, flags & IPC_RECEIVE, timeouts);
    }
    /* Kernel objects answer at once, in the caller's own message registers. */
    unsigned reply_words = 0;
    error = invoke_object(capability, tag, self->utcb->message, &reply_words);
    return (struct ipc_result){error, MESSAGE_TAG(0, reply_words, 0), 0};
}

struct ipc_result ipc_invoke(uint64_t selector, uint64_t tag, uint64_t timeouts)
{
    struct thread *self = thread_current();
    unsigned flags = SELECTOR_FLAGS(selector);
    uint64_t index = SELECTOR_CAPABILITY(selector);
    if ((flags & ~IPC_FLAGS) || flags == 0 || ((flags & IPC_OPEN_WAIT) && !(flags & IPC_RECEIVE))) {
        return (struct ipc_result){ERROR_INVALID_ARGUMENT, 0, 0};
    }
    if (flags & IPC_SEND) {
        return send_phase(self, index, flags, tag, timeouts);
    }
    /* Every argument is checked before the reply is sent: a bad receive half must not lose the reply. */
    struct object *via = NULL;
    if ((flags & IPC_RECEIVE) && !(flags & IPC_OPEN_WAIT)) {
        struct capability *capability = capability_slot(self->task, index);
        if (!capability || !capability->object) {
            return (struct ipc_result){ERROR_INVALID_CAPABILITY, 0, 0};
        }
        via = capability->object;
        bool bound_here = (via->type == OBJECT_IPC_GATE && ((struct ipc_gate *)via)->receiver == self) ||
                          (via->type == OBJECT_IRQ && ((struct irq *)via)->receiver == self);
        if (!bound_here) {
            return (struct ipc_result){via->type == OBJECT_IPC_GATE || via->type == OBJECT_IRQ
                                           ? ERROR_INVALID_ARGUMENT
                                           : ERROR_WRONG_OBJECT_TYPE,
                                       0, 0};
        }
    }
    struct thread *answered = NULL;
    if (flags & IPC_REPLY) {
        enum error error = reply(self, tag, &answered);
        if (error != ERROR_NONE || !(flags & IPC_RECEIVE)) {
            if (answered) {
                scheduler_make_ready(answered);
            }
            return (struct ipc_result){error, 0, 0};
        }
    }
    return receive(self, via, TIMEOUT_RECEIVE(timeouts), answered);
}

enum error ipc_send_fault(struct thread *thread, uint64_t handler_slot, uint64_t label, unsigned words)
{
    struct capability *capability;
    enum error error = capability_lookup(thread->task, handler_slot, OBJECT_IPC_GATE, RIGHT_WRITE, &capability);
    if (error != ERROR_NONE) {
        return error;
    }
    struct ipc_gate *gate = (struct ipc_gate *)capability->object;
    thread->in_fault = true;
    thread->fault_reply_label = 0;
    struct ipc_result result = send_message(thread, gate->receiver, &gate->object, gate->label,
                                            MESSAGE_TAG(label, words, 0), true, TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER));
    thread->in_fault = false;
    return result.error;
}
