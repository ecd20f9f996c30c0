/* AMD SVM with nested paging: the x86-64 implementation of kapsel/vcpu.h. */
#include <arch/cpu.h>
#include <arch/vmcb.h>
#include <kapsel/factory.h>
#include <kapsel/kmem.h>
#include <kapsel/memory.h>
#include <kapsel/print.h>
#include <kapsel/scheduler.h>
#include <kapsel/timer.h>
#include <kapsel/vcpu.h>
#include <string.h>

#define MSR_VM_CR 0xc0010114
#define MSR_VM_HSAVE_PA 0xc0010117
#define VM_CR_SVM_DISABLED (1u << 4)
#define EFER_SVME (1ull << 12)
#define CPUID_SVM (1u << 2)
#define CPUID_NESTED_PAGING (1u << 0)

/* What a guest may have in EFER, CR0 and CR4 (anything else is refused, not silently cleared). */
#define EFER_ALLOWED 0xfd01ull /* SCE, LME, LMA, NXE, SVME, LMSLE, FFXSR, TCE */
#define CR0_ALLOWED 0xe005003full
#define CR0_NOT_WRITE_THROUGH (1ull << 29)
#define CR0_CACHE_DISABLE (1ull << 30)
#define CR0_PAGING (1ull << 31)
#define CR0_PROTECTION (1ull << 0)
#define CR4_ALLOWED 0x3707ffull
#define RFLAGS_ALLOWED 0x3f7fd7ull
#define RFLAGS_FIXED 0x2ull
#define SEGMENT_ATTRIBUTES_ALLOWED 0xfffu

/* The intercepts every entry has, whatever the VMM asks for. */
#define INTERCEPT_MISC1_ALWAYS                                                                                         \
    (INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_SMI | INTERCEPT_INIT | INTERCEPT_CPUID | INTERCEPT_HLT |               \
     INTERCEPT_INVLPGA | INTERCEPT_IOIO | INTERCEPT_MSR | INTERCEPT_TASK_SWITCH | INTERCEPT_SHUTDOWN)

struct svm_guest_registers {
    uint64_t rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};

struct arch_vcpu {
    uint8_t *vmcb;
    uint64_t vmcb_phys;
    struct svm_guest_registers registers;
    uint8_t guest_fpu[512] __attribute__((aligned(16)));
    uint8_t host_fpu[512] __attribute__((aligned(16)));
};

void svm_enter(uint64_t vmcb_phys, uint64_t host_save_phys, struct svm_guest_registers *registers);

static bool available;
static uint64_t host_save_area;     /* VMSAVE/VMLOAD area for the host's FS/GS/TR/syscall state */
static uint64_t io_permission_map;  /* 12 KiB of ones: every port access exits */
static uint64_t msr_permission_map; /* 8 KiB of ones: every MSR access exits */
static uint8_t clean_fpu_state[512] __attribute__((aligned(16)));

static uint64_t read64(const uint8_t *vmcb, unsigned offset)
{
    uint64_t value;
    memcpy(&value, vmcb + offset, sizeof(value));
    return value;
}

static void write64(uint8_t *vmcb, unsigned offset, uint64_t value)
{
    memcpy(vmcb + offset, &value, sizeof(value));
}

static void write32(uint8_t *vmcb, unsigned offset, uint32_t value)
{
    memcpy(vmcb + offset, &value, sizeof(value));
}

static bool allocate_filled(unsigned order, uint8_t byte, uint64_t *phys)
{
    if (frame_allocator_alloc(physical_memory(), order, phys) != ERROR_NONE) {
        return false;
    }
    memset(phys_to_virt(*phys), byte, (size_t)FRAME_SIZE << order);
    return true;
}

