/* Threads: the unit of execution, with registers, a UTCB, scheduling parameters and IPC state. */
#ifndef KAPSEL_THREAD_H
#define KAPSEL_THREAD_H

#include <arch/thread_context.h>
#include <kapsel/list.h>
#include <kapsel/object.h>
#include <stdbool.h>
#include <stdint.h>

struct task;
struct ipc_gate;
struct vm;

#define THREAD_KERNEL_STACK_SIZE 16384
#define FAULT_MESSAGE_WORDS 5

struct thread {
    struct object object;
    struct task *task; /* NULL until THREAD_CONFIGURE */
    struct list_node task_link;
    enum thread_state state;
    struct thread_context context; /* arch: saved kernel stack pointer, FPU state */
    void *kernel_stack;
    struct utcb *utcb;       /* kernel view (physmap) of the UTCB page */
    uint64_t utcb_address;   /* where the thread sees it */
    uint64_t pager_slot;     /* in the task's table; 0: none */
    uint64_t exception_slot; /* in the task's table; 0: none */

    /* scheduling */
    uint8_t priority;
    uint32_t time_slice; /* ticks per turn */
    uint32_t ticks_left;
    uint64_t ticks_run;
    bool started;
    struct list_node run_link;

    /* IPC */
    struct list_node senders;     /* threads blocked sending to this one */
    struct list_node sender_link; /* in the receiver's senders while SENDING */
    struct thread *send_target;   /* receiver while SENDING */
    struct object *send_via;      /* gate or thread capability object used to send */
    uint64_t send_label;
    uint64_t send_tag;
    bool send_is_call;
    struct object *receive_from; /* closed receive: only through this gate; NULL: open wait */
    struct thread *caller;       /* a caller waiting for this thread's reply */
    struct thread *reply_from;   /* while waiting for a reply: who owes it */
    uint32_t reply_timeout;      /* ms to wait for the reply once a call's message is taken */
    enum error ipc_result;
    uint64_t received_tag;
    uint64_t received_label;
    uint64_t deadline; /* tick at which the current wait times out; 0: never */
    struct list_node timeout_link;
    struct list_node bound_gates; /* gates whose receiver is this thread */
    struct list_node bound_irqs;
    struct list_node pending_irqs;

    /* the one vCPU this thread owns (a VMM thread), or NULL */
    struct vm *vcpu_vm;
    unsigned vcpu_index;

    /* page faults and exceptions, sent by the kernel on the thread's behalf */
    bool in_fault;
    uint64_t fault_message[FAULT_MESSAGE_WORDS];
    uint64_t fault_reply_label;
};

/* The thread running on this CPU (the idle thread when nothing else is ready). */
struct thread *thread_current(void);

enum error thread_create(struct factory *factory, struct thread **thread);

enum error thread_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words);

/* Stops the thread for good: leaves IPC, scheduling and its task; a reason (a fault) is printed. */
void thread_kill(struct thread *thread, const char *reason);

/* Called by object_destroy. */
void thread_teardown(struct thread *thread);

/* Binds a thread to a task with its UTCB at utcb_address; handler slots name gates in that task (0: none). */
enum error thread_bind(struct thread *thread, struct task *task, uint64_t utcb_address, uint64_t pager_slot,
                       uint64_t exception_slot);

/* Sets the user registers a thread resumes with; rejects non-canonical or kernel addresses. */
enum error thread_set_user_registers(struct thread *thread, uint64_t rip, uint64_t rsp);

#endif
