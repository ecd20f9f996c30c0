/* See image_store.h. */
#include "image_store.h"

#include <stdio.h>
#include <string.h>

#define SHA256_DIGEST_BYTES 32

static uint64_t whole_pages(uint64_t bytes)
{
    return (bytes + IMAGE_PAGE_BYTES - 1) / IMAGE_PAGE_BYTES * IMAGE_PAGE_BYTES;
}

static bool is_lowercase_hex(const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

bool image_sha256_is_hex(const char *text)
{
    return strlen(text) == IMAGE_SHA256_HEX_LENGTH && is_lowercase_hex(text, IMAGE_SHA256_HEX_LENGTH);
}

bool image_name_parse(const char *name, char sha256[IMAGE_SHA256_HEX_LENGTH + 1])
{
    size_t prefix_length = strlen(IMAGE_NAME_PREFIX);
    if (strncmp(name, IMAGE_NAME_PREFIX, prefix_length) != 0 || !image_sha256_is_hex(name + prefix_length)) {
        return false;
    }
    memcpy(sha256, name + prefix_length, IMAGE_SHA256_HEX_LENGTH + 1);
    return true;
}

enum api_status image_store_init(struct image_store *store, const struct image_store_config *config,
                                 struct api_error *error)
{
    if (!config->allocator.allocate || !config->allocator.release || !config->clock.now_ms) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "image store: allocator and clock are required");
    }
    /* Bounding the total by half the address space keeps page rounding and size_t conversions exact. */
    if (config->max_image_bytes == 0 || config->max_image_bytes > config->max_total_bytes ||
        config->max_total_bytes > SIZE_MAX / 2) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "image store: limits must be 0 < max_image_bytes <= max_total_bytes <= SIZE_MAX / 2");
    }
    memset(store, 0, sizeof(*store));
    store->config = *config;
    return API_STATUS_OK;
}

void image_store_set_users(struct image_store *store, struct image_users users)
{
    store->users = users;
}

static void release_image(struct image_store *store, struct image_record *image)
{
    store->config.allocator.release(store->config.allocator.context, image->memory, image->memory_bytes);
    store->reserved_bytes -= image->memory_bytes;
    store->image_count--;
    memset(image, 0, sizeof(*image));
}

void image_store_destroy(struct image_store *store)
{
    for (size_t i = 0; i < IMAGE_STORE_MAX_IMAGES; i++) {
        if (store->images[i].creation_number != 0) {
            release_image(store, &store->images[i]);
        }
    }
}

const struct image_record *image_store_find_sha256(const struct image_store *store, const char *sha256)
{
    for (size_t i = 0; i < IMAGE_STORE_MAX_IMAGES; i++) {
        const struct image_record *image = &store->images[i];
        if (image->creation_number != 0 && strcmp(image->sha256, sha256) == 0) {
            return image;
        }
    }
    return NULL;
}

static enum api_status validate_header(const struct image_store *store, const struct image_upload_header *header,
                                       struct api_error *error)
{
    char quoted[API_QUOTE_BYTES];
    if (header->size_bytes == 0) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "header.size_bytes: required, 1 byte to the host's limit of %llu bytes",
                             (unsigned long long)store->config.max_image_bytes);
    }
    if (header->size_bytes > store->config.max_image_bytes) {
        return api_error_set(error, API_STATUS_RESOURCE_EXHAUSTED,
                             "header.size_bytes: %llu is above the host's limit of %llu bytes",
                             (unsigned long long)header->size_bytes, (unsigned long long)store->config.max_image_bytes);
    }
    const char *sha256 = header->sha256 ? header->sha256 : "";
    if (!image_sha256_is_hex(sha256)) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "header.sha256: %s is not a SHA-256 in 64 lowercase hex digits",
                             api_quote(quoted, sha256));
    }
    const char *display_name = header->display_name ? header->display_name : "";
    size_t length = strlen(display_name);
    for (size_t i = 0; i < length; i++) {
        if (display_name[i] < 0x20 || display_name[i] > 0x7e) {
            return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                                 "header.display_name: %s has a byte that is not printable ASCII (at %zu)",
                                 api_quote(quoted, display_name), i);
        }
    }
    if (length > IMAGE_DISPLAY_NAME_MAX_LENGTH) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "header.display_name: %zu bytes, at most %d", length,
                             IMAGE_DISPLAY_NAME_MAX_LENGTH);
    }
    return API_STATUS_OK;
}

