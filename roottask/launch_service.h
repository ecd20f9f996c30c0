/*
 * The launch service: what arrives through a launcher's gate (the manifest's "capability launcher memory=<size>"):
 * creating, running, stopping and forgetting further Micro-Apps while the system runs, as kapsel/launcher.h
 * describes. A launched app takes a free entry of the root task's app table after the boot manifest's apps; its
 * handle is that entry's index. Everything a launched app holds is checked against what its launcher holds before
 * anything is created (launch_service_check).
 */
#ifndef ROOTTASK_LAUNCH_SERVICE_H
#define ROOTTASK_LAUNCH_SERVICE_H

#include "manifest.h"
#include "microapp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The app table (apps[0..boot->app_count) are the boot manifest's, the rest free for launches) and the boot files. */
void launch_service_init(struct microapp *apps, size_t capacity, const struct manifest *boot,
                         const struct root_boot_info *boot_info);

/*
 * Handles one message (tag and message registers as received) from launcher. Always answered: the reply's tag in
 * *reply_tag, its words in message[].
 */
void launch_service_handle(struct microapp *launcher, uint64_t tag, uint64_t *message, uint64_t *reply_tag);

/* app has ended: if it launched apps, they end too ("its launcher ended"), as nothing could read their logs. */
void launch_service_launcher_ended(const struct microapp *app);

/*
 * NULL if launcher may launch spec (an app whose heap is memory_in_use away from the launcher's limit), else why
 * not: a capability its launcher does not hold, a priority above its own, a heap beyond its memory, "launcher".
 */
const char *launch_service_check(const struct manifest_app *launcher, const struct manifest_app *spec,
                                 uint64_t memory_in_use);

#endif
