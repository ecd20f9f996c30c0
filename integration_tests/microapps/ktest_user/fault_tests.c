/* Faults of other threads arrive as IPC: page faults at the pager, exceptions at the handler. */
#include "user_test.h"
#include <kapsel/environment.h>
#include <kapsel/runtime.h>

#define CHILD_HANDLER_SLOT 30
#define CHILD_RESULT_SLOT 31
#define FAULT_ADDRESS 0x0000620000000000ull

static uint8_t pager_page[4096] __attribute__((aligned(4096)));

static void read_kernel_memory(void)
{
    (void)*(volatile uint64_t *)0xffffffff80200000ull;
    block_forever();
}

static void execute_privileged_instruction(void)
{
    __asm__ volatile("hlt");
    block_forever();
}

/* Touches an unmapped page, then reports the value it found there through CHILD_RESULT_SLOT. */
static void touch_unmapped_page(void)
{
    utcb()->message[0] = *(volatile uint64_t *)FAULT_ADDRESS;
    ipc_call(CHILD_RESULT_SLOT, MESSAGE_TAG(1, 1, 0), NEVER);
    block_forever();
}

/* A child task whose thread runs entry with our gate (label) as its exception handler or pager. */
struct faulting_child {
    uint64_t task, thread, gate;
};

static struct faulting_child child_start(void (*entry)(void), uint64_t label, bool as_pager)
{
    struct faulting_child child = {task_sharing_image(), 0, gate_new(APP_THREAD, label)};
    EXPECT_ERROR(task_map_capability(child.task, ITEM_CAPABILITY(child.gate, 0, RIGHT_WRITE, 0), CHILD_HANDLER_SLOT),
                 ERROR_NONE);
    child.thread = thread_start_in(child.task, entry, resources.priority - 1, CHILD_HANDLER_SLOT);
    if (as_pager) {
        EXPECT_ERROR(thread_set_handlers(child.thread, CHILD_HANDLER_SLOT, CHILD_HANDLER_SLOT), ERROR_NONE);
    }
    return child;
}

static void child_delete(struct faulting_child *child)
{
    object_delete(child->task);
    object_delete(child->thread);
    object_delete(child->gate);
}

static void kernel_memory_access_reaches_the_exception_handler(void)
{
    struct faulting_child child = child_start(read_kernel_memory, 0xe1, false);
    struct invoke_result result = ipc_receive(child.gate, TIMEOUTS(0, 2000));
    EXPECT_ERROR(result.error, ERROR_NONE);
    EXPECT(result.label == 0xe1);
    EXPECT(MESSAGE_TAG_LABEL(result.tag) == LABEL_EXCEPTION);
    EXPECT(utcb()->message[0] == 14);
    EXPECT(utcb()->message[4] == 0xffffffff80200000ull);
    /* We do not resume it: deleting its task stops it, and we go on. */
    child_delete(&child);
}

static void privileged_instruction_reaches_the_exception_handler(void)
{
    struct faulting_child child = child_start(execute_privileged_instruction, 0xe2, false);
    struct invoke_result result = ipc_receive(child.gate, TIMEOUTS(0, 2000));
    EXPECT_ERROR(result.error, ERROR_NONE);
    EXPECT(MESSAGE_TAG_LABEL(result.tag) == LABEL_EXCEPTION);
    EXPECT(utcb()->message[0] == 13); /* #GP */
    uint64_t function = (uint64_t)(uintptr_t)execute_privileged_instruction;
    EXPECT(utcb()->message[2] >= function && utcb()->message[2] < function + 16);
    child_delete(&child);
}

static void page_fault_is_resolved_by_the_pager(void)
{
    struct faulting_child child = child_start(touch_unmapped_page, 0xe3, true);
    uint64_t result_gate = gate_new(APP_THREAD, 0xe4);
    EXPECT_ERROR(task_map_capability(child.task, ITEM_CAPABILITY(result_gate, 0, RIGHT_WRITE, 0), CHILD_RESULT_SLOT),
                 ERROR_NONE);
    *(volatile uint64_t *)pager_page = 0xc0ffee;
    struct invoke_result fault = ipc_receive(child.gate, TIMEOUTS(0, 2000));
    EXPECT_ERROR(fault.error, ERROR_NONE);
    EXPECT(MESSAGE_TAG_LABEL(fault.tag) == LABEL_PAGE_FAULT);
    EXPECT(utcb()->message[0] == FAULT_ADDRESS);
    EXPECT(!(utcb()->message[1] & PAGE_FAULT_WRITE));
    utcb()->message[0] = ITEM_MEMORY((uint64_t)(uintptr_t)pager_page >> 12, 0, MEMORY_READ, 0);
    utcb()->message[1] = FAULT_ADDRESS;
    EXPECT_ERROR(ipc_reply(MESSAGE_TAG(0, 0, 1)).error, ERROR_NONE);
    struct invoke_result report = ipc_receive(result_gate, TIMEOUTS(0, 2000));
    EXPECT_ERROR(report.error, ERROR_NONE);
    EXPECT(utcb()->message[0] == 0xc0ffee);
    ipc_reply(MESSAGE_TAG(0, 0, 0));
    child_delete(&child);
    object_delete(result_gate);
}

