/* See api_model_testing.h. */
#include "api_model_testing.h"

#include <mbedtls/sha256.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fake_now_ms(void *context)
{
    const struct fake_clock *clock = context;
    return clock->now_ms;
}

struct unix_clock fake_clock_interface(struct fake_clock *clock)
{
    return (struct unix_clock){.now_ms = fake_now_ms, .context = clock};
}

void counting_allocator_init(struct counting_allocator *allocator)
{
    memset(allocator, 0, sizeof(*allocator));
    allocator->allocations_left = SIZE_MAX;
}

static void *counting_allocate(void *context, size_t bytes)
{
    struct counting_allocator *allocator = context;
    allocator->allocate_calls++;
    if (bytes == 0 || bytes % IMAGE_PAGE_BYTES != 0) {
        allocator->misuses++;
    }
    if (allocator->allocations_left == 0) {
        return NULL;
    }
    for (size_t i = 0; i < COUNTING_ALLOCATOR_MAX_LIVE; i++) {
        if (!allocator->blocks[i].memory) {
            void *memory = aligned_alloc(IMAGE_PAGE_BYTES, bytes);
            if (!memory) {
                return NULL;
            }
            allocator->blocks[i].memory = memory;
            allocator->blocks[i].bytes = bytes;
            allocator->allocations_left--;
            allocator->live++;
            allocator->live_bytes += bytes;
            return memory;
        }
    }
    return NULL;
}

static void counting_release(void *context, void *memory, size_t bytes)
{
    struct counting_allocator *allocator = context;
    for (size_t i = 0; i < COUNTING_ALLOCATOR_MAX_LIVE; i++) {
        if (allocator->blocks[i].memory == memory && memory) {
            if (allocator->blocks[i].bytes != bytes) {
                allocator->misuses++;
            }
            free(memory);
            allocator->blocks[i].memory = NULL;
            allocator->live--;
            allocator->live_bytes -= allocator->blocks[i].bytes;
            return;
        }
    }
    allocator->misuses++;
}

struct image_allocator counting_allocator_interface(struct counting_allocator *allocator)
{
    return (struct image_allocator){.allocate = counting_allocate, .release = counting_release, .context = allocator};
}

void sha256_hex(const void *bytes, size_t length, char hex[IMAGE_SHA256_HEX_LENGTH + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char digest[32];
    mbedtls_sha256_ret(bytes, length, digest, 0);
    for (size_t i = 0; i < sizeof(digest); i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 0xf];
    }
    hex[IMAGE_SHA256_HEX_LENGTH] = '\0';
}

enum api_status upload_image(struct image_store *store, const void *content, size_t length, size_t chunk_bytes,
                             const char *display_name, const struct image_record **image, struct api_error *error)
{
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex(content, length, sha256);
    struct image_upload upload = {0};
    struct image_upload_header header = {.size_bytes = length, .sha256 = sha256, .display_name = display_name};
    enum api_status status = image_upload_begin(store, &upload, &header, error);
    for (size_t offset = 0; status == API_STATUS_OK && offset < length; offset += chunk_bytes) {
        size_t chunk = length - offset < chunk_bytes ? length - offset : chunk_bytes;
        status = image_upload_append(&upload, (const uint8_t *)content + offset, chunk, error);
    }
    if (status == API_STATUS_OK) {
        status = image_upload_finish(&upload, image, error);
    }
    image_upload_abandon(&upload);
    return status;
}

void fill_pattern(uint8_t *bytes, size_t length, uint32_t seed)
{
    for (size_t i = 0; i < length; i++) {
        bytes[i] = (uint8_t)(i * 31 + seed * 7 + (i >> 8));
    }
    memcpy(bytes, &seed, length < sizeof(seed) ? length : sizeof(seed));
}
