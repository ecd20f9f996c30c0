/* IPC helpers over invoke(). */
#include <kapsel/syscall.h>

struct invoke_result ipc_call(uint64_t capability, uint64_t tag, uint64_t timeouts)
{
    return invoke(SELECTOR(capability, IPC_CALL), tag, timeouts);
}

struct invoke_result ipc_send(uint64_t capability, uint64_t tag, uint64_t timeouts)
{
    return invoke(SELECTOR(capability, IPC_SEND), tag, timeouts);
}

/* Open waits and replies name no capability: the kernel ignores the selector's slot for them. */
struct invoke_result ipc_wait(uint64_t timeouts)
{
    return invoke(SELECTOR(0, IPC_WAIT), 0, timeouts);
}

struct invoke_result ipc_reply_and_wait(uint64_t tag, uint64_t timeouts)
{
    return invoke(SELECTOR(0, IPC_REPLY_AND_WAIT), tag, timeouts);
}

struct invoke_result ipc_receive(uint64_t gate_capability, uint64_t timeouts)
{
    return invoke(SELECTOR(gate_capability, IPC_RECEIVE), 0, timeouts);
}

struct invoke_result ipc_reply(uint64_t tag)
{
    return invoke(SELECTOR(0, IPC_REPLY), tag, TIMEOUTS(TIMEOUT_POLL, TIMEOUT_POLL));
}