static void fault_without_handler_stops_only_that_thread(void)
{
    uint64_t task = task_sharing_image();
    uint64_t thread = thread_start_in(task, read_kernel_memory, resources.priority + 1, 0);
    enum thread_state state = THREAD_READY;
    uint64_t ticks;
    unsigned priority;
    EXPECT_ERROR(thread_info(thread, &state, &ticks, &priority), ERROR_NONE);
    EXPECT(state == THREAD_DEAD);
    /* ...and we are still here, running. */
    object_delete(task);
    object_delete(thread);
}

/* Reads the POST diagnostic port (harmless), then reports through CHILD_RESULT_SLOT that it could. */
static void read_port(void)
{
    uint8_t value;
    __asm__ volatile("inb $0x80, %0" : "=a"(value));
    utcb()->message[0] = value;
    ipc_call(CHILD_RESULT_SLOT, MESSAGE_TAG(1, 1, 0), NEVER);
    block_forever();
}

/* Runs a read_port thread in task; true if it reported back, false if its #GP reached our handler gate. */
static bool port_read_allowed(uint64_t task)
{
    uint64_t thread = thread_start_in(task, read_port, resources.priority - 1, CHILD_HANDLER_SLOT);
    EXPECT(thread != 0);
    struct invoke_result result = ipc_wait(TIMEOUTS(0, 2000));
    EXPECT_ERROR(result.error, ERROR_NONE);
    bool reported = result.error == ERROR_NONE && result.label == 0xe6;
    if (reported) {
        ipc_reply(MESSAGE_TAG(0, 0, 0));
    } else {
        EXPECT(MESSAGE_TAG_LABEL(result.tag) == LABEL_EXCEPTION && utcb()->message[0] == 13);
    }
    object_delete(thread); /* its UTCB address is free again for the next attempt */
    return reported;
}

static void io_ports_are_granted_and_revoked_per_task(void)
{
    uint64_t io_ports = capability_named("io_ports");
    EXPECT(io_ports != 0);
    uint64_t task = task_sharing_image();
    uint64_t handler_gate = gate_new(APP_THREAD, 0xe5);
    uint64_t result_gate = gate_new(APP_THREAD, 0xe6);
    EXPECT_ERROR(task_map_capability(task, ITEM_CAPABILITY(handler_gate, 0, RIGHT_WRITE, 0), CHILD_HANDLER_SLOT),
                 ERROR_NONE);
    EXPECT_ERROR(task_map_capability(task, ITEM_CAPABILITY(result_gate, 0, RIGHT_WRITE, 0), CHILD_RESULT_SLOT),
                 ERROR_NONE);
    EXPECT(!port_read_allowed(task));
    EXPECT_ERROR(io_ports_grant(io_ports, task, 0x80, 1), ERROR_NONE);
    EXPECT(port_read_allowed(task));
    EXPECT_ERROR(io_ports_revoke(io_ports, task, 0x80, 1), ERROR_NONE);
    EXPECT(!port_read_allowed(task));
    EXPECT_ERROR(io_ports_grant(io_ports, task, 0xfff0, 0x20), ERROR_OUT_OF_RANGE);
    EXPECT_ERROR(io_ports_grant(io_ports, resources.factory, 0x80, 1), ERROR_WRONG_OBJECT_TYPE);
    object_delete(task);
    object_delete(handler_gate);
    object_delete(result_gate);
}

static const struct user_test tests[] = {
    {"fault_kernel_memory_access_reaches_the_exception_handler", kernel_memory_access_reaches_the_exception_handler},
    {"fault_privileged_instruction_reaches_the_exception_handler",
     privileged_instruction_reaches_the_exception_handler},
    {"fault_page_fault_is_resolved_by_the_pager", page_fault_is_resolved_by_the_pager},
    {"fault_without_handler_stops_only_that_thread", fault_without_handler_stops_only_that_thread},
    {"fault_io_ports_are_granted_and_revoked_per_task", io_ports_are_granted_and_revoked_per_task},
};
TEST_TABLE(fault_tests, tests);
