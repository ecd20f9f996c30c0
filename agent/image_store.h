/*
 * The agent's image store (ImageService, api/kapsel/v1/image_service.proto): the kernels, initramfs and disk images
 * VMs boot from, content-addressed: an image's name is "images/{sha256}", the lowercase hex SHA-256 of its content.
 *
 * An upload announces size and SHA-256 in a header, then sends the content in chunks; the store hashes the chunks as
 * they arrive (mbedTLS) and keeps the image only when the content matches the header. Content lives in memory from
 * a caller-supplied allocator: in the agent, whole page-aligned pages that can be mapped into a VM's uvmm.
 * Uploads reserve their pages (and a place in the table) when they begin, so that uploads running side by side
 * cannot together overfill the store. Pure C, no gRPC or protobuf-c: the ImageService decodes requests into calls.
 */
#ifndef AGENT_IMAGE_STORE_H
#define AGENT_IMAGE_STORE_H

#include "api_status.h"
#include "page_token.h"
#include "unix_clock.h"

#include <mbedtls/sha256.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAGE_SHA256_HEX_LENGTH 64
#define IMAGE_NAME_PREFIX "images/"
/* "images/" + 64 hex digits + NUL. */
#define IMAGE_NAME_BYTES (sizeof(IMAGE_NAME_PREFIX) - 1 + IMAGE_SHA256_HEX_LENGTH + 1)
#define IMAGE_DISPLAY_NAME_MAX_LENGTH 63
#define IMAGE_CHUNK_MAX_BYTES (1024 * 1024)
#define IMAGE_STORE_MAX_IMAGES 256
/* Content is allocated, and the store's limit counted, in whole pages of this size. */
#define IMAGE_PAGE_BYTES 4096

struct image_allocator {
    /* bytes (a multiple of IMAGE_PAGE_BYTES) of page-aligned memory, or NULL when there is none. It need not be
     * zeroed (touching every page of a large upload at its start would take long): the store writes every byte. */
    void *(*allocate)(void *context, size_t bytes);
    /* Gives back memory that allocate returned, with the same bytes. */
    void (*release)(void *context, void *memory, size_t bytes);
    void *context;
};

/* Who names images: the VM registry (vm_registry_image_users in vm_registry.h). */
struct image_users {
    /* Calls visit with the name ("vms/{vm_id}") of each VM that names image_name, once per VM, in the VMs' creation
     * order; returns how many it visited. */
    size_t (*for_each)(void *context, const char *image_name, void (*visit)(void *visit_context, const char *vm_name),
                       void *visit_context);
    void *context;
};

struct image_record {
    uint64_t creation_number; /* its place in ListImages' order, from 1; 0: the slot is free */
    char name[IMAGE_NAME_BYTES];
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    char display_name[IMAGE_DISPLAY_NAME_MAX_LENGTH + 1];
    uint64_t size_bytes;
    uint64_t create_time_unix_ms;
    /* The content: size_bytes at the start of memory_bytes (whole pages) from the allocator. */
    void *memory;
    size_t memory_bytes;
};

struct image_store_config {
    uint64_t max_image_bytes; /* the largest upload (HostInfo.max_image_bytes) */
    uint64_t max_total_bytes; /* all images and uploads in progress, in whole pages */
    struct image_allocator allocator;
    struct unix_clock clock;
};

struct image_store {
    struct image_store_config config;
    struct image_users users; /* for_each NULL: no image is in use */
    struct image_record images[IMAGE_STORE_MAX_IMAGES];
    size_t image_count;
    size_t uploads_reserving; /* uploads in progress that hold a place in images[] */
    uint64_t reserved_bytes;  /* pages of the images and of the uploads in progress */
    uint64_t last_creation_number;
};

enum image_upload_state {
    IMAGE_UPLOAD_NOT_BEGUN = 0, /* a zeroed struct image_upload */
    IMAGE_UPLOAD_RECEIVING,
    IMAGE_UPLOAD_ENDED, /* finished, refused or abandoned: its memory and reservation are given back */
};

/* UploadImageHeader. */
struct image_upload_header {
    uint64_t size_bytes;
    const char *sha256;
    const char *display_name; /* NULL or "": none */
};

