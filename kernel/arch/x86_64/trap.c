#include <arch/cpu.h>
#include <arch/io_apic.h>
#include <arch/lapic.h>
#include <arch/memory_layout.h>
#include <arch/trap.h>
#include <kapsel/interrupt_lines.h>
#include <kapsel/ipc.h>
#include <kapsel/msi.h>
#include <kapsel/panic.h>
#include <kapsel/print.h>
#include <kapsel/scheduler.h>
#include <kapsel/thread.h>
#include <kapsel/timer.h>

static const char *const exception_names[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor segment overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved (15)",
    "#MF x87 floating point",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD floating point",
    "#VE virtualization",
    "#CP control protection",
    "reserved (22)",
    "reserved (23)",
    "reserved (24)",
    "reserved (25)",
    "reserved (26)",
    "reserved (27)",
    "#HV hypervisor injection",
    "#VC VMM communication",
    "#SX security",
    "reserved (31)",
};

static struct {
    bool armed;
    uint8_t vector;
    uint8_t skip_bytes;
    struct trap_record record;
} expectation;

void trap_expect(uint8_t vector, uint8_t skip_bytes)
{
    expectation.armed = true;
    expectation.vector = vector;
    expectation.skip_bytes = skip_bytes;
    expectation.record = (struct trap_record){0};
}

struct trap_record trap_expectation_result(void)
{
    struct trap_record record = expectation.record;
    expectation.armed = false;
    expectation.record = (struct trap_record){0};
    return record;
}

static void describe_page_fault(uint64_t error_code)
{
    kprintf("  page fault: %s %s in %s mode%s%s\n", error_code & 1 ? "protection violation on" : "not-present page,",
            error_code & 16 ? "instruction fetch" : (error_code & 2 ? "write" : "read"),
            error_code & 4 ? "user" : "kernel", error_code & 8 ? ", reserved bit set" : "",
            error_code & 32 ? ", protection key" : "");
}

