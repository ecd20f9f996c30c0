/* The image store (image_store.h): uploads and every way one is refused, the store's limits, memory given back in
 * every case (the allocator counts), duplicates, get, list with pages, and delete while a VM names the image. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/image_store.h"
#include "agent/unit_tests/api_model_testing.h"
#include "agent/vm_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IMAGE_BYTES (4 * IMAGE_CHUNK_MAX_BYTES)
#define MAX_TOTAL_BYTES (8 * IMAGE_CHUNK_MAX_BYTES)

struct fixture {
    struct fake_clock clock;
    struct counting_allocator allocator;
    struct image_store store;
    struct api_error error;
    uint8_t content[MAX_IMAGE_BYTES];
};

static struct fixture *fixture;

static void init_store(uint64_t max_image_bytes, uint64_t max_total_bytes)
{
    struct image_store_config config = {
        .max_image_bytes = max_image_bytes,
        .max_total_bytes = max_total_bytes,
        .allocator = counting_allocator_interface(&fixture->allocator),
        .clock = fake_clock_interface(&fixture->clock),
    };
    assert_int_equal(image_store_init(&fixture->store, &config, &fixture->error), API_STATUS_OK);
}

static int set_up(void **state)
{
    (void)state;
    fixture = calloc(1, sizeof(*fixture));
    fixture->clock.now_ms = 1700000000000ull;
    counting_allocator_init(&fixture->allocator);
    init_store(MAX_IMAGE_BYTES, MAX_TOTAL_BYTES);
    fill_pattern(fixture->content, sizeof(fixture->content), 1);
    return 0;
}

/* Every test ends with nothing leaked: what the store still holds goes back on destroy. */
static int tear_down(void **state)
{
    (void)state;
    image_store_destroy(&fixture->store);
    assert_int_equal(fixture->allocator.live, 0);
    assert_int_equal(fixture->allocator.misuses, 0);
    free(fixture);
    return 0;
}

static void assert_error(enum api_status status, enum api_status expected, const char *prefix)
{
    assert_int_equal(status, expected);
    assert_int_equal(fixture->error.code, expected);
    if (strncmp(fixture->error.message, prefix, strlen(prefix)) != 0) {
        fail_msg("message \"%s\" does not start with \"%s\"", fixture->error.message, prefix);
    }
}

static void assert_nothing_held(void)
{
    assert_int_equal(fixture->allocator.live, 0);
    assert_int_equal(fixture->store.reserved_bytes, 0);
    assert_int_equal(fixture->store.uploads_reserving, 0);
    assert_int_equal(fixture->store.image_count, 0);
}

static enum api_status upload_content(size_t length, const char *display_name, const struct image_record **image)
{
    return upload_image(&fixture->store, fixture->content, length, 4096, display_name, image, &fixture->error);
}

static enum api_status begin(struct image_upload *upload, uint64_t size_bytes, const char *sha256)
{
    struct image_upload_header header = {.size_bytes = size_bytes, .sha256 = sha256};
    return image_upload_begin(&fixture->store, upload, &header, &fixture->error);
}

static void stores_an_upload_in_whole_pages(void **state)
{
    (void)state;
    const struct image_record *image = NULL;
    assert_int_equal(upload_content(10000, "vmlinuz-6.1.0-cloud", &image), API_STATUS_OK);
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex(fixture->content, 10000, sha256);
    assert_string_equal(image->sha256, sha256);
    assert_memory_equal(image->name, "images/", 7);
    assert_string_equal(image->name + 7, sha256);
    assert_string_equal(image->display_name, "vmlinuz-6.1.0-cloud");
    assert_int_equal(image->size_bytes, 10000);
    assert_int_equal(image->create_time_unix_ms, 1700000000000ull);
    assert_int_equal(image->memory_bytes, 3 * IMAGE_PAGE_BYTES);
    assert_int_equal((uintptr_t)image->memory % IMAGE_PAGE_BYTES, 0);
    assert_memory_equal(image->memory, fixture->content, 10000);
    assert_int_equal(fixture->allocator.live, 1);
    assert_int_equal(fixture->allocator.live_bytes, 3 * IMAGE_PAGE_BYTES);
    assert_int_equal(fixture->store.reserved_bytes, 3 * IMAGE_PAGE_BYTES);

    const struct image_record *got = NULL;
    assert_int_equal(image_store_get(&fixture->store, image->name, &got, &fixture->error), API_STATUS_OK);
    assert_ptr_equal(got, image);
}

