#include "server.h"

#include "launch_service.h"
#include "log_service.h"
#include "pager.h"
#include "root_memory.h"

#include <kapsel/environment.h>
#include <kapsel/syscall.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#ifndef ROOTTASK_TRACE
#define ROOTTASK_TRACE 0
#endif

#define FOREVER TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER)
#define ERROR_REPLY_TAG(error) MESSAGE_TAG((error), 0, 0)

/*
 * The message being handled, copied out of the UTCB at once: every system
 * call the root task makes meanwhile (printf's console writes, memory and
 * object operations) reuses the UTCB's message registers. Handlers read it
 * and leave their reply's words and items in it; the loop copies the reply
 * back just before it sends it.
 */
static uint64_t message[MESSAGE_REGISTERS];

/* What the loop does after one message: answer it (with tag and message[]), or take the next one. */
struct answer {
    bool reply;
    uint64_t tag;
    const struct microapp *to; /* for messages about a failed reply */
};

/* Registers a tag covers (words, then two per item), at most all of them. */
static size_t registers_of(uint64_t tag)
{
    size_t count = MESSAGE_TAG_WORDS(tag) + 2 * (size_t)MESSAGE_TAG_ITEMS(tag);
    return count < MESSAGE_REGISTERS ? count : MESSAGE_REGISTERS;
}

/* The running app a gate label names, or NULL (a stale or forged label). */
static struct microapp *app_of(struct microapp *apps, size_t app_count, uint64_t label)
{
    uint64_t index = label & GATE_LABEL_INDEX_MASK;
    if ((label & ~(uint64_t)(GATE_LABEL_KIND_MASK | GATE_LABEL_INDEX_MASK)) != 0 || index >= app_count ||
        apps[index].state != MICROAPP_RUNNING) {
        return NULL;
    }
    return &apps[index];
}

static struct answer dispatch(struct microapp *apps, size_t app_count, struct invoke_result received)
{
    struct microapp *app = app_of(apps, app_count, received.label);
    struct answer answer = {.reply = true, .tag = ERROR_REPLY_TAG(ERROR_INVALID_ARGUMENT), .to = app};
    if (!app) {
        printf("roottask: message with label 0x%llx from no running app refused\n", (unsigned long long)received.label);
        return answer;
    }
    switch (received.label & GATE_LABEL_KIND_MASK) {
    case GATE_LABEL_PAGER:
        answer.reply = pager_handle(app, received.tag, message, &answer.tag);
        break;
    case GATE_LABEL_LOG: {
        enum error error = MESSAGE_TAG_LABEL(received.tag) == LABEL_LOG_WRITE
                               ? log_service_write(app->manifest->name, &app->log, received.tag, message)
                               : ERROR_INVALID_OPERATION;
        answer.tag = ERROR_REPLY_TAG(error);
        break;
    }
    case GATE_LABEL_LAUNCHER:
        launch_service_handle(app, received.tag, message, &answer.tag);
        break;
    default:
        break; /* a label the root task never gave out: refused */
    }
    return answer;
}

static bool all_finished(const struct microapp *apps, size_t app_count)
{
    for (size_t i = 0; i < app_count; i++) {
        if (apps[i].state != MICROAPP_FINISHED && apps[i].state != MICROAPP_UNUSED) {
            return false;
        }
    }
    return true;
}

static void trace_received(struct invoke_result received)
{
    if (ROOTTASK_TRACE) {
        unsigned words = MESSAGE_TAG_WORDS(received.tag);
        printf("roottask: trace: received label 0x%llx tag 0x%llx (operation 0x%llx, %u words):",
               (unsigned long long)received.label, (unsigned long long)received.tag,
               (unsigned long long)MESSAGE_TAG_LABEL(received.tag), words);
        for (unsigned i = 0; i < words && i < 4; i++) {
            printf(" 0x%llx", (unsigned long long)message[i]);
        }
        printf("\n");
    }
}

static void trace_answer(struct answer answer)
{
    if (ROOTTASK_TRACE) {
        if (answer.reply) {
            printf("roottask: trace: reply tag 0x%llx\n", (unsigned long long)answer.tag);
        } else {
            printf("roottask: trace: no reply\n");
        }
    }
}

_Noreturn void server_run(struct microapp *apps, size_t app_count)
{
    struct answer answer = {.reply = false};
    bool announced = false;
    for (;;) {
        if (!announced && all_finished(apps, app_count)) {
            printf("roottask: %llu KiB of memory free\n", (unsigned long long)root_free_memory_kib());
            printf("roottask: all Micro-Apps finished\n");
            announced = true;
        }
        if (answer.reply) {
            memcpy(utcb()->message, message, registers_of(answer.tag) * sizeof(uint64_t));
        }
        struct invoke_result received = answer.reply ? ipc_reply_and_wait(answer.tag, FOREVER) : ipc_wait(FOREVER);
        if (received.error != ERROR_NONE) {
            /*
             * An open wait without timeout does not fail, so this is the reply
             * (the kernel then skips the wait). A page-fault reply that could
             * not be mapped comes back as an exception from the app itself.
             */
            if (!answer.reply || received.error != ERROR_NO_CALLER) {
                const char *partner = answer.to ? answer.to->manifest->name : "an unknown sender";
                printf("roottask: %s%s failed: %s\n", answer.reply ? "reply to " : "wait", answer.reply ? partner : "",
                       error_name(received.error));
            }
            answer.reply = false;
            continue;
        }
        memcpy(message, utcb()->message, registers_of(received.tag) * sizeof(uint64_t));
        trace_received(received);
        answer = dispatch(apps, app_count, received);
        trace_answer(answer);
    }
}