/* The pages and the place in the table that a new image needs; nothing is taken yet. */
static enum api_status check_room(const struct image_store *store, uint64_t pages_bytes, struct api_error *error)
{
    if (store->image_count + store->uploads_reserving >= IMAGE_STORE_MAX_IMAGES) {
        return api_error_set(error, API_STATUS_RESOURCE_EXHAUSTED,
                             "the image store is full: %zu images stored or being uploaded, its maximum",
                             store->image_count + store->uploads_reserving);
    }
    uint64_t free_bytes = store->config.max_total_bytes - store->reserved_bytes;
    if (pages_bytes > free_bytes) {
        return api_error_set(
            error, API_STATUS_RESOURCE_EXHAUSTED,
            "header.size_bytes: the image store has %llu of its %llu bytes free, this image needs %llu",
            (unsigned long long)free_bytes, (unsigned long long)store->config.max_total_bytes,
            (unsigned long long)pages_bytes);
    }
    return API_STATUS_OK;
}

enum api_status image_upload_begin(struct image_store *store, struct image_upload *upload,
                                   const struct image_upload_header *header, struct api_error *error)
{
    if (upload->state == IMAGE_UPLOAD_RECEIVING) {
        return api_error_set(error, API_STATUS_FAILED_PRECONDITION, "header: the upload has begun already");
    }
    enum api_status status = validate_header(store, header, error);
    if (status != API_STATUS_OK) {
        return status;
    }
    memset(upload, 0, sizeof(*upload));
    upload->store = store;
    upload->size_bytes = header->size_bytes;
    memcpy(upload->sha256, header->sha256, IMAGE_SHA256_HEX_LENGTH + 1);
    if (header->display_name) {
        memcpy(upload->display_name, header->display_name, strlen(header->display_name) + 1);
    }
    /* A stored image needs no second copy: its upload is only hashed, to answer as a new one would. */
    if (!image_store_find_sha256(store, upload->sha256)) {
        uint64_t pages_bytes = whole_pages(header->size_bytes);
        status = check_room(store, pages_bytes, error);
        if (status != API_STATUS_OK) {
            return status;
        }
        upload->memory = store->config.allocator.allocate(store->config.allocator.context, (size_t)pages_bytes);
        if (!upload->memory) {
            return api_error_set(error, API_STATUS_RESOURCE_EXHAUSTED,
                                 "header.size_bytes: no memory for %llu bytes of content",
                                 (unsigned long long)pages_bytes);
        }
        upload->memory_bytes = (size_t)pages_bytes;
        store->reserved_bytes += pages_bytes;
        store->uploads_reserving++;
    }
    /* mbedTLS's SHA-256 calls fail only with a hardware implementation (MBEDTLS_SHA256_ALT), which is not built. */
    mbedtls_sha256_init(&upload->hash);
    mbedtls_sha256_starts_ret(&upload->hash, 0);
    upload->state = IMAGE_UPLOAD_RECEIVING;
    return API_STATUS_OK;
}

void image_upload_abandon(struct image_upload *upload)
{
    if (upload->state != IMAGE_UPLOAD_RECEIVING) {
        return;
    }
    struct image_store *store = upload->store;
    if (upload->memory) {
        store->config.allocator.release(store->config.allocator.context, upload->memory, upload->memory_bytes);
        store->reserved_bytes -= upload->memory_bytes;
        store->uploads_reserving--;
        upload->memory = NULL;
        upload->memory_bytes = 0;
    }
    mbedtls_sha256_free(&upload->hash);
    upload->state = IMAGE_UPLOAD_ENDED;
}