static void dump_registers(const struct trap_frame *frame)
{
    kprintf("  RIP %016llx  CS %04llx  RFLAGS %016llx\n", (unsigned long long)frame->rip, (unsigned long long)frame->cs,
            (unsigned long long)frame->rflags);
    kprintf("  RSP %016llx  SS %04llx  error code %#llx\n", (unsigned long long)frame->rsp,
            (unsigned long long)frame->ss, (unsigned long long)frame->error_code);
    kprintf("  RAX %016llx  RBX %016llx  RCX %016llx\n", (unsigned long long)frame->rax, (unsigned long long)frame->rbx,
            (unsigned long long)frame->rcx);
    kprintf("  RDX %016llx  RSI %016llx  RDI %016llx\n", (unsigned long long)frame->rdx, (unsigned long long)frame->rsi,
            (unsigned long long)frame->rdi);
    kprintf("  RBP %016llx  R8  %016llx  R9  %016llx\n", (unsigned long long)frame->rbp, (unsigned long long)frame->r8,
            (unsigned long long)frame->r9);
    kprintf("  R10 %016llx  R11 %016llx  R12 %016llx\n", (unsigned long long)frame->r10, (unsigned long long)frame->r11,
            (unsigned long long)frame->r12);
    kprintf("  R13 %016llx  R14 %016llx  R15 %016llx\n", (unsigned long long)frame->r13, (unsigned long long)frame->r14,
            (unsigned long long)frame->r15);
    kprintf("  CR0 %016llx  CR2 %016llx  CR3 %016llx  CR4 %016llx\n", (unsigned long long)read_cr0(),
            (unsigned long long)read_cr2(), (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
}

/*
 * A user thread faulted: page faults go to its pager, everything else (and
 * faults the pager could not resolve) to its exception handler, as IPC the
 * kernel sends on the thread's behalf. Without a handler that resolves it,
 * the thread is stopped; nothing else is affected.
 */
static void user_exception(struct trap_frame *frame)
{
    struct thread *self = thread_current();
    uint64_t address = frame->vector == VECTOR_PAGE_FAULT ? read_cr2() : 0;
    if (frame->vector == VECTOR_PAGE_FAULT && address < USER_ADDRESS_LIMIT && self->pager_slot) {
        self->fault_message[0] = address;
        self->fault_message[1] = frame->error_code & (PAGE_FAULT_WRITE | PAGE_FAULT_EXECUTE);
        self->fault_message[2] = frame->rip;
        if (ipc_send_fault(self, self->pager_slot, LABEL_PAGE_FAULT, 3) == ERROR_NONE) {
            return; /* retried on return; a pager that did not map gets the fault again */
        }
    }
    self->fault_message[0] = frame->vector;
    self->fault_message[1] = frame->error_code;
    self->fault_message[2] = frame->rip;
    self->fault_message[3] = frame->rsp;
    self->fault_message[4] = address;
    if (self->exception_slot &&
        ipc_send_fault(self, self->exception_slot, LABEL_EXCEPTION, FAULT_MESSAGE_WORDS) == ERROR_NONE &&
        self->fault_reply_label == EXCEPTION_RESUME) {
        return;
    }
    char reason[128];
    format_string_to(reason, sizeof(reason), "unhandled %s at rip %#llx, address %#llx", exception_names[frame->vector],
                     (unsigned long long)frame->rip, (unsigned long long)address);
    thread_kill(self, reason);
}

static void handle_exception(struct trap_frame *frame)
{
    if (expectation.armed && expectation.vector == frame->vector && !expectation.record.seen) {
        expectation.record = (struct trap_record){
            .seen = true,
            .error_code = frame->error_code,
            .fault_address = frame->vector == VECTOR_PAGE_FAULT ? read_cr2() : 0,
        };
        frame->rip += expectation.skip_bytes;
        return;
    }
    kprintf("\nCPU exception %llu (%s) in %s mode\n", (unsigned long long)frame->vector, exception_names[frame->vector],
            frame->cs & 3 ? "user" : "kernel");
    if (frame->vector == VECTOR_PAGE_FAULT) {
        kprintf("  faulting address (CR2) %#llx\n", (unsigned long long)read_cr2());
        describe_page_fault(frame->error_code);
    }
    dump_registers(frame);
    panic("unhandled CPU exception %llu (%s)", (unsigned long long)frame->vector, exception_names[frame->vector]);
}

/* Leaving the kernel towards user mode: a dead thread never returns, a preempted one waits its turn. */
static void before_user_return(void)
{
    if (thread_current()->state == THREAD_DEAD) {
        schedule();
        panic("a dead thread was scheduled");
    }
    if (scheduler_preemption_pending()) {
        schedule();
    }
}

void trap_dispatch(struct trap_frame *frame)
{
    bool from_user = frame->cs & 3;
    if (frame->vector < VECTOR_FIRST_IRQ) {
        if (from_user) {
            user_exception(frame);
            before_user_return();
        } else {
            handle_exception(frame);
        }
        return;
    }
    if (frame->vector >= VECTOR_FIRST_LINE && frame->vector < VECTOR_FIRST_LINE + INTERRUPT_LINES) {
        interrupt_line_fired((uint32_t)(frame->vector - VECTOR_FIRST_LINE));
        lapic_end_of_interrupt();
        if (from_user) {
            before_user_return();
        }
        return;
    }
    if (frame->vector >= VECTOR_FIRST_MSI && frame->vector <= VECTOR_LAST_MSI) {
        msi_fired((uint32_t)frame->vector); /* edge-triggered: nothing to mask, the local APIC's EOI is all */
        lapic_end_of_interrupt();
        if (from_user) {
            before_user_return();
        }
        return;
    }
    switch (frame->vector) {
    case VECTOR_TIMER:
        timer_tick();
        scheduler_tick();
        lapic_end_of_interrupt();
        break;
    case VECTOR_SPURIOUS:
        break;
    default:
        kprintf("unexpected interrupt vector %llu ignored\n", (unsigned long long)frame->vector);
        lapic_end_of_interrupt();
        break;
    }
    if (from_user) {
        before_user_return();
    }
}

void syscall_dispatch(struct trap_frame *frame)
{
    struct ipc_result result = ipc_invoke(frame->rdi, frame->rsi, frame->rdx);
    frame->rax = result.error;
    frame->rsi = result.tag;
    frame->rdi = result.label;
    before_user_return();
}
