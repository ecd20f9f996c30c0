/*
 * The files an app's manifest names ("file <name>", manifest.h): found in the
 * boot modules, laid out from APP_FILES_ADDRESS one after another (each from a
 * page boundary), copied into fresh pages of the root task's scratch window
 * (SCRATCH_FILES_OFFSET mirrors APP_FILES_ADDRESS, root_memory.h) and mapped
 * on to the app read-only: not writable, not executable. The root task keeps
 * its copies while the app lives; microapp_finish releases them
 * (app->file_pages from the mirror's start).
 */
#ifndef ROOTTASK_APP_FILES_H
#define ROOTTASK_APP_FILES_H

#include "boot_modules.h"
#include "microapp.h"

#include <stddef.h>

/*
 * Finds each of the app's files (found[i] for manifest file i) and sets
 * app->files[i]: address and size. Refuses files that together (each rounded
 * up to pages) exceed APP_FILES_MAX_SIZE. On failure *failed is the index of
 * the file at fault and *reason says why.
 */
enum error app_files_find(struct microapp *app, const struct root_boot_info *boot_info,
                          struct boot_file found[MANIFEST_MAX_FILES], size_t *failed, const char **reason);

/*
 * Copies the files app_files_find found into the root task's pages (the rest
 * of each last page zero) and maps them into the app's task with MEMORY_READ
 * only, in the largest aligned blocks that fit. Sets app->file_pages first, so
 * that whatever was allocated before a failure is released by microapp_finish.
 * On failure *failed and *reason as above.
 */
enum error app_files_load(struct microapp *app, const struct boot_file found[MANIFEST_MAX_FILES], size_t *failed,
                          const char **reason);

#endif