static void accepts_chunks_of_one_byte_to_one_mebibyte(void **state)
{
    (void)state;
    const struct image_record *image = NULL;
    assert_int_equal(upload_image(&fixture->store, fixture->content, 2 * IMAGE_CHUNK_MAX_BYTES + 1,
                                  IMAGE_CHUNK_MAX_BYTES, NULL, &image, &fixture->error),
                     API_STATUS_OK);
    assert_int_equal(image->size_bytes, 2 * IMAGE_CHUNK_MAX_BYTES + 1);
    assert_int_equal(upload_image(&fixture->store, fixture->content + 1, 3, 1, NULL, &image, &fixture->error),
                     API_STATUS_OK);
    assert_int_equal(image->size_bytes, 3);
}

static void refuses_bad_sizes_in_the_header(void **state)
{
    (void)state;
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex("", 0, sha256);
    struct image_upload upload = {0};
    assert_error(begin(&upload, 0, sha256), API_STATUS_INVALID_ARGUMENT, "header.size_bytes: required");
    assert_error(begin(&upload, MAX_IMAGE_BYTES + 1, sha256), API_STATUS_RESOURCE_EXHAUSTED,
                 "header.size_bytes: 4194305 is above the host's limit of 4194304 bytes");
    assert_int_equal(fixture->allocator.allocate_calls, 0);
    /* The limit itself is fine. */
    assert_int_equal(begin(&upload, MAX_IMAGE_BYTES, sha256), API_STATUS_OK);
    image_upload_abandon(&upload);
    assert_nothing_held();
}

static void refuses_a_header_sha256_that_is_not_lowercase_hex(void **state)
{
    (void)state;
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex("abc", 3, sha256);
    char upper[IMAGE_SHA256_HEX_LENGTH + 1];
    memcpy(upper, sha256, sizeof(upper));
    upper[0] = 'B';
    char short_one[IMAGE_SHA256_HEX_LENGTH];
    memcpy(short_one, sha256, IMAGE_SHA256_HEX_LENGTH - 1);
    short_one[IMAGE_SHA256_HEX_LENGTH - 1] = '\0';
    char not_hex[IMAGE_SHA256_HEX_LENGTH + 1];
    memcpy(not_hex, sha256, sizeof(not_hex));
    not_hex[10] = 'g';
    const char *bad[] = {"", upper, short_one, not_hex, NULL};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct image_upload upload = {0};
        assert_error(begin(&upload, 3, bad[i]), API_STATUS_INVALID_ARGUMENT, "header.sha256: ");
    }
    assert_string_equal(fixture->error.message, "header.sha256: \"\" is not a SHA-256 in 64 lowercase hex digits");
    assert_nothing_held();
}

