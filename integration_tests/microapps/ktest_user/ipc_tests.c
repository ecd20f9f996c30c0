/* IPC: call/reply within and across address spaces, timeouts, deleted partners, bad messages. */
#include "user_test.h"
#include <kapsel/environment.h>

/* Shared with the threads the tests start (same image, same data pages, also in other tasks). */
static volatile uint64_t worker_flag;
static volatile enum error worker_error;
static volatile uint64_t silent_server_gate;
static volatile uint64_t deleter_target;

/* Answers every call with [0] + 1, the gate label and the message label. */
static void echo_server(void)
{
    struct invoke_result result = ipc_wait(NEVER);
    for (;;) {
        struct utcb *u = utcb();
        u->message[0] = u->message[0] + 1;
        u->message[1] = result.label;
        u->message[2] = MESSAGE_TAG_LABEL(result.tag);
        result = ipc_reply_and_wait(MESSAGE_TAG(0, 3, 0), NEVER);
    }
}

static void check_echo(uint64_t gate, uint64_t gate_label)
{
    utcb()->message[0] = 41;
    struct invoke_result result = ipc_call(gate, MESSAGE_TAG(0x123, 1, 0), NEVER);
    EXPECT_ERROR(result.error, ERROR_NONE);
    EXPECT(MESSAGE_TAG_WORDS(result.tag) == 3);
    EXPECT(utcb()->message[0] == 42);
    EXPECT(utcb()->message[1] == gate_label);
    EXPECT(utcb()->message[2] == 0x123);
}

static void call_and_reply_within_a_task(void)
{
    uint64_t server = thread_start(echo_server, resources.priority);
    uint64_t gate = gate_new(server, 0xabc);
    check_echo(gate, 0xabc);
    check_echo(gate, 0xabc); /* and again: the server's reply-and-wait loop */
    object_delete(gate);
    object_delete(server);
}

static void call_and_reply_across_address_spaces(void)
{
    uint64_t task = task_sharing_image();
    uint64_t server = thread_start_in(task, echo_server, resources.priority, 0);
    EXPECT(server != 0);
    uint64_t gate = gate_new(server, 0xdef);
    check_echo(gate, 0xdef);
    object_delete(gate);
    object_delete(task);
    object_delete(server);
}

static void send_without_receiver_times_out(void)
{
    /* A thread that was never started never receives. */
    uint64_t idle = slot_new();
    EXPECT_ERROR(factory_create_thread(resources.factory, idle), ERROR_NONE);
    EXPECT_ERROR(thread_configure(idle, APP_TASK, address_new(1), 0, 0), ERROR_NONE);
    uint64_t gate = gate_new(idle, 1);
    EXPECT_ERROR(ipc_send(gate, MESSAGE_TAG(1, 0, 0), TIMEOUTS(TIMEOUT_POLL, 0)).error, ERROR_TIMEOUT);
    uint64_t before = ticks_now();
    EXPECT_ERROR(ipc_send(gate, MESSAGE_TAG(1, 0, 0), TIMEOUTS(30, 0)).error, ERROR_TIMEOUT);
    EXPECT(ticks_now() - before >= 3); /* 30 ms at 100 ticks per second */
    object_delete(gate);
    object_delete(idle);
}

static void receive_times_out(void)
{
    uint64_t gate = gate_new(APP_THREAD, 2);
    EXPECT_ERROR(ipc_receive(gate, TIMEOUTS(0, TIMEOUT_POLL)).error, ERROR_TIMEOUT);
    uint64_t before = ticks_now();
    EXPECT_ERROR(ipc_receive(gate, TIMEOUTS(0, 50)).error, ERROR_TIMEOUT);
    EXPECT(ticks_now() - before >= 5);
    object_delete(gate);
}

static void send_to_deleted_gate_fails(void)
{
    uint64_t server = thread_start(echo_server, resources.priority);
    uint64_t gate = gate_new(server, 3);
    object_delete(gate);
    EXPECT_ERROR(ipc_call(gate, MESSAGE_TAG(1, 0, 0), NEVER).error, ERROR_INVALID_CAPABILITY);
    /* A gate whose thread is gone reports the peer gone. */
    uint64_t orphan = gate_new(server, 4);
    object_delete(server);
    EXPECT_ERROR(ipc_call(orphan, MESSAGE_TAG(1, 0, 0), NEVER).error, ERROR_PEER_GONE);
    object_delete(orphan);
}

/* Takes one call and never answers it: its caller stays blocked. */
static void silent_server(void)
{
    ipc_receive(silent_server_gate, NEVER);
    block_forever();
}

/* Runs once the main thread blocks: deletes the silent server under it. */
static void deleter(void)
{
    object_delete(deleter_target);
    block_forever();
}

