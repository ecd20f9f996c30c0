/*
 * The switch's side of its control protocol (kapsel/switch_control.h): answers each control request with the port
 * table (ports.h) and the receive windows (receive_window.h), and unmaps the items of every message that is not an
 * accepted ATTACH.
 */
#ifndef SWITCH_CONTROL_H
#define SWITCH_CONTROL_H

#include <kapsel/syscall.h>
#include <stdbool.h>

/*
 * Serves the message the switch's wait returned (received), whose items landed in receive window pair: a control
 * request is answered (refused with ERROR_INVALID_OPERATION when enabled is false: no --control); a wakeup is left
 * alone.
 */
void control_serve(struct invoke_result received, unsigned pair, bool enabled);

#endif
