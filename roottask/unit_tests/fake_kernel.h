/*
 * A stand-in for the kernel behind lib/runtime's object operations
 * (kapsel/syscall.h), for host tests of the root task: it records every
 * operation, makes MEMORY_ALLOCATE real (an anonymous page mapped at the
 * requested address of this process, so the root task's copies can be read
 * back), and fails one chosen operation on request. The code under test
 * never calls utcb() (it reads %fs, which the host uses otherwise): it gets
 * its message registers passed in.
 */
#ifndef ROOTTASK_FAKE_KERNEL_H
#define ROOTTASK_FAKE_KERNEL_H

#include <kapsel/syscall.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_MAX_RECORDS 512

struct fake_object {
    uint64_t factory;
    uint64_t slot;
    enum object_type type;
    uint64_t arguments[2]; /* task: slots; gate: thread slot, label; factory: quota */
};

struct fake_map {
    uint64_t task;
    uint64_t item; /* ITEM_MEMORY or ITEM_CAPABILITY in the caller */
    uint64_t destination;
};

struct fake_unmap {
    uint64_t task;
    uint64_t item;
    unsigned flags;
};

struct fake_kernel {
    struct fake_object created[FAKE_MAX_RECORDS];
    size_t created_count;
    struct fake_map maps[FAKE_MAX_RECORDS]; /* TASK_MAP */
    size_t map_count;
    struct fake_map capability_maps[FAKE_MAX_RECORDS]; /* TASK_MAP_CAPABILITY */
    size_t capability_map_count;
    uint64_t deleted[FAKE_MAX_RECORDS]; /* slots of the root task's TASK_DELETE_OBJECT */
    size_t deleted_count;
    struct fake_unmap unmaps[FAKE_MAX_RECORDS];
    size_t unmap_count;
    size_t allocate_count;
    struct {
        uint64_t thread, task, utcb, pager, exception;
    } configure;
    struct {
        uint64_t thread, rip, rsp;
        unsigned flags;
    } ex_regs;
    struct {
        uint64_t scheduler, thread;
        unsigned priority, slice;
    } run;
    struct {
        uint64_t irq, thread, label;
    } irq_bind;
    uint64_t triggered[FAKE_MAX_RECORDS]; /* Irq slots IRQ_TRIGGER was called on */
    size_t trigger_count;

    /* Failure injection: the named operation fails with fail_error after fail_skip successful calls. */
    const char *fail_operation;
    unsigned fail_skip;
    enum error fail_error;
};

extern struct fake_kernel fake;

/* Forgets everything and unmaps every page MEMORY_ALLOCATE made. */
void fake_reset(void);

/* Whether the root task has a page at address (made by MEMORY_ALLOCATE, not yet unmapped). */
bool fake_page_present(uint64_t address);

/* Collects what the code under test prints on stdout between begin and end; end returns it. */
void fake_capture_begin(void);
const char *fake_capture_end(void);

#endif
