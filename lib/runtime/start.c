/* The Micro-App start path (see kapsel/runtime.h): environment, arguments, log output and exit. */
#include "arguments.h"
#include "environment_file.h"
#include "named_capability.h"
#include "runtime_private.h"

#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv);

#define ARGUMENT_LINE_SIZE sizeof(((struct app_environment *)0)->arguments)
/* Words need a separator each, so a line holds at most one per two characters. */
#define MAX_ARGUMENTS (ARGUMENT_LINE_SIZE / 2)

static const struct app_environment *environment;
static uint64_t log_capability;

/* Writable, NUL-terminated copies: the environment is read-only and its strings need not end in a NUL. */
static char program_name[APP_NAME_SIZE + 1];
static char argument_line[ARGUMENT_LINE_SIZE + 1];
static char *arguments[1 + MAX_ARGUMENTS + 1]; /* the name, the words, NULL */

_Noreturn void runtime_start(void)
{
    const struct app_environment *mapped = (const struct app_environment *)APP_ENVIRONMENT_ADDRESS;
    if (mapped->magic != APP_ENVIRONMENT_MAGIC ||
        heap_init(&runtime_heap, mapped->heap_base, mapped->heap_size, NULL) != ERROR_NONE) {
        runtime_exit(RUNTIME_EXIT_BAD_ENVIRONMENT);
    }
    environment = mapped;
    log_capability = named_capability_slot(environment, "log");
    runtime_scheduler = named_capability_slot(environment, "scheduler");
    if (runtime_scheduler == 0) {
        runtime_scheduler = named_capability_slot(environment, "clock"); /* enough for the time: it reads */
    }

    memcpy(program_name, environment->name, APP_NAME_SIZE);
    memcpy(argument_line, environment->arguments, ARGUMENT_LINE_SIZE);
    arguments[0] = program_name;
    int count = 1 + arguments_split(argument_line, &arguments[1], MAX_ARGUMENTS);

    __libc_init_array();
    atexit(__libc_fini_array);
    exit(main(count, arguments));
}

uint64_t capability_named(const char *name)
{
    return named_capability_slot(environment, name); /* set before any constructor or main runs */
}

bool environment_file(const char *name, const void **data, uint64_t *size)
{
    return environment_file_find(environment, name, data, size);
}

bool environment_shared(const char *name, void **data, uint64_t *size)
{
    return environment_shared_find(environment, name, data, size);
}

size_t runtime_write_output(const char *bytes, size_t length)
{
    if (log_capability == 0) {
        return length; /* no "log" capability: the output is dropped, as kapsel/runtime.h says */
    }
    size_t written = 0;
    while (written < length) {
        size_t chunk = length - written < LOG_MAX_BYTES ? length - written : LOG_MAX_BYTES;
        uint64_t *message = utcb()->message;
        message[0] = chunk;
        memcpy(&message[1], bytes + written, chunk);
        unsigned words = 1 + (unsigned)((chunk + sizeof(uint64_t) - 1) / sizeof(uint64_t));
        /* A call, not a send: the log service's reply keeps the app from outrunning it. */
        struct invoke_result reply =
            ipc_call(log_capability, MESSAGE_TAG(LABEL_LOG_WRITE, words, 0), TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER));
        if (reply.error != ERROR_NONE || MESSAGE_TAG_LABEL(reply.tag) != ERROR_NONE) {
            break; /* the reply's label is the service's enum error */
        }
        written += chunk;
    }
    return written;
}

_Noreturn void runtime_exit(int status)
{
    utcb()->message[0] = (uint64_t)(int64_t)status;
    ipc_call(APP_PAGER, MESSAGE_TAG(LABEL_APP_EXIT, 1, 0), TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER));
    runtime_stop(); /* the root task deletes the app instead of answering; there is no other way out */
}