/* One UploadImage stream's state, owned by the stream. */
struct image_upload {
    struct image_store *store;
    enum image_upload_state state;
    uint64_t size_bytes;
    uint64_t received_bytes;
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    char display_name[IMAGE_DISPLAY_NAME_MAX_LENGTH + 1];
    /* NULL when the image is stored already: the content is only hashed, to check it. */
    void *memory;
    size_t memory_bytes;
    mbedtls_sha256_context hash;
};

struct image_list_page {
    const struct image_record *images[IMAGE_STORE_MAX_IMAGES];
    size_t count;
    char next_page_token[PAGE_TOKEN_BYTES]; /* "" on the last page */
};

/* An empty store; INVALID_ARGUMENT when the configuration lacks a function or its limits are not
 * 0 < max_image_bytes <= max_total_bytes <= SIZE_MAX / 2. */
enum api_status image_store_init(struct image_store *store, const struct image_store_config *config,
                                 struct api_error *error);

/* Tells the store who names images (GetImage's used_by, DeleteImage's refusal). The registry is made after the
 * store it checks images in, so this comes after both. */
void image_store_set_users(struct image_store *store, struct image_users users);

/* Releases every image's memory. Uploads in progress must have been abandoned first. */
void image_store_destroy(struct image_store *store);

/* Begins an upload from its header (a zeroed or ended upload). INVALID_ARGUMENT for a size of 0, a sha256 that is
 * not 64 lowercase hex digits or a bad display name; RESOURCE_EXHAUSTED ("header.size_bytes: ...") when the size is
 * above max_image_bytes, or when the store has no room for it (bytes or places). */
enum api_status image_upload_begin(struct image_store *store, struct image_upload *upload,
                                   const struct image_upload_header *header, struct api_error *error);

/* Adds the next chunk, 1 byte to IMAGE_CHUNK_MAX_BYTES. INVALID_ARGUMENT ("chunk: ...") for a chunk of another size or
 * one beyond the announced size; any error ends the upload (abandoned). FAILED_PRECONDITION when not receiving. */
enum api_status image_upload_append(struct image_upload *upload, const uint8_t *bytes, size_t length,
                                    struct api_error *error);

/* Ends the upload and stores the image: INVALID_ARGUMENT when fewer bytes arrived than announced or the content's
 * SHA-256 is not the header's ("sha256 mismatch: header says X, content is Y"); nothing is stored then. When the
 * image is stored already (uploaded before or by another upload meanwhile), *image is that one, display name and
 * creation time included, and this upload's copy is given back: content addressing makes them the same image.
 * ABORTED when the image this upload only hashed was deleted meanwhile (upload it again). */
enum api_status image_upload_finish(struct image_upload *upload, const struct image_record **image,
                                    struct api_error *error);

/* Gives back an unfinished upload's memory and reservation (a cancelled stream); nothing for a zeroed or ended
 * one, so a stream can call it whatever happened. */
void image_upload_abandon(struct image_upload *upload);

/* The image named name ("images/{sha256}"): INVALID_ARGUMENT "name: ..." for another form, NOT_FOUND. */
enum api_status image_store_get(const struct image_store *store, const char *name, const struct image_record **image,
                                struct api_error *error);

/* The stored image with this SHA-256 (lowercase hex), or NULL. */
const struct image_record *image_store_find_sha256(const struct image_store *store, const char *sha256);

/* The SHA-256 of length bytes as 64 lowercase hex digits: what an image's name carries, and what evidence names. */
void image_sha256_hex(const void *bytes, size_t length, char hex[IMAGE_SHA256_HEX_LENGTH + 1]);

/* Whether text is a SHA-256 in 64 lowercase hex digits. */
bool image_sha256_is_hex(const char *text);

/* Whether name is "images/" and 64 lowercase hex digits; if so, copies the digits into sha256. */
bool image_name_parse(const char *name, char sha256[IMAGE_SHA256_HEX_LENGTH + 1]);

/* A page of images in upload order (page_size and page_token as in page_token.h). */
enum api_status image_store_list(const struct image_store *store, uint32_t page_size, const char *page_token,
                                 struct image_list_page *page, struct api_error *error);

/* Calls visit with each VM that names the image (Image.used_by); how many. */
size_t image_store_users(const struct image_store *store, const struct image_record *image,
                         void (*visit)(void *visit_context, const char *vm_name), void *visit_context);

/* Deletes the image named name: as image_store_get's errors, and FAILED_PRECONDITION while a VM names it
 * ("images/... is in use by vms/vm-1"). */
enum api_status image_store_delete(struct image_store *store, const char *name, struct api_error *error);

#endif
