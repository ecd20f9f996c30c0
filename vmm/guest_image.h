/*
 * The guest images built into the uvmm (flat binaries embedded at build time
 * by build/bazel/embed_file.py), and how each is started.
 */
#ifndef VMM_GUEST_IMAGE_H
#define VMM_GUEST_IMAGE_H

#include <stdint.h>

struct guest_image {
    const char *name;
    const unsigned char *bytes;
    const unsigned long *size;    /* the generated size variable */
    uint64_t load_address;        /* guest-physical */
    uint64_t entry;               /* guest-physical, 32-bit protected mode */
    const char *const *scenarios; /* NULL-terminated: what --scenario may name; NULL if the image takes none */
};

/* The built-in image called name, or NULL. */
const struct guest_image *guest_image_find(const char *name);

/* The boot argument that selects scenario: its position in image->scenarios from 1, or 0 if it has none such. */
uint64_t guest_image_scenario(const struct guest_image *image, const char *scenario);

#endif
