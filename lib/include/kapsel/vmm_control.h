/*
 * The control protocol between a launcher (the agent) and a uvmm it launched (vmm/), over the uvmm's control gate:
 * the gate to the uvmm's main thread that LAUNCH_CREATE puts into the launcher's control slot (kapsel/launcher.h).
 * The uvmm receives these messages with the gate label LAUNCH_LABEL_CONTROL; the message's own label
 * (MESSAGE_TAG_LABEL of its tag) says what is asked. A convention between launchers and vmm/control.c, not kernel
 * ABI.
 *
 * Delivery: the uvmm's single thread runs the guest, so it takes messages only between guest runs: at least once
 * per kernel tick while the vCPU runs (the kernel hands the vCPU back at every tick), and at once while the guest
 * is halted (the uvmm then sleeps in an open wait that any of its gates ends). Send with ipc_send and a short send
 * timeout (a few ticks, e.g. 20 ms), never TIMEOUT_NEVER: the sender blocks until the uvmm takes the message, and
 * a uvmm whose VM has just ended takes none, nor one that waits for its launcher to answer a log write. A send
 * that timed out was not received; sending again is the remedy.
 * The uvmm answers nothing (a call would wait for its reply timeout). Messages with other labels are ignored: among
 * them a switch port's wakeups (SWITCH_WAKE_LABEL, kapsel/switch_control.h), which come through copies of this gate
 * and need nothing, as the uvmm moves frames before every guest entry anyway. New labels must differ from it.
 *
 * LABEL_VMM_SHUTDOWN_REQUEST   no words, no items.
 *     Asks the guest to shut down the way a user at its console would: the uvmm presses Ctrl-Alt-Del on the VM's
 *     PS/2 keyboard (vmm/arch/x86_64/i8042.c) and, for the first request, prints the line
 *     "uvmm: shutdown requested: pressing Ctrl-Alt-Del" (and "uvmm: Ctrl-Alt-Del not delivered: <why>" if the
 *     guest's keyboard cannot take it: scanning disabled by its driver, earlier keys not read yet). What follows is the
 *     guest's choice: Linux by default reboots, which ends the VM with "guest reset the machine through ...";
 *     an init that handles the SIGINT Linux sends it instead (with kernel.ctrl-alt-del = 0) may power off, which
 *     ends it with "guest powered off ..."; a guest may also ignore it. So the launcher bounds the wait with a
 *     grace period and then stops the uvmm by force (LAUNCH_STOP). Repeating the request until the VM ends is
 *     fine, and how a request that came too early (before the guest's keyboard driver was ready) gets through:
 *     each one presses the keys again once the guest has read those of the one before.
 */
#ifndef KAPSEL_VMM_CONTROL_H
#define KAPSEL_VMM_CONTROL_H

#define LABEL_VMM_SHUTDOWN_REQUEST 0x30ull

#endif