bool arch_virtualization_init(const char **reason)
{
    static char description[96];
    if (!(cpuid(0x80000001, 0).ecx & CPUID_SVM)) {
        *reason = "this CPU has no AMD SVM (QEMU: -cpu qemu64,+svm,+npt)";
        return false;
    }
    if (msr_read(MSR_VM_CR) & VM_CR_SVM_DISABLED) {
        *reason = "SVM is disabled by the firmware (VM_CR.SVMDIS)";
        return false;
    }
    struct cpuid_result svm_features = cpuid(0x8000000a, 0);
    if (!(svm_features.edx & CPUID_NESTED_PAGING)) {
        *reason = "SVM without nested paging (QEMU: add +npt to -cpu)";
        return false;
    }
    uint64_t hsave;
    if (!allocate_filled(0, 0, &hsave) || !allocate_filled(0, 0, &host_save_area) ||
        !allocate_filled(2, 0xff, &io_permission_map) || !allocate_filled(1, 0xff, &msr_permission_map)) {
        *reason = "no memory for the SVM host areas";
        return false;
    }
    msr_write(MSR_EFER, msr_read(MSR_EFER) | EFER_SVME);
    msr_write(MSR_VM_HSAVE_PA, hsave);
    __asm__ volatile("fxsave64 %0" : "=m"(clean_fpu_state));
    available = true;
    format_string_to(description, sizeof(description), "AMD SVM with nested paging, %u ASIDs, NRIP save %s",
                     svm_features.ebx, svm_features.edx & (1u << 3) ? "yes" : "no");
    *reason = description;
    return true;
}

bool arch_virtualization_available(void)
{
    return available;
}

uint64_t arch_vcpu_charge(void)
{
    return FRAME_SIZE + kmem_charge_size(sizeof(struct arch_vcpu));
}

enum error arch_vcpu_create(struct factory *quota, uint64_t guest_space_root, struct arch_vcpu **vcpu)
{
    enum error error = factory_charge(quota, arch_vcpu_charge());
    if (error != ERROR_NONE) {
        return error;
    }
    struct arch_vcpu *created = kmem_alloc(sizeof(*created));
    uint64_t vmcb_phys;
    if (!created || !allocate_filled(0, 0, &vmcb_phys)) {
        kmem_free(created, sizeof(*created));
        factory_refund(quota, arch_vcpu_charge());
        return ERROR_OUT_OF_MEMORY;
    }
    created->vmcb = phys_to_virt(vmcb_phys);
    created->vmcb_phys = vmcb_phys;
    memcpy(created->guest_fpu, clean_fpu_state, sizeof(clean_fpu_state));

    /* The intercepts the kernel relies on: set here, never from the VMM's state page. */
    uint8_t *vmcb = created->vmcb;
    write32(vmcb, VMCB_INTERCEPT_MISC1, INTERCEPT_MISC1_ALWAYS);
    write32(vmcb, VMCB_INTERCEPT_MISC2,
            INTERCEPT_VMRUN | INTERCEPT_VMMCALL | INTERCEPT_VMLOAD | INTERCEPT_VMSAVE | INTERCEPT_STGI |
                INTERCEPT_CLGI | INTERCEPT_SKINIT | INTERCEPT_ICEBP | INTERCEPT_WBINVD | INTERCEPT_MONITOR |
                INTERCEPT_MWAIT | INTERCEPT_XSETBV);
    write64(vmcb, VMCB_IOPM_BASE, io_permission_map);
    write64(vmcb, VMCB_MSRPM_BASE, msr_permission_map);
    write32(vmcb, VMCB_GUEST_ASID, 1);
    vmcb[VMCB_TLB_CONTROL] = TLB_CONTROL_FLUSH_ALL; /* one ASID for all guests: flush on every entry */
    write64(vmcb, VMCB_VIRTUAL_INTERRUPT, VIRTUAL_INTERRUPT_MASKING);
    write64(vmcb, VMCB_NESTED_CONTROL, NESTED_PAGING_ENABLE);
    write64(vmcb, VMCB_NESTED_CR3, guest_space_root);
    *vcpu = created;
    return ERROR_NONE;
}

void arch_vcpu_destroy(struct arch_vcpu *vcpu, struct factory *quota)
{
    frame_allocator_free(physical_memory(), vcpu->vmcb_phys, 0);
    kmem_free(vcpu, sizeof(*vcpu));
    factory_refund(quota, arch_vcpu_charge());
}

static bool valid_pat(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        uint8_t type = (uint8_t)(pat >> (8 * i));
        if (type == 2 || type == 3 || type > 7) {
            return false;
        }
    }
    return true;
}

