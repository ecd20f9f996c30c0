/* The launcher's side of the launch protocol (kapsel/launcher.h). */
#include <kapsel/launcher.h>
#include <kapsel/syscall.h>
#include <string.h>

#define FOREVER TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER)

/* Copies a refusal's reason ([first] length, then bytes) out of the reply. */
static void copy_reason(const struct invoke_result *reply, unsigned first, char *reason, size_t reason_size)
{
    if (!reason || reason_size == 0) {
        return;
    }
    reason[0] = '\0';
    unsigned words = MESSAGE_TAG_WORDS(reply->tag);
    if (words <= first) {
        return;
    }
    uint64_t length = utcb()->message[first];
    uint64_t available = (words - first - 1) * 8ull;
    if (length > available) {
        length = available;
    }
    if (length > reason_size - 1) {
        length = reason_size - 1;
    }
    memcpy(reason, &utcb()->message[first + 1], length);
    reason[length] = '\0';
}

/* One request of words words (already in the message registers); the root task's answer. */
static enum error request(uint64_t launcher, uint64_t operation, unsigned words, struct invoke_result *reply,
                          char *reason, size_t reason_size)
{
    *reply = ipc_call(launcher, MESSAGE_TAG(operation, words, 0), FOREVER);
    if (reply->error != ERROR_NONE) {
        if (reason && reason_size) {
            reason[0] = '\0';
        }
        return reply->error;
    }
    enum error answer = (enum error)MESSAGE_TAG_LABEL(reply->tag);
    if (answer != ERROR_NONE) {
        copy_reason(reply, 0, reason, reason_size);
    }
    return answer;
}

enum error launcher_create(uint64_t launcher, const struct launch_request *launch, struct launch_created *created,
                           char *reason, size_t reason_size)
{
    const char *spec = launch->spec;
    size_t spec_length = launch->spec_length;
    struct invoke_result reply;
    if (spec_length > LAUNCH_SPEC_MAX_SIZE) {
        return ERROR_OUT_OF_RANGE;
    }
    for (size_t offset = 0; offset < spec_length; offset += LAUNCH_SPEC_BYTES_PER_MESSAGE) {
        size_t bytes =
            spec_length - offset < LAUNCH_SPEC_BYTES_PER_MESSAGE ? spec_length - offset : LAUNCH_SPEC_BYTES_PER_MESSAGE;
        utcb()->message[0] = offset;
        utcb()->message[1] = bytes;
        memcpy(&utcb()->message[2], spec + offset, bytes);
        enum error error =
            request(launcher, LABEL_LAUNCH_SPEC_WRITE, 2 + (unsigned)((bytes + 7) / 8), &reply, reason, reason_size);
        if (error != ERROR_NONE) {
            return error;
        }
    }
    utcb()->message[0] = spec_length;
    utcb()->message[1] = launch->task_slot;
    memcpy(&utcb()->message[2], launch->file_sizes, LAUNCH_MAX_FILES * sizeof(uint64_t));
    utcb()->message[2 + LAUNCH_MAX_FILES] = launch->control_slot;
    enum error error = request(launcher, LABEL_LAUNCH_CREATE, 3 + LAUNCH_MAX_FILES, &reply, reason, reason_size);
    if (error != ERROR_NONE) {
        return error;
    }
    if (MESSAGE_TAG_WORDS(reply.tag) < 1 + LAUNCH_MAX_FILES) {
        return ERROR_INVALID_ARGUMENT;
    }
    created->handle = utcb()->message[0];
    memcpy(created->file_addresses, &utcb()->message[1], sizeof(created->file_addresses));
    return ERROR_NONE;
}

/* An operation on one handle without results. */
static enum error on_handle(uint64_t launcher, uint64_t operation, uint64_t handle, char *reason, size_t reason_size)
{
    struct invoke_result reply;
    utcb()->message[0] = handle;
    return request(launcher, operation, 1, &reply, reason, reason_size);
}

enum error launcher_run(uint64_t launcher, uint64_t handle, char *reason, size_t reason_size)
{
    return on_handle(launcher, LABEL_LAUNCH_RUN, handle, reason, reason_size);
}

enum error launcher_stop(uint64_t launcher, uint64_t handle, char *reason, size_t reason_size)
{
    return on_handle(launcher, LABEL_LAUNCH_STOP, handle, reason, reason_size);
}

enum error launcher_release(uint64_t launcher, uint64_t handle, char *reason, size_t reason_size)
{
    return on_handle(launcher, LABEL_LAUNCH_RELEASE, handle, reason, reason_size);
}

enum error launcher_status(uint64_t launcher, uint64_t handle, enum launch_state *state, uint64_t *kernel_memory,
                           char *reason, size_t reason_size)
{
    struct invoke_result reply;
    utcb()->message[0] = handle;
    enum error error = request(launcher, LABEL_LAUNCH_STATUS, 1, &reply, reason, reason_size);
    if (error != ERROR_NONE) {
        return error;
    }
    if (MESSAGE_TAG_WORDS(reply.tag) < 3) {
        return ERROR_INVALID_ARGUMENT;
    }
    *state = (enum launch_state)utcb()->message[0];
    *kernel_memory = utcb()->message[1];
    copy_reason(&reply, 2, reason, reason_size);
    return ERROR_NONE;
}

enum error launcher_host_memory(uint64_t launcher, struct launch_host_memory *memory)
{
    struct invoke_result reply;
    enum error error = request(launcher, LABEL_LAUNCH_HOST_MEMORY, 0, &reply, NULL, 0);
    if (error != ERROR_NONE) {
        return error;
    }
    if (MESSAGE_TAG_WORDS(reply.tag) < 4) {
        return ERROR_INVALID_ARGUMENT;
    }
    memory->total_bytes = utcb()->message[0];
    memory->free_bytes = utcb()->message[1];
    memory->launcher_limit_bytes = utcb()->message[2];
    memory->launcher_used_bytes = utcb()->message[3];
    return ERROR_NONE;
}