static void thread_deleted_while_caller_blocked(void)
{
    uint64_t server = slot_new();
    EXPECT_ERROR(factory_create_thread(resources.factory, server), ERROR_NONE);
    EXPECT_ERROR(thread_configure(server, APP_TASK, address_new(1), 0, 0), ERROR_NONE);
    silent_server_gate = gate_new(server, 5);
    deleter_target = server;
    EXPECT(test_thread_start_existing(server, silent_server, resources.priority + 1) != 0);
    /* The server now waits in its closed receive; the deleter runs only when we block. */
    uint64_t deleter_thread = thread_start(deleter, resources.priority - 1);
    struct invoke_result result = ipc_call(silent_server_gate, MESSAGE_TAG(1, 0, 0), NEVER);
    EXPECT_ERROR(result.error, ERROR_PEER_GONE);
    object_delete(silent_server_gate);
    object_delete(deleter_thread);
}

static void reply_without_caller_is_refused(void)
{
    EXPECT_ERROR(ipc_reply(MESSAGE_TAG(0, 0, 0)).error, ERROR_NO_CALLER);
}

static void malformed_invocations_are_refused(void)
{
    uint64_t server = thread_start(echo_server, resources.priority);
    uint64_t gate = gate_new(server, 6);
    EXPECT_ERROR(ipc_call(gate, MESSAGE_TAG(1, 63, 1), NEVER).error, ERROR_MESSAGE_TOO_LONG);
    EXPECT_ERROR(ipc_call(gate, MESSAGE_TAG(1, 0, 9), NEVER).error, ERROR_MESSAGE_TOO_LONG);
    EXPECT_ERROR(invoke(SELECTOR(gate, 0x10), 0, NEVER).error, ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(invoke(SELECTOR(gate, 0), 0, NEVER).error, ERROR_INVALID_ARGUMENT);
    /* A closed receive through a gate bound to another thread. */
    EXPECT_ERROR(ipc_receive(gate, TIMEOUTS(0, 0)).error, ERROR_INVALID_ARGUMENT);
    EXPECT_ERROR(ipc_receive(resources.factory, TIMEOUTS(0, 0)).error, ERROR_WRONG_OBJECT_TYPE);
    object_delete(gate);
    object_delete(server);
}

/* Blocks sending on a gate nobody serves; ex_regs moves it to report_cancel. */
static volatile uint64_t blocked_gate;
static void blocked_sender(void)
{
    worker_error = ipc_send(blocked_gate, MESSAGE_TAG(1, 0, 0), NEVER).error;
    worker_flag = 1;
    block_forever();
}

static void report_cancel(void)
{
    worker_flag = 2;
    block_forever();
}

static void ex_regs_cancels_a_blocked_ipc(void)
{
    uint64_t receiver = gate_new(APP_THREAD, 7);
    blocked_gate = receiver;
    worker_flag = 0;
    uint64_t sender = thread_start(blocked_sender, resources.priority + 1);
    EXPECT(worker_flag == 0); /* it is queued on our gate */
    EXPECT_ERROR(thread_ex_regs(sender, (uint64_t)(uintptr_t)report_cancel, test_stack_top(), EX_REGS_CANCEL_IPC),
                 ERROR_NONE);
    sleep_ms(20);
    EXPECT(worker_flag == 2);
    /* Nothing is left queued on the gate. */
    EXPECT_ERROR(ipc_receive(receiver, TIMEOUTS(0, TIMEOUT_POLL)).error, ERROR_TIMEOUT);
    object_delete(sender);
    object_delete(receiver);
}

static void queued_sender_is_received_with_its_label(void)
{
    uint64_t receiver = gate_new(APP_THREAD, 0x77);
    blocked_gate = receiver;
    worker_flag = 0;
    uint64_t sender = thread_start(blocked_sender, resources.priority + 1);
    struct invoke_result result = ipc_receive(receiver, TIMEOUTS(0, 100));
    EXPECT_ERROR(result.error, ERROR_NONE);
    EXPECT(result.label == 0x77);
    sleep_ms(20);
    EXPECT(worker_flag == 1);
    EXPECT_ERROR(worker_error, ERROR_NONE);
    object_delete(sender);
    object_delete(receiver);
}

static const struct user_test tests[] = {
    {"ipc_call_and_reply_within_a_task", call_and_reply_within_a_task},
    {"ipc_call_and_reply_across_address_spaces", call_and_reply_across_address_spaces},
    {"ipc_send_without_receiver_times_out", send_without_receiver_times_out},
    {"ipc_receive_times_out", receive_times_out},
    {"ipc_send_to_deleted_gate_fails", send_to_deleted_gate_fails},
    {"ipc_thread_deleted_while_caller_blocked", thread_deleted_while_caller_blocked},
    {"ipc_reply_without_caller_is_refused", reply_without_caller_is_refused},
    {"ipc_malformed_invocations_are_refused", malformed_invocations_are_refused},
    {"ipc_ex_regs_cancels_a_blocked_ipc", ex_regs_cancels_a_blocked_ipc},
    {"ipc_queued_sender_is_received_with_its_label", queued_sender_is_received_with_its_label},
};
TEST_TABLE(ipc_tests, tests);