static bool valid_event(uint64_t event)
{
    if (!(event & VCPU_EVENT_VALID)) {
        return true;
    }
    unsigned type = (unsigned)(event >> 8) & 7;
    unsigned vector = (unsigned)event & 0xff;
    if (event & 0x7ffff000ull) {
        return false; /* reserved bits */
    }
    if (type == 1 || type > 4) {
        return false;
    }
    return type != 3 || (vector < 32 && vector != 2);
}

/* Every field the VMM controls, checked before any is used: a bad one refuses the run. */
static enum error check_state(const struct vcpu_state *state)
{
    const struct vcpu_segment *segments[] = {&state->es, &state->cs, &state->ss,   &state->ds,
                                             &state->fs, &state->gs, &state->ldtr, &state->tr};
    if ((state->efer & ~EFER_ALLOWED) || (state->cr0 & ~CR0_ALLOWED) || (state->cr4 & ~CR4_ALLOWED)) {
        return ERROR_INVALID_ARGUMENT;
    }
    if ((state->cr0 & CR0_NOT_WRITE_THROUGH) && !(state->cr0 & CR0_CACHE_DISABLE)) {
        return ERROR_INVALID_ARGUMENT;
    }
    if ((state->cr0 & CR0_PAGING) && !(state->cr0 & CR0_PROTECTION)) {
        return ERROR_INVALID_ARGUMENT;
    }
    if ((state->dr6 >> 32) || (state->dr7 >> 32) || (state->rflags & ~RFLAGS_ALLOWED)) {
        return ERROR_INVALID_ARGUMENT;
    }
    if (!valid_pat(state->pat) || !valid_event(state->event_injection) || state->interrupt_shadow > 1 ||
        state->request_interrupt_window > 1) {
        return ERROR_INVALID_ARGUMENT;
    }
    for (unsigned i = 0; i < sizeof(segments) / sizeof(segments[0]); i++) {
        if (segments[i]->attributes & ~SEGMENT_ATTRIBUTES_ALLOWED) {
            return ERROR_INVALID_ARGUMENT;
        }
    }
    return ERROR_NONE;
}

static void write_segment(uint8_t *vmcb, unsigned offset, const struct vcpu_segment *segment)
{
    memcpy(vmcb + offset, segment, sizeof(*segment));
}

static void read_segment(const uint8_t *vmcb, unsigned offset, struct vcpu_segment *segment)
{
    memcpy(segment, vmcb + offset, sizeof(*segment));
}

static void write_table(uint8_t *vmcb, unsigned offset, const struct vcpu_descriptor_table *table)
{
    write32(vmcb, offset + 4, table->limit);
    write64(vmcb, offset + 8, table->base);
}

static void read_table(const uint8_t *vmcb, unsigned offset, struct vcpu_descriptor_table *table)
{
    memcpy(&table->limit, vmcb + offset + 4, sizeof(table->limit));
    table->base = read64(vmcb, offset + 8);
}

