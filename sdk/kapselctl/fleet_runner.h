/* Running one task per host of a fleet on threads, at most FLEET_MAX_THREADS at once (the caller's included), and
 * waiting for all. */
#ifndef KAPSELCTL_FLEET_RUNNER_H
#define KAPSELCTL_FLEET_RUNNER_H

#include <stddef.h>

#define FLEET_MAX_THREADS 16

/* Does host host_index's part; shared is the caller's (each task writes only its own host's results). */
typedef void (*fleet_task_fn)(void *shared, size_t host_index);

/* Runs task for hosts 0..host_count-1 and returns when every one has ended. Where threads cannot be had, the calling
 * thread runs the tasks itself. */
void fleet_run(size_t host_count, fleet_task_fn task, void *shared);

#endif
