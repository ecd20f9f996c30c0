/*
 * The root task's service loop, on its main thread: one open wait for
 * everything that arrives through its gates, told apart by the gate label
 * (GATE_LABEL in microapp.h): page faults, exceptions and exit through the
 * pager gates, log lines through the log gates. Each message is handled to
 * the end (reply or not) before the next is taken, so nothing in the root
 * task runs concurrently.
 *
 * Build with -DROOTTASK_TRACE=1 to print every message received and every
 * reply sent.
 */
#ifndef ROOTTASK_SERVER_H
#define ROOTTASK_SERVER_H

#include "microapp.h"

#include <stddef.h>

/*
 * Serves the apps forever (apps[0..capacity): the boot manifest's, then free entries for launched ones); prints
 * "roottask: all Micro-Apps finished" once none is left running.
 */
_Noreturn void server_run(struct microapp *apps, size_t capacity);

#endif
