/*
 * The launch protocol: how a Micro-App whose manifest gives it "capability launcher memory=<size>" (the agent) asks
 * the root task to start further Micro-Apps (each VM's uvmm) while the system runs. A convention between the root
 * task (roottask/launch_service.c) and launchers (lib/runtime/launcher.c), not kernel ABI.
 *
 * A launch spec is one Micro-App block of the boot manifest's grammar (roottask/manifest.h). What the launched app
 * may hold is bounded by its launcher: its factory is created from the launcher's own, so its quota is part of the
 * launcher's; its heap counts against the launcher's memory=<size>; its priority is at most the launcher's; "log"
 * is a gate to the launcher's main thread (not to the root task), so the launcher alone sees what it writes;
 * "peer:<app>", "scheduler" and the other sources only if the launcher's own manifest names the same; no "launcher".
 * Its "file" and "shared" lines are memory the launcher supplies: it gives the files' sizes, receives the app's task
 * capability and maps the files itself (read-only) at the addresses the reply names, and each shared region
 * (read-write, e.g. a network port's rings that it also gives the switch) at APP_SHARED_ADDRESS + i *
 * APP_SHARED_MAX_SIZE, before it runs the app. It may also receive a gate to the app's main thread (the "control
 * gate"), through which the app receives the launcher's messages with the label LAUNCH_LABEL_CONTROL.
 *
 * Messages (to the launcher capability; words; the reply's label is an enum error, and a refused request's reply
 * words carry the reason as text: [0] length, [1..] bytes):
 *
 *   LAUNCH_SPEC_WRITE   [0] offset, [1] byte count (<= LAUNCH_SPEC_BYTES_PER_MESSAGE), [2..] bytes: part of the
 *                       spec, kept by the root task for this launcher (at most LAUNCH_SPEC_MAX_SIZE in all)
 *   LAUNCH_CREATE       [0] spec length, [1] the launcher's slot for the app's task capability, [2..5] the sizes
 *                       of its files in spec order, [6] the launcher's slot for the control gate (0: none)
 *                       → [0] handle, [1..4] the address of each file in the app.
 *                       The app exists but does not run; its task capability (RIGHT_READ | RIGHT_WRITE) and the
 *                       control gate (RIGHT_WRITE | RIGHT_GRANT) are in the launcher's slots.
 *   LAUNCH_RUN          [0] handle: starts its main thread.
 *   LAUNCH_STOP         [0] handle: ends it now ("stopped by its launcher").
 *   LAUNCH_STATUS       [0] handle → [0] LAUNCH_STATE_*, [1] kernel memory its factory holds (bytes, while it
 *                       lives), [2] reason length, [3..] why it ended ("exited with status 0", "stopped: page
 *                       fault at ...").
 *   LAUNCH_RELEASE      [0] handle: forgets an ended app (its handle may then name a new one).
 *   LAUNCH_HOST_MEMORY  → [0] physical memory the kernel manages, [1] free now, [2] the launcher's memory=<size>,
 *                       [3] what its live launched apps hold of it (bytes): for a launcher that reports the host.
 *
 * The launcher's main thread receives, with these gate labels: LAUNCH_LABEL_LOG | handle, LABEL_LOG_WRITE messages
 * from the app's "log" capability (as the root task's log service does; answer them, or the app waits); and
 * LAUNCH_LABEL_ENDED | handle, an Irq message once the app has ended (ask LAUNCH_STATUS why, then LAUNCH_RELEASE).
 */
#ifndef KAPSEL_LAUNCHER_H
#define KAPSEL_LAUNCHER_H

#include <kapsel/error.h>
#include <stddef.h>
#include <stdint.h>

#define LABEL_LAUNCH_SPEC_WRITE 0x20ull
#define LABEL_LAUNCH_CREATE 0x21ull
#define LABEL_LAUNCH_RUN 0x22ull
#define LABEL_LAUNCH_STOP 0x23ull
#define LABEL_LAUNCH_STATUS 0x24ull
#define LABEL_LAUNCH_RELEASE 0x25ull
#define LABEL_LAUNCH_HOST_MEMORY 0x26ull

#define LAUNCH_SPEC_MAX_SIZE 4096
#define LAUNCH_SPEC_BYTES_PER_MESSAGE 480
#define LAUNCH_MAX_FILES 8
#define LAUNCH_REASON_SIZE 192 /* reasons are at most 191 bytes */

#define LAUNCH_LABEL_CONTROL 0x43000ull /* the launcher's messages to the app, through its control gate */
#define LAUNCH_LABEL_LOG 0x4c000ull     /* | handle */
#define LAUNCH_LABEL_ENDED 0x4e000ull   /* | handle */
/* A launched app's "peer:<app>" gate carries this | handle (a boot app's carries its manifest index, below 0x1000):
 * the peer can tell apps its launcher vouches for from those the boot manifest names. */
#define LAUNCH_LABEL_LAUNCHED_PEER 0x50000ull
#define LAUNCH_LABEL_KIND_MASK 0xff000ull
#define LAUNCH_LABEL_HANDLE_MASK 0x00fffull

enum launch_state {
    LAUNCH_STATE_CREATED = 1,
    LAUNCH_STATE_RUNNING = 2,
    LAUNCH_STATE_ENDED = 3,
};

/* Where a launched app's files are (LAUNCH_CREATE's reply). */
struct launch_created {
    uint64_t handle;
    uint64_t file_addresses[LAUNCH_MAX_FILES];
};

/*
 * Client side (lib/runtime/launcher.c), over the launcher capability in slot launcher. Each returns the root task's
 * answer; on a refusal the reason is copied into reason (reason_size bytes, NUL-terminated) when reason is not NULL.
 */

/* What LAUNCH_CREATE needs besides the spec. */
struct launch_request {
    const char *spec;
    size_t spec_length;
    uint64_t task_slot;    /* where the app's task capability lands */
    uint64_t control_slot; /* where the control gate lands; 0: none */
    uint64_t file_sizes[LAUNCH_MAX_FILES];
};

/* Sends the spec and creates the app. */
enum error launcher_create(uint64_t launcher, const struct launch_request *request, struct launch_created *created,
                           char *reason, size_t reason_size);
enum error launcher_run(uint64_t launcher, uint64_t handle, char *reason, size_t reason_size);
enum error launcher_stop(uint64_t launcher, uint64_t handle, char *reason, size_t reason_size);
/* The app's state, kernel memory and, once ended, why (into reason). */
enum error launcher_status(uint64_t launcher, uint64_t handle, enum launch_state *state, uint64_t *kernel_memory,
                           char *reason, size_t reason_size);
enum error launcher_release(uint64_t launcher, uint64_t handle, char *reason, size_t reason_size);

/* The host's memory as LAUNCH_HOST_MEMORY reports it. */
struct launch_host_memory {
    uint64_t total_bytes;
    uint64_t free_bytes;
    uint64_t launcher_limit_bytes;
    uint64_t launcher_used_bytes;
};
enum error launcher_host_memory(uint64_t launcher, struct launch_host_memory *memory);

#endif