static void refuses_a_bad_display_name(void **state)
{
    (void)state;
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex("abc", 3, sha256);
    char long_name[IMAGE_DISPLAY_NAME_MAX_LENGTH + 2];
    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    struct image_upload upload = {0};
    struct image_upload_header header = {.size_bytes = 3, .sha256 = sha256, .display_name = long_name};
    assert_error(image_upload_begin(&fixture->store, &upload, &header, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "header.display_name: 64 bytes, at most 63");
    header.display_name = "tab\there";
    assert_error(image_upload_begin(&fixture->store, &upload, &header, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "header.display_name: \"tab\\x09here\" has a byte that is not printable ASCII (at 3)");
    long_name[IMAGE_DISPLAY_NAME_MAX_LENGTH] = '\0';
    header.display_name = long_name;
    assert_int_equal(image_upload_begin(&fixture->store, &upload, &header, &fixture->error), API_STATUS_OK);
    image_upload_abandon(&upload);
    assert_nothing_held();
}

static void refuses_chunks_of_bad_sizes_and_gives_the_memory_back(void **state)
{
    (void)state;
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex(fixture->content, 2 * IMAGE_CHUNK_MAX_BYTES, sha256);
    struct image_upload upload = {0};

    assert_int_equal(begin(&upload, 2 * IMAGE_CHUNK_MAX_BYTES, sha256), API_STATUS_OK);
    assert_int_equal(fixture->allocator.live, 1);
    assert_error(image_upload_append(&upload, fixture->content, 0, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "chunk: 0 bytes; a chunk is 1 byte to 1048576 bytes");
    assert_int_equal(upload.state, IMAGE_UPLOAD_ENDED);
    assert_nothing_held();

    assert_int_equal(begin(&upload, 2 * IMAGE_CHUNK_MAX_BYTES, sha256), API_STATUS_OK);
    assert_error(image_upload_append(&upload, fixture->content, IMAGE_CHUNK_MAX_BYTES + 1, &fixture->error),
                 API_STATUS_INVALID_ARGUMENT, "chunk: 1048577 bytes; a chunk is 1 byte to 1048576 bytes");
    assert_nothing_held();

    /* An ended upload takes nothing more. */
    assert_error(image_upload_append(&upload, fixture->content, 1, &fixture->error), API_STATUS_FAILED_PRECONDITION,
                 "chunk: the upload is not receiving content");
    const struct image_record *image = NULL;
    assert_error(image_upload_finish(&upload, &image, &fixture->error), API_STATUS_FAILED_PRECONDITION,
                 "the upload is not receiving content");
}

static void refuses_more_content_than_announced(void **state)
{
    (void)state;
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex(fixture->content, 5000, sha256);
    struct image_upload upload = {0};
    assert_int_equal(begin(&upload, 5000, sha256), API_STATUS_OK);
    assert_int_equal(image_upload_append(&upload, fixture->content, 4096, &fixture->error), API_STATUS_OK);
    assert_error(image_upload_append(&upload, fixture->content + 4096, 905, &fixture->error),
                 API_STATUS_INVALID_ARGUMENT, "chunk: the content is longer than header.size_bytes (5000)");
    assert_nothing_held();
}

static void refuses_less_content_than_announced(void **state)
{
    (void)state;
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex(fixture->content, 5000, sha256);
    struct image_upload upload = {0};
    assert_int_equal(begin(&upload, 5000, sha256), API_STATUS_OK);
    assert_int_equal(image_upload_append(&upload, fixture->content, 4999, &fixture->error), API_STATUS_OK);
    const struct image_record *image = NULL;
    assert_error(image_upload_finish(&upload, &image, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "header.size_bytes: 5000 bytes announced, the content has 4999");
    assert_null(image);
    assert_nothing_held();
}

static void refuses_content_of_another_sha256_and_stores_nothing(void **state)
{
    (void)state;
    char announced[IMAGE_SHA256_HEX_LENGTH + 1];
    char actual[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex("other content", 13, announced);
    sha256_hex(fixture->content, 5000, actual);
    struct image_upload upload = {0};
    assert_int_equal(begin(&upload, 5000, announced), API_STATUS_OK);
    assert_int_equal(image_upload_append(&upload, fixture->content, 5000, &fixture->error), API_STATUS_OK);
    const struct image_record *image = NULL;
    assert_int_equal(image_upload_finish(&upload, &image, &fixture->error), API_STATUS_INVALID_ARGUMENT);
    char expected[API_ERROR_MESSAGE_BYTES];
    snprintf(expected, sizeof(expected), "sha256 mismatch: header says %s, content is %s", announced, actual);
    assert_string_equal(fixture->error.message, expected);
    assert_null(image);
    assert_nothing_held();
    assert_null(image_store_find_sha256(&fixture->store, announced));
    assert_null(image_store_find_sha256(&fixture->store, actual));
}

static void an_existing_image_is_returned_without_a_second_copy(void **state)
{
    (void)state;
    const struct image_record *first = NULL;
    assert_int_equal(upload_content(5000, "first", &first), API_STATUS_OK);
    fixture->clock.now_ms += 1000;
    const struct image_record *second = NULL;
    assert_int_equal(upload_content(5000, "second", &second), API_STATUS_OK);
    assert_ptr_equal(second, first);
    assert_string_equal(second->display_name, "first");
    assert_int_equal(second->create_time_unix_ms, 1700000000000ull);
    /* Only hashed: one allocation in all. */
    assert_int_equal(fixture->allocator.allocate_calls, 1);
    assert_int_equal(fixture->store.image_count, 1);

    /* A duplicate is checked like any upload. */
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex(fixture->content, 5000, sha256);
    struct image_upload upload = {0};
    assert_int_equal(begin(&upload, 5000, sha256), API_STATUS_OK);
    assert_int_equal(image_upload_append(&upload, fixture->content + 1, 5000, &fixture->error), API_STATUS_OK);
    assert_error(image_upload_finish(&upload, &second, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "sha256 mismatch: ");
}

static void two_uploads_of_the_same_content_side_by_side_keep_one(void **state)
{
    (void)state;
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex(fixture->content, 5000, sha256);
    struct image_upload first = {0};
    struct image_upload second = {0};
    assert_int_equal(begin(&first, 5000, sha256), API_STATUS_OK);
    assert_int_equal(begin(&second, 5000, sha256), API_STATUS_OK);
    assert_int_equal(fixture->allocator.live, 2);
    assert_int_equal(image_upload_append(&first, fixture->content, 5000, &fixture->error), API_STATUS_OK);
    assert_int_equal(image_upload_append(&second, fixture->content, 5000, &fixture->error), API_STATUS_OK);
    const struct image_record *from_first = NULL;
    const struct image_record *from_second = NULL;
    assert_int_equal(image_upload_finish(&first, &from_first, &fixture->error), API_STATUS_OK);
    assert_int_equal(image_upload_finish(&second, &from_second, &fixture->error), API_STATUS_OK);
    assert_ptr_equal(from_first, from_second);
    assert_int_equal(fixture->allocator.live, 1);
    assert_int_equal(fixture->store.reserved_bytes, 2 * IMAGE_PAGE_BYTES);
    assert_int_equal(fixture->store.uploads_reserving, 0);
}

static void a_checked_duplicate_whose_image_went_meanwhile_is_aborted(void **state)
{
    (void)state;
    const struct image_record *image = NULL;
    assert_int_equal(upload_content(5000, NULL, &image), API_STATUS_OK);
    char name[IMAGE_NAME_BYTES];
    memcpy(name, image->name, sizeof(name));
    struct image_upload upload = {0};
    assert_int_equal(begin(&upload, 5000, image->sha256), API_STATUS_OK);
    assert_int_equal(image_upload_append(&upload, fixture->content, 5000, &fixture->error), API_STATUS_OK);
    assert_int_equal(image_store_delete(&fixture->store, name, &fixture->error), API_STATUS_OK);
    assert_error(image_upload_finish(&upload, &image, &fixture->error), API_STATUS_ABORTED, name);
    assert_nothing_held();
}

static void refuses_uploads_beyond_the_store_total(void **state)
{
    (void)state;
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex("x", 1, sha256);
    struct image_upload first = {0};
    struct image_upload second = {0};
    struct image_upload third = {0};
    /* Uploads in progress reserve their pages: 4 MiB + 4 MiB fill the 8 MiB store before any content arrives. */
    assert_int_equal(begin(&first, MAX_IMAGE_BYTES, sha256), API_STATUS_OK);
    assert_int_equal(begin(&second, MAX_IMAGE_BYTES, sha256), API_STATUS_OK);
    assert_error(begin(&third, 1, sha256), API_STATUS_RESOURCE_EXHAUSTED,
                 "header.size_bytes: the image store has 0 of its 8388608 bytes free, this image needs 4096");
    image_upload_abandon(&first);
    assert_int_equal(begin(&third, 1, sha256), API_STATUS_OK);
    image_upload_abandon(&second);
    image_upload_abandon(&third);
    assert_nothing_held();
}

static void refuses_uploads_beyond_the_table(void **state)
{
    (void)state;
    static uint8_t page[IMAGE_PAGE_BYTES];
    init_store(IMAGE_PAGE_BYTES, (uint64_t)(IMAGE_STORE_MAX_IMAGES + 1) * IMAGE_PAGE_BYTES);
    const struct image_record *image = NULL;
    for (unsigned i = 0; i < IMAGE_STORE_MAX_IMAGES; i++) {
        fill_pattern(page, sizeof(page), i);
        assert_int_equal(upload_image(&fixture->store, page, sizeof(page), sizeof(page), NULL, &image, &fixture->error),
                         API_STATUS_OK);
    }
    fill_pattern(page, sizeof(page), IMAGE_STORE_MAX_IMAGES);
    assert_error(upload_image(&fixture->store, page, sizeof(page), sizeof(page), NULL, &image, &fixture->error),
                 API_STATUS_RESOURCE_EXHAUSTED, "the image store is full: 256 images stored or being uploaded");
    /* A stored image still uploads: it needs no place. */
    fill_pattern(page, sizeof(page), 0);
    assert_int_equal(upload_image(&fixture->store, page, sizeof(page), sizeof(page), NULL, &image, &fixture->error),
                     API_STATUS_OK);
    assert_int_equal(fixture->allocator.live, IMAGE_STORE_MAX_IMAGES);
}

static void reports_when_the_allocator_has_no_memory(void **state)
{
    (void)state;
    fixture->allocator.allocations_left = 0;
    const struct image_record *image = NULL;
    assert_error(upload_content(5000, NULL, &image), API_STATUS_RESOURCE_EXHAUSTED,
                 "header.size_bytes: no memory for 8192 bytes of content");
    assert_nothing_held();
}

static void a_cancelled_upload_gives_its_memory_back(void **state)
{
    (void)state;
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
    sha256_hex(fixture->content, MAX_IMAGE_BYTES, sha256);
    struct image_upload upload = {0};
    /* Abandoning one that never began is harmless. */
    image_upload_abandon(&upload);
    assert_int_equal(begin(&upload, MAX_IMAGE_BYTES, sha256), API_STATUS_OK);
    assert_int_equal(image_upload_append(&upload, fixture->content, IMAGE_CHUNK_MAX_BYTES, &fixture->error),
                     API_STATUS_OK);
    assert_int_equal(fixture->allocator.live_bytes, MAX_IMAGE_BYTES);
    assert_error(begin(&upload, 1, sha256), API_STATUS_FAILED_PRECONDITION, "header: the upload has begun already");
    image_upload_abandon(&upload);
    assert_int_equal(upload.state, IMAGE_UPLOAD_ENDED);
    assert_nothing_held();
    image_upload_abandon(&upload);
    assert_nothing_held();
    /* The store has its room back. */
    const struct image_record *image = NULL;
    assert_int_equal(upload_image(&fixture->store, fixture->content, MAX_IMAGE_BYTES, IMAGE_CHUNK_MAX_BYTES, NULL,
                                  &image, &fixture->error),
                     API_STATUS_OK);
}

static void get_refuses_bad_names_and_unknown_images(void **state)
{
    (void)state;
    const struct image_record *image = NULL;
    const char *bad[] = {"", "images/", "image/abc", "images/ABC", "vms/vm-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_error(image_store_get(&fixture->store, bad[i], &image, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                     "name: ");
    }
    assert_string_equal(fixture->error.message,
                        "name: \"vms/vm-1\" is not images/{sha256} with 64 lowercase hex digits");
    char name[IMAGE_NAME_BYTES] = "images/";
    sha256_hex("absent", 6, name + 7);
    assert_error(image_store_get(&fixture->store, name, &image, &fixture->error), API_STATUS_NOT_FOUND, "name: ");
    char expected[API_ERROR_MESSAGE_BYTES];
    snprintf(expected, sizeof(expected), "name: %s not found", name);
    assert_string_equal(fixture->error.message, expected);
    assert_error(image_store_delete(&fixture->store, name, &fixture->error), API_STATUS_NOT_FOUND, "name: ");
}

/* Five images, pages of two; a deletion between pages neither skips nor repeats one. */
static void lists_in_upload_order_a_page_at_a_time(void **state)
{
    (void)state;
    const struct image_record *images[5];
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(upload_content(100 + i, NULL, &images[i]), API_STATUS_OK);
    }
    static struct image_list_page page;
    assert_int_equal(image_store_list(&fixture->store, 2, "", &page, &fixture->error), API_STATUS_OK);
    assert_int_equal(page.count, 2);
    assert_ptr_equal(page.images[0], images[0]);
    assert_ptr_equal(page.images[1], images[1]);
    assert_int_not_equal(page.next_page_token[0], '\0');
    char token[PAGE_TOKEN_BYTES];
    memcpy(token, page.next_page_token, sizeof(token));

    char name[IMAGE_NAME_BYTES];
    memcpy(name, images[2]->name, sizeof(name));
    assert_int_equal(image_store_delete(&fixture->store, name, &fixture->error), API_STATUS_OK);
    assert_int_equal(image_store_list(&fixture->store, 2, token, &page, &fixture->error), API_STATUS_OK);
    assert_int_equal(page.count, 2);
    assert_ptr_equal(page.images[0], images[3]);
    assert_ptr_equal(page.images[1], images[4]);
    assert_string_equal(page.next_page_token, "");

    /* Exactly a page's worth: no further page. */
    assert_int_equal(image_store_list(&fixture->store, 4, NULL, &page, &fixture->error), API_STATUS_OK);
    assert_int_equal(page.count, 4);
    assert_string_equal(page.next_page_token, "");
    assert_int_equal(image_store_list(&fixture->store, 0, NULL, &page, &fixture->error), API_STATUS_OK);
    assert_int_equal(page.count, 4);

    assert_error(image_store_list(&fixture->store, PAGE_SIZE_MAX + 1, NULL, &page, &fixture->error),
                 API_STATUS_INVALID_ARGUMENT, "page_size: 501 is above the maximum 500");
    token[3] = token[3] == 'f' ? 'e' : 'f';
    assert_error(image_store_list(&fixture->store, 2, token, &page, &fixture->error), API_STATUS_INVALID_ARGUMENT,
                 "page_token: ");
    char vm_list_token[PAGE_TOKEN_BYTES];
    page_token_encode(vm_list_token, 1, page_filter_hash_add(page_filter_hash_begin("vms"), ""));
    assert_error(image_store_list(&fixture->store, 2, vm_list_token, &page, &fixture->error),
                 API_STATUS_INVALID_ARGUMENT, "page_token: was returned for ");
}

static const char *backend_start(void *context, struct vm_record *vm)
{
    (void)context;
    (void)vm;
    return NULL;
}

static const char *backend_stop(void *context, struct vm_record *vm, bool force, uint32_t grace_period_ms)
{
    (void)context;
    (void)vm;
    (void)force;
    (void)grace_period_ms;
    return NULL;
}

static void collect_user(void *context, const char *vm_name)
{
    char *names = context;
    strcat(names, vm_name);
    strcat(names, " ");
}

/* With the real registry as the store's users: an image a VM names stays until the VM is deleted. */
static void delete_is_refused_while_a_vm_names_the_image(void **state)
{
    (void)state;
    const struct image_record *kernel = NULL;
    const struct image_record *disk = NULL;
    assert_int_equal(upload_content(5000, "kernel", &kernel), API_STATUS_OK);
    assert_int_equal(upload_content(6000, "disk", &disk), API_STATUS_OK);
    struct vm_registry *registry = calloc(1, sizeof(*registry));
    struct vm_registry_config config = {
        .memory_limit_bytes = 1ull << 30,
        .backend = {.start = backend_start, .stop = backend_stop},
        .clock = fake_clock_interface(&fixture->clock),
        .images = &fixture->store,
    };
    assert_int_equal(vm_registry_init(registry, &config, &fixture->error), API_STATUS_OK);
    image_store_set_users(&fixture->store, vm_registry_image_users(registry));

    /* vm-1 boots the kernel; vm-2 too, and has the disk and the kernel again as disks. */
    struct vm_disk_input disks[] = {{.image = disk->name}, {.image = kernel->name}};
    struct vm_spec_input kernel_only = {.kernel_image = kernel->name, .memory_mib = 128};
    struct vm_spec_input with_disks = {
        .kernel_image = kernel->name, .memory_mib = 128, .disks = disks, .disk_count = 2};
    struct vm_input first_vm = {.tenant = "tenant-a", .spec = &kernel_only};
    struct vm_input second_vm = {.tenant = "tenant-a", .spec = &with_disks};
    struct vm_create_request first_request = {.vm = &first_vm};
    struct vm_create_request second_request = {.vm = &second_vm};
    const struct vm_record *first = NULL;
    const struct vm_record *second = NULL;
    assert_int_equal(vm_registry_create(registry, &first_request, &first, &fixture->error), API_STATUS_OK);
    assert_int_equal(vm_registry_create(registry, &second_request, &second, &fixture->error), API_STATUS_OK);

    char users[128] = "";
    assert_int_equal(image_store_users(&fixture->store, kernel, collect_user, users), 2);
    assert_string_equal(users, "vms/vm-1 vms/vm-2 ");
    users[0] = '\0';
    assert_int_equal(image_store_users(&fixture->store, disk, collect_user, users), 1);
    assert_string_equal(users, "vms/vm-2 ");

    char expected[API_ERROR_MESSAGE_BYTES];
    snprintf(expected, sizeof(expected), "%s is in use by vms/vm-1; delete the VMs that name it first", kernel->name);
    assert_error(image_store_delete(&fixture->store, kernel->name, &fixture->error), API_STATUS_FAILED_PRECONDITION,
                 expected);
    /* Ended VMs still name their images: only deleting them lets go. */
    assert_int_equal(vm_registry_start(registry, "vms/vm-1", &first, &fixture->error), API_STATUS_OK);
    assert_int_equal(vm_registry_vm_ended(registry, &registry->vms[0], false, "guest powered off", &fixture->error),
                     API_STATUS_OK);
    assert_error(image_store_delete(&fixture->store, kernel->name, &fixture->error), API_STATUS_FAILED_PRECONDITION,
                 kernel->name);
    assert_int_equal(vm_registry_delete(registry, "vms/vm-1", &fixture->error), API_STATUS_OK);
    snprintf(expected, sizeof(expected), "%s is in use by vms/vm-2; delete the VMs that name it first", kernel->name);
    assert_error(image_store_delete(&fixture->store, kernel->name, &fixture->error), API_STATUS_FAILED_PRECONDITION,
                 expected);
    assert_int_equal(vm_registry_delete(registry, "vms/vm-2", &fixture->error), API_STATUS_OK);
    char kernel_name[IMAGE_NAME_BYTES];
    memcpy(kernel_name, kernel->name, sizeof(kernel_name));
    assert_int_equal(image_store_delete(&fixture->store, kernel_name, &fixture->error), API_STATUS_OK);
    assert_int_equal(fixture->allocator.live, 1);
    const struct image_record *gone = NULL;
    assert_int_equal(image_store_get(&fixture->store, kernel_name, &gone, &fixture->error), API_STATUS_NOT_FOUND);
    vm_registry_destroy(registry);
    free(registry);
}

static void refuses_a_configuration_without_functions_or_with_bad_limits(void **state)
{
    (void)state;
    struct image_store_config config = {
        .max_image_bytes = 1,
        .max_total_bytes = 1,
        .allocator = counting_allocator_interface(&fixture->allocator),
        .clock = fake_clock_interface(&fixture->clock),
    };
    struct image_store *store = calloc(1, sizeof(*store));
    config.allocator.release = NULL;
    assert_int_equal(image_store_init(store, &config, &fixture->error), API_STATUS_INVALID_ARGUMENT);
    config.allocator = counting_allocator_interface(&fixture->allocator);
    config.max_image_bytes = 2;
    assert_int_equal(image_store_init(store, &config, &fixture->error), API_STATUS_INVALID_ARGUMENT);
    config.max_image_bytes = 0;
    assert_int_equal(image_store_init(store, &config, &fixture->error), API_STATUS_INVALID_ARGUMENT);
    free(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(stores_an_upload_in_whole_pages, set_up, tear_down),
        cmocka_unit_test_setup_teardown(accepts_chunks_of_one_byte_to_one_mebibyte, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_bad_sizes_in_the_header, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_a_header_sha256_that_is_not_lowercase_hex, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_a_bad_display_name, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_chunks_of_bad_sizes_and_gives_the_memory_back, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_more_content_than_announced, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_less_content_than_announced, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_content_of_another_sha256_and_stores_nothing, set_up, tear_down),
        cmocka_unit_test_setup_teardown(an_existing_image_is_returned_without_a_second_copy, set_up, tear_down),
        cmocka_unit_test_setup_teardown(two_uploads_of_the_same_content_side_by_side_keep_one, set_up, tear_down),
        cmocka_unit_test_setup_teardown(a_checked_duplicate_whose_image_went_meanwhile_is_aborted, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_uploads_beyond_the_store_total, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_uploads_beyond_the_table, set_up, tear_down),
        cmocka_unit_test_setup_teardown(reports_when_the_allocator_has_no_memory, set_up, tear_down),
        cmocka_unit_test_setup_teardown(a_cancelled_upload_gives_its_memory_back, set_up, tear_down),
        cmocka_unit_test_setup_teardown(get_refuses_bad_names_and_unknown_images, set_up, tear_down),
        cmocka_unit_test_setup_teardown(lists_in_upload_order_a_page_at_a_time, set_up, tear_down),
        cmocka_unit_test_setup_teardown(delete_is_refused_while_a_vm_names_the_image, set_up, tear_down),
        cmocka_unit_test_setup_teardown(refuses_a_configuration_without_functions_or_with_bad_limits, set_up,
                                        tear_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
