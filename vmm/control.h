/*
 * The launcher's requests to this uvmm (kapsel/vmm_control.h), through the control gate to its main thread, which
 * also runs the guest: messages are taken between guest runs, by a poll before each entry (at most once per kernel
 * tick, so that the exit path pays one comparison) and by the open wait of a halted guest's sleep. Messages through
 * the uvmm's other gates (a frame link's wakeups) need nothing here: frames move before every entry anyway.
 */
#ifndef VMM_CONTROL_H
#define VMM_CONTROL_H

#include "devices/console_lines.h"
#include "vm.h"

#include <kapsel/syscall.h>
#include <stdbool.h>

/* Before each guest entry: takes the messages waiting at this thread's gates, if a kernel tick has passed since. */
void control_poll(struct vm *vm);

/* A message a wait of this thread received: acts on the launcher's requests, ignores the rest. */
void control_message(struct vm *vm, struct invoke_result message);

/*
 * LABEL_VMM_SHUTDOWN_REQUEST: asks the guest to shut down (arch_platform_request_shutdown). The first request prints
 * "uvmm: shutdown requested: pressing Ctrl-Alt-Del", and why if the keys did not reach the guest's keyboard.
 */
void control_request_shutdown(struct vm *vm);

/* For tests (--shutdown-after-line): a shutdown request once a guest console line contains a text. */
struct control_line_trigger {
    struct vm *vm;
    const char *text;
    bool fired;
};

/* Watches lines (a guest console) for trigger's text; trigger must outlive the VM. */
void control_shutdown_after_line(struct control_line_trigger *trigger, struct console_lines *lines, struct vm *vm,
                                 const char *text);

#endif
