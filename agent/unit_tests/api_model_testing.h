/* What the API model's host tests share: a clock the test sets, a page allocator that counts what it hands out and
 * checks what it gets back, SHA-256 in hex, and a whole image upload. */
#ifndef AGENT_UNIT_TESTS_API_MODEL_TESTING_H
#define AGENT_UNIT_TESTS_API_MODEL_TESTING_H

#include "agent/image_store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fake_clock {
    uint64_t now_ms;
};

struct unix_clock fake_clock_interface(struct fake_clock *clock);

#define COUNTING_ALLOCATOR_MAX_LIVE 300

struct counting_allocator {
    size_t allocations_left; /* allocate returns NULL once this reaches 0 */
    size_t allocate_calls;
    size_t live;       /* allocations not released */
    size_t live_bytes; /* their bytes */
    size_t misuses;    /* a size that is not whole pages, or a release that does not match an allocation */
    struct {
        void *memory;
        size_t bytes;
    } blocks[COUNTING_ALLOCATOR_MAX_LIVE];
};

/* An allocator without a limit on allocations. */
void counting_allocator_init(struct counting_allocator *allocator);

struct image_allocator counting_allocator_interface(struct counting_allocator *allocator);

/* The lowercase hex SHA-256 of bytes. */
void sha256_hex(const void *bytes, size_t length, char hex[IMAGE_SHA256_HEX_LENGTH + 1]);

/* Uploads content with its own size and SHA-256 in the header, in chunks of chunk_bytes; *image on OK. */
enum api_status upload_image(struct image_store *store, const void *content, size_t length, size_t chunk_bytes,
                             const char *display_name, const struct image_record **image, struct api_error *error);

/* Fills bytes with a pattern that starts with seed's 4 bytes: distinct seeds, distinct content (from 4 bytes on). */
void fill_pattern(uint8_t *bytes, size_t length, uint32_t seed);

#endif
