#include "guest_image.h"

#include <stddef.h>
#include <string.h>

/* Generated from test_guest/test_guest.S (see BUILD). */
extern const unsigned char test_guest_image[];
extern const unsigned long test_guest_image_size;

/* In the order test_guest.S numbers them: the guest finds the number in ebx. */
static const char *const test_guest_scenarios[] = {"basic",  "out_of_ram", "triple_fault",     "spin",
                                                   "ticker", "paged_mmio", "virtio_bad_queue", "virtio_bad_register",
                                                   NULL};

static const struct guest_image images[] = {
    {
        .name = "test_guest",
        .bytes = test_guest_image,
        .size = &test_guest_image_size,
        .load_address = 0x8000,
        .entry = 0x8000,
        .scenarios = test_guest_scenarios,
    },
};

const struct guest_image *guest_image_find(const char *name)
{
    for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
        if (strcmp(images[i].name, name) == 0) {
            return &images[i];
        }
    }
    return NULL;
}

uint64_t guest_image_scenario(const struct guest_image *image, const char *scenario)
{
    for (uint64_t i = 0; image->scenarios && image->scenarios[i]; i++) {
        if (strcmp(image->scenarios[i], scenario) == 0) {
            return i + 1;
        }
    }
    return 0;
}
