/*
 * The files an app's manifest names ("file <name>", manifest.h): found in the
 * boot modules, laid out from APP_FILES_ADDRESS one after another (each from a
 * page boundary) and mapped into the app read-only: not writable, not
 * executable. Each boot file is copied once into fresh pages of the root task
 * (a copy slot at ROOT_FILE_COPIES_BASE, root_memory.h) and mapped from there
 * into every app that names it, so ten VMs booting the same kernel hold one
 * copy of it; app_files_release, from microapp_end, frees a copy with the
 * last app that holds it.
 */
#ifndef ROOTTASK_APP_FILES_H
#define ROOTTASK_APP_FILES_H

#include "boot_modules.h"
#include "microapp.h"

#include <stddef.h>

/*
 * Lays out files of these sizes (in manifest order) from APP_FILES_ADDRESS: sets app->files[i]'s address and size
 * and app->file_pages. Refuses files that together (each rounded up to pages) exceed APP_FILES_MAX_SIZE; on failure
 * *failed is the index of the file at fault and *reason says why.
 */
enum error app_files_place(struct microapp *app, const uint64_t sizes[MANIFEST_MAX_FILES], size_t *failed,
                           const char **reason);

/*
 * Finds each of the app's files (found[i] for manifest file i) and sets
 * app->files[i]: address and size. Refuses files that together (each rounded
 * up to pages) exceed APP_FILES_MAX_SIZE. On failure *failed is the index of
 * the file at fault and *reason says why.
 */
enum error app_files_find(struct microapp *app, const struct root_boot_info *boot_info,
                          struct boot_file found[MANIFEST_MAX_FILES], size_t *failed, const char **reason);

/*
 * Maps the files app_files_find found into the app's task with MEMORY_READ only, in the largest blocks whose
 * alignment both the copy and the app's address allow, from the root task's copy of each (made now if no live
 * app holds one: the rest of its last page zero). Records each copy in app->files[i].copy_held as it takes it, so that
 * app_files_release frees what a failure leaves. On failure *failed and *reason as above.
 */
enum error app_files_load(struct microapp *app, const struct boot_file found[MANIFEST_MAX_FILES], size_t *failed,
                          const char **reason);

/* The app is gone: drops its hold on its files' copies and frees those no other app holds. */
void app_files_release(struct microapp *app);

#endif