enum api_status image_upload_append(struct image_upload *upload, const uint8_t *bytes, size_t length,
                                    struct api_error *error)
{
    if (upload->state != IMAGE_UPLOAD_RECEIVING) {
        return api_error_set(error, API_STATUS_FAILED_PRECONDITION, "chunk: the upload is not receiving content");
    }
    enum api_status status = API_STATUS_OK;
    if (length == 0 || length > IMAGE_CHUNK_MAX_BYTES) {
        status = api_error_set(error, API_STATUS_INVALID_ARGUMENT, "chunk: %zu bytes; a chunk is 1 byte to %d bytes",
                               length, IMAGE_CHUNK_MAX_BYTES);
    } else if (length > upload->size_bytes - upload->received_bytes) {
        status = api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                               "chunk: the content is longer than header.size_bytes (%llu)",
                               (unsigned long long)upload->size_bytes);
    }
    if (status != API_STATUS_OK) {
        image_upload_abandon(upload);
        return status;
    }
    if (upload->memory) {
        memcpy((uint8_t *)upload->memory + upload->received_bytes, bytes, length);
    }
    mbedtls_sha256_update_ret(&upload->hash, bytes, length);
    upload->received_bytes += length;
    return API_STATUS_OK;
}

static void hex_digest(const unsigned char digest[SHA256_DIGEST_BYTES], char hex[IMAGE_SHA256_HEX_LENGTH + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < SHA256_DIGEST_BYTES; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 0xf];
    }
    hex[IMAGE_SHA256_HEX_LENGTH] = '\0';
}

void image_sha256_hex(const void *bytes, size_t length, char hex[IMAGE_SHA256_HEX_LENGTH + 1])
{
    unsigned char digest[SHA256_DIGEST_BYTES];
    mbedtls_sha256_ret(bytes, length, digest, 0);
    hex_digest(digest, hex);
}

/* Moves the upload's memory and reservation into a free place of the table (begin reserved one). */
static const struct image_record *store_upload(struct image_upload *upload)
{
    struct image_store *store = upload->store;
    struct image_record *image = NULL;
    for (size_t i = 0; i < IMAGE_STORE_MAX_IMAGES && !image; i++) {
        if (store->images[i].creation_number == 0) {
            image = &store->images[i];
        }
    }
    image->creation_number = ++store->last_creation_number;
    snprintf(image->name, sizeof(image->name), "%s%s", IMAGE_NAME_PREFIX, upload->sha256);
    memcpy(image->sha256, upload->sha256, sizeof(image->sha256));
    memcpy(image->display_name, upload->display_name, sizeof(image->display_name));
    image->size_bytes = upload->size_bytes;
    image->create_time_unix_ms = store->config.clock.now_ms(store->config.clock.context);
    /* The rest of the last page is what uvmms that map the image read past its end: zero, whatever the memory held. */
    memset((uint8_t *)upload->memory + upload->size_bytes, 0, upload->memory_bytes - upload->size_bytes);
    image->memory = upload->memory;
    image->memory_bytes = upload->memory_bytes;
    store->image_count++;
    store->uploads_reserving--;
    upload->memory = NULL;
    upload->memory_bytes = 0;
    return image;
}

/* Whether the content is what the header announced: its size and its SHA-256. */
static enum api_status check_content(struct image_upload *upload, struct api_error *error)
{
    if (upload->received_bytes != upload->size_bytes) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "header.size_bytes: %llu bytes announced, the content has %llu",
                             (unsigned long long)upload->size_bytes, (unsigned long long)upload->received_bytes);
    }
    unsigned char digest[SHA256_DIGEST_BYTES];
    char content_sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    mbedtls_sha256_finish_ret(&upload->hash, digest);
    hex_digest(digest, content_sha256);
    if (strcmp(content_sha256, upload->sha256) != 0) {
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT, "sha256 mismatch: header says %s, content is %s",
                             upload->sha256, content_sha256);
    }
    return API_STATUS_OK;
}

enum api_status image_upload_finish(struct image_upload *upload, const struct image_record **image,
                                    struct api_error *error)
{
    if (upload->state != IMAGE_UPLOAD_RECEIVING) {
        return api_error_set(error, API_STATUS_FAILED_PRECONDITION, "the upload is not receiving content");
    }
    enum api_status status = check_content(upload, error);
    const struct image_record *stored = NULL;
    if (status == API_STATUS_OK) {
        stored = image_store_find_sha256(upload->store, upload->sha256);
        if (!stored && !upload->memory) {
            status = api_error_set(error, API_STATUS_ABORTED,
                                   "images/%s was deleted during the upload, which only checked it; upload it again",
                                   upload->sha256);
        } else if (!stored) {
            stored = store_upload(upload);
        }
    }
    /* Whatever memory is left (a refused upload, or a second copy of a stored image) goes back. */
    image_upload_abandon(upload);
    if (status == API_STATUS_OK) {
        *image = stored;
    }
    return status;
}