static void load_state(struct arch_vcpu *vcpu, const struct vcpu_state *state)
{
    uint8_t *vmcb = vcpu->vmcb;
    struct svm_guest_registers *r = &vcpu->registers;
    r->rbx = state->rbx, r->rcx = state->rcx, r->rdx = state->rdx, r->rsi = state->rsi, r->rdi = state->rdi;
    r->rbp = state->rbp, r->r8 = state->r8, r->r9 = state->r9, r->r10 = state->r10, r->r11 = state->r11;
    r->r12 = state->r12, r->r13 = state->r13, r->r14 = state->r14, r->r15 = state->r15;
    write64(vmcb, VMCB_RAX, state->rax);
    write64(vmcb, VMCB_RSP, state->rsp);
    write64(vmcb, VMCB_RIP, state->rip);
    write64(vmcb, VMCB_RFLAGS, state->rflags | RFLAGS_FIXED);
    write64(vmcb, VMCB_CR0, state->cr0);
    write64(vmcb, VMCB_CR2, state->cr2);
    write64(vmcb, VMCB_CR3, state->cr3);
    write64(vmcb, VMCB_CR4, state->cr4);
    write64(vmcb, VMCB_EFER, state->efer | EFER_SVME); /* the hardware requires it in guest mode */
    write64(vmcb, VMCB_DR6, state->dr6);
    write64(vmcb, VMCB_DR7, state->dr7);
    write64(vmcb, VMCB_GUEST_PAT, state->pat);
    write_segment(vmcb, VMCB_ES, &state->es);
    write_segment(vmcb, VMCB_CS, &state->cs);
    write_segment(vmcb, VMCB_SS, &state->ss);
    write_segment(vmcb, VMCB_DS, &state->ds);
    write_segment(vmcb, VMCB_FS, &state->fs);
    write_segment(vmcb, VMCB_GS, &state->gs);
    write_segment(vmcb, VMCB_LDTR, &state->ldtr);
    write_segment(vmcb, VMCB_TR, &state->tr);
    write_table(vmcb, VMCB_GDTR, &state->gdtr);
    write_table(vmcb, VMCB_IDTR, &state->idtr);
    vmcb[VMCB_CPL] = (state->cr0 & CR0_PROTECTION) ? (uint8_t)((state->ss.attributes >> 5) & 3) : 0;
    write64(vmcb, VMCB_STAR, state->star);
    write64(vmcb, VMCB_LSTAR, state->lstar);
    write64(vmcb, VMCB_CSTAR, state->cstar);
    write64(vmcb, VMCB_SFMASK, state->sfmask);
    write64(vmcb, VMCB_KERNEL_GS_BASE, state->kernel_gs_base);
    write64(vmcb, VMCB_SYSENTER_CS, state->sysenter_cs);
    write64(vmcb, VMCB_SYSENTER_ESP, state->sysenter_esp);
    write64(vmcb, VMCB_SYSENTER_EIP, state->sysenter_eip);
    write64(vmcb, VMCB_INTERRUPT_SHADOW, state->interrupt_shadow);
    write64(vmcb, VMCB_EVENT_INJECTION, state->event_injection);
    /* An interrupt window is a virtual interrupt the guest never receives: its VINTR exit comes first. */
    uint32_t intercepts = INTERCEPT_MISC1_ALWAYS | (state->request_interrupt_window ? INTERCEPT_VINTR : 0);
    write32(vmcb, VMCB_INTERCEPT_MISC1, intercepts);
    write64(vmcb, VMCB_VIRTUAL_INTERRUPT,
            VIRTUAL_INTERRUPT_MASKING |
                (state->request_interrupt_window ? VIRTUAL_IRQ | VIRTUAL_INTERRUPT_PRIORITY | VIRTUAL_IGNORE_TPR : 0));
    write64(vmcb, VMCB_CLEAN_BITS, 0);
}

