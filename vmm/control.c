#include "control.h"

#include "arch.h"

#include <kapsel/launcher.h>
#include <kapsel/vmm_control.h>
#include <stdio.h>
#include <string.h>

/* Queued senders a poll takes at most: each is taken off the queue, but a busy launcher must not hold the vCPU. */
#define MESSAGES_PER_POLL 4

void control_request_shutdown(struct vm *vm)
{
    vm->shutdown_requests++;
    bool first = vm->shutdown_requests == 1;
    if (first) {
        printf("uvmm: shutdown requested: pressing Ctrl-Alt-Del\n");
    }
    const char *not_delivered = arch_platform_request_shutdown(vm);
    if (first && not_delivered) {
        printf("uvmm: Ctrl-Alt-Del not delivered: %s\n", not_delivered);
    }
}

void control_message(struct vm *vm, struct invoke_result message)
{
    if (message.label == LAUNCH_LABEL_CONTROL && MESSAGE_TAG_LABEL(message.tag) == LABEL_VMM_SHUTDOWN_REQUEST) {
        control_request_shutdown(vm);
    }
}

void control_poll(struct vm *vm)
{
    uint64_t now = vm->vcpu->host_ticks;
    if (now == vm->control_polled_at) {
        return;
    }
    vm->control_polled_at = now;
    for (unsigned i = 0; i < MESSAGES_PER_POLL; i++) {
        struct invoke_result message = ipc_wait(TIMEOUTS(0, TIMEOUT_POLL));
        if (message.error != ERROR_NONE) {
            return; /* nothing waiting */
        }
        control_message(vm, message);
    }
}

static void line_written(void *context, const char *line)
{
    struct control_line_trigger *trigger = context;
    if (!trigger->fired && strstr(line, trigger->text)) {
        trigger->fired = true;
        control_request_shutdown(trigger->vm);
    }
}

void control_shutdown_after_line(struct control_line_trigger *trigger, struct console_lines *lines, struct vm *vm,
                                 const char *text)
{
    *trigger = (struct control_line_trigger){.vm = vm, .text = text, .fired = false};
    console_lines_observe(lines, line_written, trigger);
}
