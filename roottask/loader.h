/*
 * The ELF loader: the PT_LOAD segments of a checked image (elf_image_parse)
 * into an app's task. Each page is allocated in the root task's scratch
 * window (root_memory.h), filled with the file's bytes (the rest stays zero:
 * fresh pages are zeroed), and mapped on to the app at the segment's address
 * with the segment's rights. A page two segments share gets both segments'
 * rights. The root task's copy of a code page is also writable (it has to
 * write the code there) and executable (a mapping can only pass on rights its
 * source has); the root task never executes it.
 */
#ifndef ROOTTASK_LOADER_H
#define ROOTTASK_LOADER_H

#include "microapp.h"

#include <kapsel/elf.h>
#include <stdint.h>

/*
 * Loads image (parsed from file) into app's task and sets app->entry,
 * image_base and image_pages. Refuses images that span more than
 * SCRATCH_IMAGE_MAX_SIZE, overlap the app's stack, heap, environment page,
 * UTCB or file window, or have a segment without rights. On failure *reason says why; pages
 * already loaded are released by microapp_end.
 */
enum error loader_load(struct microapp *app, const uint8_t *file, const struct elf_image *image, const char **reason);

#endif