static void store_state(const struct arch_vcpu *vcpu, struct vcpu_state *state)
{
    const uint8_t *vmcb = vcpu->vmcb;
    const struct svm_guest_registers *r = &vcpu->registers;
    state->rbx = r->rbx, state->rcx = r->rcx, state->rdx = r->rdx, state->rsi = r->rsi, state->rdi = r->rdi;
    state->rbp = r->rbp, state->r8 = r->r8, state->r9 = r->r9, state->r10 = r->r10, state->r11 = r->r11;
    state->r12 = r->r12, state->r13 = r->r13, state->r14 = r->r14, state->r15 = r->r15;
    state->rax = read64(vmcb, VMCB_RAX);
    state->rsp = read64(vmcb, VMCB_RSP);
    state->rip = read64(vmcb, VMCB_RIP);
    state->rflags = read64(vmcb, VMCB_RFLAGS);
    state->cr0 = read64(vmcb, VMCB_CR0);
    state->cr2 = read64(vmcb, VMCB_CR2);
    state->cr3 = read64(vmcb, VMCB_CR3);
    state->cr4 = read64(vmcb, VMCB_CR4);
    state->efer = read64(vmcb, VMCB_EFER) & ~EFER_SVME; /* the guest never asked for it */
    state->dr6 = read64(vmcb, VMCB_DR6);
    state->dr7 = read64(vmcb, VMCB_DR7);
    state->pat = read64(vmcb, VMCB_GUEST_PAT);
    read_segment(vmcb, VMCB_ES, &state->es);
    read_segment(vmcb, VMCB_CS, &state->cs);
    read_segment(vmcb, VMCB_SS, &state->ss);
    read_segment(vmcb, VMCB_DS, &state->ds);
    read_segment(vmcb, VMCB_FS, &state->fs);
    read_segment(vmcb, VMCB_GS, &state->gs);
    read_segment(vmcb, VMCB_LDTR, &state->ldtr);
    read_segment(vmcb, VMCB_TR, &state->tr);
    read_table(vmcb, VMCB_GDTR, &state->gdtr);
    read_table(vmcb, VMCB_IDTR, &state->idtr);
    state->star = read64(vmcb, VMCB_STAR);
    state->lstar = read64(vmcb, VMCB_LSTAR);
    state->cstar = read64(vmcb, VMCB_CSTAR);
    state->sfmask = read64(vmcb, VMCB_SFMASK);
    state->kernel_gs_base = read64(vmcb, VMCB_KERNEL_GS_BASE);
    state->sysenter_cs = read64(vmcb, VMCB_SYSENTER_CS);
    state->sysenter_esp = read64(vmcb, VMCB_SYSENTER_ESP);
    state->sysenter_eip = read64(vmcb, VMCB_SYSENTER_EIP);
    state->interrupt_shadow = read64(vmcb, VMCB_INTERRUPT_SHADOW) & 1;
    state->request_interrupt_window = 0; /* answered by this exit, or asked again by the VMM */
    /* An event the exit interrupted is re-injected by the VMM if it wants it delivered. */
    uint64_t pending = read64(vmcb, VMCB_EXIT_INTERRUPT_INFO);
    state->event_injection = (pending & VCPU_EVENT_VALID) ? pending : 0;
}

static void decode_exit(const struct arch_vcpu *vcpu, struct vcpu_exit *exit)
{
    uint64_t code = read64(vcpu->vmcb, VMCB_EXIT_CODE);
    uint64_t info1 = read64(vcpu->vmcb, VMCB_EXIT_INFO1);
    uint64_t info2 = read64(vcpu->vmcb, VMCB_EXIT_INFO2);
    memset(exit, 0, sizeof(*exit));
    exit->raw_code = code;
    exit->raw_info1 = info1;
    exit->raw_info2 = info2;
    switch (code) {
    case SVM_EXIT_IOIO:
        exit->reason = VCPU_EXIT_IO;
        exit->io.port = (uint16_t)(info1 >> 16);
        exit->io.size = info1 & (1u << 4) ? 1 : info1 & (1u << 5) ? 2 : 4;
        exit->io.is_in = info1 & 1;
        exit->io.is_string = (info1 >> 2) & 1;
        exit->io.has_rep = (info1 >> 3) & 1;
        exit->next_rip = info2;
        break;
    case SVM_EXIT_NPF:
        exit->reason = VCPU_EXIT_MMIO;
        exit->mmio.guest_physical_address = info2;
        exit->mmio.is_write = (info1 >> 1) & 1;
        exit->mmio.is_fetch = (info1 >> 4) & 1;
        break;
    case SVM_EXIT_CPUID:
        exit->reason = VCPU_EXIT_CPUID;
        exit->instruction_length = 2;
        break;
    case SVM_EXIT_MSR:
        exit->reason = info1 ? VCPU_EXIT_MSR_WRITE : VCPU_EXIT_MSR_READ;
        exit->instruction_length = 2;
        break;
    case SVM_EXIT_HLT:
        exit->reason = VCPU_EXIT_HALT;
        exit->instruction_length = 1;
        break;
    case SVM_EXIT_VMMCALL:
        exit->reason = VCPU_EXIT_HYPERCALL;
        exit->instruction_length = 3;
        break;
    case SVM_EXIT_SHUTDOWN:
        exit->reason = VCPU_EXIT_SHUTDOWN;
        break;
    case SVM_EXIT_VINTR:
        exit->reason = VCPU_EXIT_INTERRUPT_WINDOW;
        break;
    case SVM_EXIT_INVALID:
        exit->reason = VCPU_EXIT_INVALID_STATE;
        break;
    default:
        if (code >= SVM_EXIT_EXCEPTION_FIRST && code <= SVM_EXIT_EXCEPTION_LAST) {
            exit->reason = VCPU_EXIT_EXCEPTION;
            exit->exception.vector = (uint32_t)(code - SVM_EXIT_EXCEPTION_FIRST);
            exit->exception.error_code = (uint32_t)info1;
            exit->exception.address = info2;
        } else {
            exit->reason = VCPU_EXIT_UNKNOWN;
        }
        break;
    }
}

