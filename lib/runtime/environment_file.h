/* Finding the manifest's files and shared regions in an app's environment (pure logic, unit-tested on the host). */
#ifndef RUNTIME_ENVIRONMENT_FILE_H
#define RUNTIME_ENVIRONMENT_FILE_H

#include <kapsel/environment.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Looks up the file the manifest's "file <name>" line gave the app: true with
 * *data = its address and *size = its length in bytes (either pointer may be
 * NULL), or false with *data = NULL and *size = 0. Trusts nothing in the
 * table: an environment whose file_count exceeds APP_MAX_FILES has no files at
 * all, an entry outside [APP_FILES_ADDRESS, APP_FILES_ADDRESS +
 * APP_FILES_MAX_SIZE) or not page-aligned is skipped, and a name that fills
 * its whole field without a NUL still matches exactly. The first of equal
 * names wins.
 */
bool environment_file_find(const struct app_environment *environment, const char *name, const void **data,
                           uint64_t *size);

/*
 * Looks up the region the manifest's "shared <name> <size>" line gave the app,
 * as environment_file_find does files: the same results, and the same
 * distrust, against shared_count, APP_MAX_SHARED and the window
 * [APP_SHARED_ADDRESS, APP_SHARED_ADDRESS + APP_SHARED_WINDOW_SIZE).
 */
bool environment_shared_find(const struct app_environment *environment, const char *name, void **data, uint64_t *size);

#endif
