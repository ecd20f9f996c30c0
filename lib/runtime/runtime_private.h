/*
 * Between the parts of the runtime: what the start path (start.c for
 * Micro-Apps, root_start.c for the root task; a program links exactly one)
 * sets up or provides for newlib_glue.c.
 */
#ifndef RUNTIME_PRIVATE_H
#define RUNTIME_PRIVATE_H

#include "heap.h"

#include <stddef.h>
#include <stdint.h>

/* The window sbrk() hands out; set up by the start path before anything can allocate. */
extern struct heap runtime_heap;

/* The Scheduler capability gettimeofday() reads ticks from; 0: there is no clock. */
extern uint64_t runtime_scheduler;

/* Sends program output (stdout and stderr) on; returns how many bytes were taken, less on a failure. */
size_t runtime_write_output(const char *bytes, size_t length);

/* Ends the program with status (what _exit does); never returns. */
_Noreturn void runtime_exit(int status);

/* Blocks the calling thread for good: the last resort when the program cannot end. */
_Noreturn void runtime_stop(void);

/* newlib: runs the constructors (.preinit_array, .init_array), and the destructors (.fini_array). */
void __libc_init_array(void);
void __libc_fini_array(void);

#endif