/* Host exits (interrupts, NMIs, SMIs) are the kernel's business: handled here, then the guest goes on. */
static bool host_exit(uint64_t code)
{
    return code == SVM_EXIT_INTR || code == SVM_EXIT_NMI || code == SVM_EXIT_SMI || code == SVM_EXIT_INIT;
}

/*
 * Exits the kernel completes itself, without a round trip to the VMM: WBINVD (a cache flush the guest's
 * memory does not need, as it is ordinary cached RAM) is skipped. Returns true if it handled the exit.
 */
static bool kernel_handled_exit(struct arch_vcpu *vcpu, uint64_t code)
{
    if (code == SVM_EXIT_WBINVD) {
        write64(vcpu->vmcb, VMCB_RIP, read64(vcpu->vmcb, VMCB_RIP) + 2); /* 0f 09 */
        return true;
    }
    return false;
}

enum error arch_vcpu_run(struct arch_vcpu *vcpu, struct vcpu_state *state,
                         enum vcpu_run_decision (*decide)(void *context), void *context)
{
    enum error error = check_state(state);
    if (error != ERROR_NONE) {
        return error;
    }
    state->host_ticks_per_second = TIMER_HZ;
    if (state->exit_deadline && timer_ticks() >= state->exit_deadline) {
        state->host_ticks = timer_ticks();
        memset(&state->exit, 0, sizeof(state->exit));
        state->exit.reason = VCPU_EXIT_DEADLINE; /* already due: the guest does not run */
        return ERROR_NONE;
    }
    load_state(vcpu, state);
    for (;;) {
        __asm__ volatile("fxsave64 %0" : "=m"(vcpu->host_fpu));
        __asm__ volatile("fxrstor64 %0" : : "m"(vcpu->guest_fpu));
        svm_enter(vcpu->vmcb_phys, host_save_area, &vcpu->registers);
        __asm__ volatile("fxsave64 %0" : "=m"(vcpu->guest_fpu));
        __asm__ volatile("fxrstor64 %0" : : "m"(vcpu->host_fpu));
        write64(vcpu->vmcb, VMCB_EVENT_INJECTION, 0); /* delivered (or re-reported in EXITINTINFO) */
        uint64_t code = read64(vcpu->vmcb, VMCB_EXIT_CODE);
        if (kernel_handled_exit(vcpu, code)) {
            continue;
        }
        if (!host_exit(code)) {
            break;
        }
        __asm__ volatile("sti; nop; cli" : : : "memory"); /* take the interrupt that ended the guest's turn */
        if (scheduler_preemption_pending()) {
            schedule();
        }
        state->host_ticks = timer_ticks();
        enum vcpu_run_decision decision = decide(context);
        if (decision == VCPU_RUN_CONTINUE && state->exit_deadline && state->host_ticks >= state->exit_deadline) {
            decision = VCPU_RUN_RETURN_DEADLINE;
        }
        if (decision == VCPU_RUN_ABORT) {
            return ERROR_PEER_GONE;
        }
        if (decision == VCPU_RUN_RETURN_KICKED || decision == VCPU_RUN_RETURN_DEADLINE) {
            store_state(vcpu, state);
            memset(&state->exit, 0, sizeof(state->exit));
            state->exit.reason = decision == VCPU_RUN_RETURN_KICKED ? VCPU_EXIT_KICKED : VCPU_EXIT_DEADLINE;
            return ERROR_NONE;
        }
    }
    store_state(vcpu, state);
    decode_exit(vcpu, &state->exit);
    state->host_ticks = timer_ticks();
    return ERROR_NONE;
}
