/*
 * The regions an app's manifest shares with other apps ("shared <name>
 * <size>", manifest.h). Region r of the manifest has one set of pages, in the
 * root task at ROOT_SHARED_BASE + r * APP_SHARED_MAX_SIZE (root_memory.h):
 * allocated zeroed by the first app created with it, mapped into each app
 * that names it read-write (the app's i-th region at APP_SHARED_ADDRESS + i *
 * APP_SHARED_MAX_SIZE), and freed when the last app holding it finishes.
 */
#ifndef ROOTTASK_APP_SHARED_H
#define ROOTTASK_APP_SHARED_H

#include "microapp.h"

#include <stddef.h>
#include <stdint.h>

/* Where the app's i-th shared region lies in the app. */
uint64_t app_shared_address(size_t i);

/*
 * Allocates the pages of the app's regions that are not there yet and maps
 * each region into the app's task with MEMORY_READ | MEMORY_WRITE, in the
 * largest aligned blocks that fit. On failure *failed is the index of the
 * region at fault and *reason says why; microapp_end releases the rest.
 */
enum error app_shared_load(struct microapp *app, size_t *failed, const char **reason);

/*
 * Frees the root task's pages of each of the app's regions that no other live
 * app (created, granted or running) names: for microapp_end, once the
 * app's task is gone. Regions never allocated are skipped by the kernel.
 */
void app_shared_release(const struct microapp *app);

#endif