/* The index in store->images of the image named name. */
static enum api_status find_by_name(const struct image_store *store, const char *name, size_t *index,
                                    struct api_error *error)
{
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    name = name ? name : "";
    if (!image_name_parse(name, sha256)) {
        char quoted[API_QUOTE_BYTES];
        return api_error_set(error, API_STATUS_INVALID_ARGUMENT,
                             "name: %s is not images/{sha256} with 64 lowercase hex digits", api_quote(quoted, name));
    }
    const struct image_record *found = image_store_find_sha256(store, sha256);
    if (!found) {
        return api_error_set(error, API_STATUS_NOT_FOUND, "name: %s not found", name);
    }
    *index = (size_t)(found - store->images);
    return API_STATUS_OK;
}

enum api_status image_store_get(const struct image_store *store, const char *name, const struct image_record **image,
                                struct api_error *error)
{
    size_t index;
    enum api_status status = find_by_name(store, name, &index, error);
    if (status == API_STATUS_OK) {
        *image = &store->images[index];
    }
    return status;
}

/* The image with the smallest creation number above after, or NULL. */
static const struct image_record *next_in_upload_order(const struct image_store *store, uint64_t after)
{
    const struct image_record *next = NULL;
    for (size_t i = 0; i < IMAGE_STORE_MAX_IMAGES; i++) {
        const struct image_record *image = &store->images[i];
        if (image->creation_number > after && (!next || image->creation_number < next->creation_number)) {
            next = image;
        }
    }
    return next;
}

enum api_status image_store_list(const struct image_store *store, uint32_t page_size, const char *page_token,
                                 struct image_list_page *page, struct api_error *error)
{
    size_t size;
    uint64_t position;
    uint64_t filter_hash = page_filter_hash_begin("images");
    enum api_status status = page_size_resolve(page_size, &size, error);
    if (status == API_STATUS_OK) {
        status = page_token_decode(page_token ? page_token : "", filter_hash, &position, error);
    }
    if (status != API_STATUS_OK) {
        return status;
    }
    page->count = 0;
    page->next_page_token[0] = '\0';
    const struct image_record *image = next_in_upload_order(store, position);
    for (; image && page->count < size; image = next_in_upload_order(store, image->creation_number)) {
        page->images[page->count++] = image;
    }
    if (image) {
        page_token_encode(page->next_page_token, page->images[page->count - 1]->creation_number, filter_hash);
    }
    return API_STATUS_OK;
}

size_t image_store_users(const struct image_store *store, const struct image_record *image,
                         void (*visit)(void *visit_context, const char *vm_name), void *visit_context)
{
    if (!store->users.for_each) {
        return 0;
    }
    return store->users.for_each(store->users.context, image->name, visit, visit_context);
}

/* Room for a VM's name ("vms/" and an id of at most 32 bytes) in the refusal of a delete. */
#define USER_NAME_BYTES 48

/* Keeps the first VM name it is shown. */
static void keep_first_user(void *context, const char *vm_name)
{
    char *first = context;
    if (first[0] == '\0') {
        snprintf(first, USER_NAME_BYTES, "%s", vm_name);
    }
}

enum api_status image_store_delete(struct image_store *store, const char *name, struct api_error *error)
{
    size_t index;
    enum api_status status = find_by_name(store, name, &index, error);
    if (status != API_STATUS_OK) {
        return status;
    }
    struct image_record *image = &store->images[index];
    char first_user[USER_NAME_BYTES] = "";
    if (image_store_users(store, image, keep_first_user, first_user) > 0) {
        return api_error_set(error, API_STATUS_FAILED_PRECONDITION,
                             "%s is in use by %s; delete the VMs that name it first", image->name, first_user);
    }
    release_image(store, image);
    return API_STATUS_OK;
}
