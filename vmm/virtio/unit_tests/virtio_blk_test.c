/* End-to-end tests of the block device (vmm/virtio/virtio_blk.c) on the transport and the queue. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "fake_driver.h"
#include "vmm/virtio/virtio_blk.h"
#include "vmm/virtio/virtio_spec.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_SIZE 16
#define DISK_SECTORS 64u
#define DISK_BYTES (DISK_SECTORS * VIRTIO_BLK_SECTOR_SIZE)
#define DISK_ID "kapsel-test-disk"
#define VERSION_1 VIRTIO_FEATURE(VIRTIO_F_VERSION_1)
#define BLOCK_FEATURES                                                                                                 \
    (VIRTIO_FEATURE(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_FEATURE(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_FEATURE(VIRTIO_BLK_F_FLUSH))
#define DRIVER_FEATURES (VERSION_1 | BLOCK_FEATURES)

/* Guest-physical places of a request's parts. */
#define BUFFER(n) (FAKE_BUFFERS + 0x1000ull * (n))
#define HEADER BUFFER(0)
#define STATUS BUFFER(1)
#define DATA(n) BUFFER(2 + (n))
#define INDIRECT_TABLE 0x80000ull
#define UNTOUCHED 0x5a /* what buffers hold before the device could write them */

struct fixture {
    struct guest_memory memory;
    struct fake_driver driver;
    struct virtio_blk blk;
    uint8_t *image;
    unsigned interrupts;
};

/* One buffer of a chain as the test lays it out. */
struct piece {
    uint64_t address;
    uint32_t length;
    bool writable;
};

/* A different byte at every offset, sector numbers included, so a read from the wrong place shows. */
static uint8_t disk_pattern(uint64_t offset)
{
    return (uint8_t)(offset * 7 + offset / VIRTIO_BLK_SECTOR_SIZE);
}

static void count_interrupt(void *context)
{
    struct fixture *f = context;
    f->interrupts++;
}

static int create_fixture(void **state, bool read_only)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->memory = fake_ram_create(FAKE_RAM_SIZE);
    fake_driver_init(&f->driver, &f->memory, FAKE_QUEUE_BASE, QUEUE_SIZE);
    f->image = malloc(DISK_BYTES);
    for (uint64_t i = 0; i < DISK_BYTES; i++) {
        f->image[i] = disk_pattern(i);
    }
    struct virtio_blk_backing backing = {.image = f->image, .size = DISK_BYTES, .read_only = read_only, .id = DISK_ID};
    assert_null(virtio_blk_init(&f->blk, &f->memory, &backing, count_interrupt, f));
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return create_fixture(state, false);
}

static int setup_read_only(void **state)
{
    return create_fixture(state, true);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fake_ram_destroy(&f->memory);
    free(f->image);
    free(f);
    return 0;
}

static uint32_t read32(struct fixture *f, uint64_t offset)
{
    uint32_t value = 0;
    assert_null(virtio_mmio_read(&f->blk.transport, offset, 4, &value));
    return value;
}

static void write32(struct fixture *f, uint64_t offset, uint32_t value)
{
    assert_null(virtio_mmio_write(&f->blk.transport, offset, 4, value));
}

static uint32_t read_config(struct fixture *f, uint32_t offset, unsigned size)
{
    uint32_t value = 0;
    assert_null(virtio_mmio_read(&f->blk.transport, VIRTIO_MMIO_CONFIG_OFFSET + offset, size, &value));
    return value;
}

static void bring_up(struct fixture *f)
{
    assert_null(fake_driver_bring_up(&f->blk.transport, &f->driver, DRIVER_FEATURES));
}

/* The 16-byte request header, little-endian, as Linux's struct virtio_blk_outhdr. */
static void encode_header(uint8_t header[VIRTIO_BLK_REQUEST_HEADER_SIZE], uint32_t type, uint64_t sector)
{
    memset(header, 0, VIRTIO_BLK_REQUEST_HEADER_SIZE);
    for (unsigned i = 0; i < 4; i++) {
        header[i] = (uint8_t)(type >> (8 * i));
    }
    for (unsigned i = 0; i < 8; i++) {
        header[8 + i] = (uint8_t)(sector >> (8 * i));
    }
}

static void put_header(struct fixture *f, uint64_t address, uint32_t type, uint64_t sector)
{
    uint8_t header[VIRTIO_BLK_REQUEST_HEADER_SIZE];
    encode_header(header, type, sector);
    memcpy(fake_ram_at(&f->memory, address), header, sizeof(header));
}

static void fill(struct fixture *f, uint64_t address, uint8_t value, size_t length)
{
    memset(fake_ram_at(&f->memory, address), value, length);
}

/* Links pieces as descriptors first.. of the queue's table and makes the chain available, without notifying. */
static void post_chain(struct fixture *f, uint16_t first, const struct piece *pieces, uint16_t count)
{
    for (uint16_t i = 0; i < count; i++) {
        uint16_t flags =
            (uint16_t)((pieces[i].writable ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < count ? VIRTQ_DESC_F_NEXT : 0));
        fake_driver_set_descriptor(&f->driver, (uint16_t)(first + i), pieces[i].address, pieces[i].length, flags,
                                   (uint16_t)(first + i + 1));
    }
    fake_driver_make_available(&f->driver, first);
}

static void submit_chain(struct fixture *f, const struct piece *pieces, uint16_t count)
{
    fill(f, STATUS, UNTOUCHED, 1);
    post_chain(f, 0, pieces, count);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);
}

/* The common shape: header, one data buffer (none if length is 0), status byte. */
static void submit_request(struct fixture *f, uint32_t type, uint64_t sector, uint64_t data, uint32_t length,
                           bool data_writable)
{
    put_header(f, HEADER, type, sector);
    struct piece pieces[] = {
        {HEADER, VIRTIO_BLK_REQUEST_HEADER_SIZE, false},
        {data, length, data_writable},
        {STATUS, 1, true},
    };
    if (length == 0) {
        pieces[1] = pieces[2];
        submit_chain(f, pieces, 2);
        return;
    }
    submit_chain(f, pieces, 3);
}

static uint8_t status_byte(struct fixture *f)
{
    return *fake_ram_at(&f->memory, STATUS);
}

static struct virtq_used_element last_used(struct fixture *f)
{
    uint16_t used_index = fake_driver_used_index(&f->driver);
    assert_true(used_index > 0);
    return fake_driver_used_element(&f->driver, (uint16_t)(used_index - 1));
}

/* length bytes of guest RAM at address hold the disk's bytes from sector on. */
static void assert_disk_bytes_at(struct fixture *f, uint64_t address, uint64_t sector, size_t length)
{
    assert_memory_equal(fake_ram_at(&f->memory, address), f->image + sector * VIRTIO_BLK_SECTOR_SIZE, length);
}

static void assert_untouched(struct fixture *f, uint64_t address, size_t length)
{
    const uint8_t *bytes = fake_ram_at(&f->memory, address);
    for (size_t i = 0; i < length; i++) {
        assert_int_equal(bytes[i], UNTOUCHED);
    }
}

static void assert_disk_unchanged(struct fixture *f)
{
    for (uint64_t i = 0; i < DISK_BYTES; i++) {
        assert_int_equal(f->image[i], disk_pattern(i));
    }
}

static void identifies_and_offers_block_features(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_DEVICE_ID), VIRTIO_ID_BLOCK);
    write32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL, 0);
    uint32_t low = read32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES);
    assert_int_equal(low & BLOCK_FEATURES, BLOCK_FEATURES);
    assert_int_equal(low & VIRTIO_FEATURE(VIRTIO_BLK_F_RO), 0);
    write32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES) & 1, 1); /* VIRTIO_F_VERSION_1 */
    write32(f, VIRTIO_MMIO_REG_QUEUE_SEL, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_QUEUE_NUM_MAX), 0); /* one request queue only */
    bring_up(f);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                                            VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(f->interrupts, 0);
}

static void read_only_disk_offers_ro(void **state)
{
    struct fixture *f = *state;
    write32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES_SEL, 0);
    uint32_t low = read32(f, VIRTIO_MMIO_REG_DEVICE_FEATURES);
    assert_int_equal(low & VIRTIO_FEATURE(VIRTIO_BLK_F_RO), VIRTIO_FEATURE(VIRTIO_BLK_F_RO));
    assert_int_equal(low & BLOCK_FEATURES, BLOCK_FEATURES);
    assert_null(fake_driver_bring_up(&f->blk.transport, &f->driver, DRIVER_FEATURES | VIRTIO_FEATURE(VIRTIO_BLK_F_RO)));
}

/* Linux reads capacity as two 32-bit halves and blk_size and seg_max as 32 bits; smaller reads work too. */
static void configuration_reads(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(read_config(f, VIRTIO_BLK_CONFIG_CAPACITY, 4), DISK_SECTORS);
    assert_int_equal(read_config(f, VIRTIO_BLK_CONFIG_CAPACITY + 4, 4), 0);
    assert_int_equal(read_config(f, VIRTIO_BLK_CONFIG_CAPACITY, 1), DISK_SECTORS);
    assert_int_equal(read_config(f, VIRTIO_BLK_CONFIG_CAPACITY, 2), DISK_SECTORS);
    assert_int_equal(read_config(f, VIRTIO_BLK_CONFIG_BLK_SIZE, 4), 512);
    assert_int_equal(read_config(f, VIRTIO_BLK_CONFIG_BLK_SIZE + 1, 1), 2); /* 512 = 0x200, little-endian */
    assert_int_equal(read_config(f, VIRTIO_BLK_CONFIG_SEG_MAX, 4), VIRTQ_MAX_SIZE - 2);
    assert_int_equal(read_config(f, 8, 4), 0);  /* size_max: VIRTIO_BLK_F_SIZE_MAX is not offered */
    assert_int_equal(read_config(f, 16, 4), 0); /* geometry: nor is VIRTIO_BLK_F_GEOMETRY */

    uint32_t value = 0;
    assert_non_null(virtio_mmio_read(&f->blk.transport, VIRTIO_MMIO_CONFIG_OFFSET + VIRTIO_BLK_CONFIG_SIZE, 4, &value));
    assert_non_null(virtio_mmio_write(&f->blk.transport, VIRTIO_MMIO_CONFIG_OFFSET + VIRTIO_BLK_CONFIG_CAPACITY, 4, 1));
    assert_int_equal(read_config(f, VIRTIO_BLK_CONFIG_CAPACITY, 4), DISK_SECTORS);
}

/* A capacity of 2^32 sectors or more reaches the high half; the configuration never touches the image. */
static void large_capacity_fills_the_high_half(void **state)
{
    struct fixture *f = *state;
    uint64_t sectors = (5ull << 32) | 3;
    struct virtio_blk_backing backing = {.image = f->image, .size = sectors * VIRTIO_BLK_SECTOR_SIZE};
    assert_null(virtio_blk_init(&f->blk, &f->memory, &backing, count_interrupt, f));
    assert_int_equal(read_config(f, VIRTIO_BLK_CONFIG_CAPACITY, 4), 3);
    assert_int_equal(read_config(f, VIRTIO_BLK_CONFIG_CAPACITY + 4, 4), 5);
    assert_int_equal(read_config(f, VIRTIO_BLK_CONFIG_CAPACITY + 4, 2), 5);
}

/* A read scattered over three buffers of different sizes, as Linux's scatter-gather lists are. */
static void read_into_three_segments(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    fill(f, DATA(0), UNTOUCHED, 0x1000 * 3);
    put_header(f, HEADER, VIRTIO_BLK_T_IN, 5);
    struct piece pieces[] = {
        {HEADER, VIRTIO_BLK_REQUEST_HEADER_SIZE, false},
        {DATA(0), 512, true},
        {DATA(1), 1024, true},
        {DATA(2), 512, true},
        {STATUS, 1, true},
    };
    submit_chain(f, pieces, 5);

    assert_int_equal(status_byte(f), VIRTIO_BLK_S_OK);
    assert_disk_bytes_at(f, DATA(0), 5, 512);
    assert_disk_bytes_at(f, DATA(1), 6, 1024);
    assert_disk_bytes_at(f, DATA(2), 8, 512);
    assert_untouched(f, DATA(0) + 512, 16);
    assert_untouched(f, DATA(1) + 1024, 16);
    assert_untouched(f, DATA(2) + 512, 16);
    assert_int_equal(fake_driver_used_index(&f->driver), 1);
    assert_int_equal(last_used(f).head, 0);
    assert_int_equal(last_used(f).written_length, 2048 + 1);
    assert_int_equal(f->blk.statistics.read_requests, 1);
    assert_int_equal(f->blk.statistics.read_sectors, 4);

    /* The interrupt came, and the statistics outlive a driver reset (they are the VMM's). */
    assert_int_equal(f->interrupts, 1);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), VIRTIO_MMIO_INTERRUPT_USED_BUFFER);
    write32(f, VIRTIO_MMIO_REG_STATUS, 0);
    assert_int_equal(f->blk.statistics.read_sectors, 4);
}

/* Linux puts its requests in indirect tables: the same read through one. */
static void read_through_an_indirect_table(void **state)
{
    struct fixture *f = *state;
    assert_null(
        fake_driver_bring_up(&f->blk.transport, &f->driver, DRIVER_FEATURES | VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC)));
    put_header(f, HEADER, VIRTIO_BLK_T_IN, DISK_SECTORS - 2);
    fill(f, STATUS, UNTOUCHED, 1);
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 0, HEADER, 16, VIRTQ_DESC_F_NEXT, 1);
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 1, DATA(0), 1024, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
    fake_write_descriptor(&f->memory, INDIRECT_TABLE, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    fake_driver_set_descriptor(&f->driver, 7, INDIRECT_TABLE, 3 * VIRTQ_DESCRIPTOR_SIZE, VIRTQ_DESC_F_INDIRECT, 0);
    fake_driver_make_available(&f->driver, 7);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);

    assert_int_equal(status_byte(f), VIRTIO_BLK_S_OK);
    assert_disk_bytes_at(f, DATA(0), DISK_SECTORS - 2, 1024);
    assert_int_equal(last_used(f).head, 7);
    assert_int_equal(last_used(f).written_length, 1024 + 1);
}

static void write_then_read_back(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    uint8_t *first = fake_ram_at(&f->memory, DATA(0));
    uint8_t *second = fake_ram_at(&f->memory, DATA(1));
    for (unsigned i = 0; i < 512; i++) {
        first[i] = (uint8_t)(0xa0 ^ i);
        second[i] = (uint8_t)(0x0b + i);
    }
    put_header(f, HEADER, VIRTIO_BLK_T_OUT, 10);
    struct piece write_pieces[] = {
        {HEADER, VIRTIO_BLK_REQUEST_HEADER_SIZE, false},
        {DATA(0), 512, false},
        {DATA(1), 512, false},
        {STATUS, 1, true},
    };
    submit_chain(f, write_pieces, 4);

    assert_int_equal(status_byte(f), VIRTIO_BLK_S_OK);
    assert_int_equal(last_used(f).written_length, 1); /* only the status byte */
    assert_memory_equal(f->image + 10 * 512, first, 512);
    assert_memory_equal(f->image + 11 * 512, second, 512);
    assert_int_equal(f->image[10 * 512 - 1], disk_pattern(10 * 512 - 1));
    assert_int_equal(f->image[12 * 512], disk_pattern(12 * 512));
    assert_int_equal(f->blk.statistics.write_requests, 1);
    assert_int_equal(f->blk.statistics.written_sectors, 2);

    fill(f, DATA(4), UNTOUCHED, 1024);
    submit_request(f, VIRTIO_BLK_T_IN, 10, DATA(4), 1024, true);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_OK);
    assert_memory_equal(fake_ram_at(&f->memory, DATA(4)), first, 512);
    assert_memory_equal(fake_ram_at(&f->memory, DATA(4) + 512), second, 512);
    assert_int_equal(f->interrupts, 2);
}

static void write_to_read_only_disk_fails(void **state)
{
    struct fixture *f = *state;
    assert_null(fake_driver_bring_up(&f->blk.transport, &f->driver, DRIVER_FEATURES | VIRTIO_FEATURE(VIRTIO_BLK_F_RO)));
    fill(f, DATA(0), 0xee, 512);
    submit_request(f, VIRTIO_BLK_T_OUT, 0, DATA(0), 512, false);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_IOERR);
    assert_int_equal(last_used(f).written_length, 1);
    assert_disk_unchanged(f);
    assert_int_equal(f->blk.statistics.write_requests, 0);
    assert_int_equal(f->blk.statistics.failed_requests, 1);

    /* Reads, flushes and the ID still work. */
    submit_request(f, VIRTIO_BLK_T_IN, 0, DATA(1), 512, true);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_OK);
    assert_disk_bytes_at(f, DATA(1), 0, 512);
    submit_request(f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_OK);
    submit_request(f, VIRTIO_BLK_T_GET_ID, 0, DATA(2), VIRTIO_BLK_ID_BYTES, true);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_OK);
}

/* A failed read writes nothing but the status byte. */
static void assert_read_fails(struct fixture *f, uint64_t sector, uint32_t length)
{
    fill(f, DATA(0), UNTOUCHED, length);
    submit_request(f, VIRTIO_BLK_T_IN, sector, DATA(0), length, true);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_IOERR);
    assert_int_equal(last_used(f).written_length, 1);
    assert_untouched(f, DATA(0), length);
}

static void requests_stay_inside_the_disk(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    submit_request(f, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, DATA(0), 512, true);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_OK);
    assert_disk_bytes_at(f, DATA(0), DISK_SECTORS - 1, 512);

    assert_read_fails(f, DISK_SECTORS, 512);
    assert_read_fails(f, DISK_SECTORS - 1, 1024);
    /* sector * 512 wraps to 0 in 64 bits: a check of sector * 512 + length against the size would pass. */
    assert_read_fails(f, 1ull << 55, 512);
    assert_read_fails(f, UINT64_MAX, 512);

    fill(f, DATA(1), 0xee, 512);
    submit_request(f, VIRTIO_BLK_T_OUT, 1ull << 55, DATA(1), 512, false);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_IOERR);
    submit_request(f, VIRTIO_BLK_T_OUT, DISK_SECTORS, DATA(1), 512, false);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_IOERR);
    assert_disk_unchanged(f);
    assert_int_equal(f->blk.statistics.failed_requests, 6);
    assert_int_equal(f->blk.statistics.read_requests, 1);
}

static void lengths_must_be_whole_sectors(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    assert_read_fails(f, 0, 100);
    assert_read_fails(f, 0, 513);
    fill(f, DATA(1), 0xee, 513);
    submit_request(f, VIRTIO_BLK_T_OUT, 0, DATA(1), 513, false);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_IOERR);
    assert_disk_unchanged(f);
}

/* A read that also carries data for the device, a write that also asks for data back. */
static void data_in_the_wrong_direction_fails(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    fill(f, DATA(0), 0xee, 512);
    fill(f, DATA(1), UNTOUCHED, 512);
    put_header(f, HEADER, VIRTIO_BLK_T_IN, 0);
    struct piece pieces[] = {
        {HEADER, VIRTIO_BLK_REQUEST_HEADER_SIZE, false},
        {DATA(0), 512, false},
        {DATA(1), 512, true},
        {STATUS, 1, true},
    };
    submit_chain(f, pieces, 4);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_IOERR);
    assert_untouched(f, DATA(1), 512);

    put_header(f, HEADER, VIRTIO_BLK_T_OUT, 0);
    submit_chain(f, pieces, 4);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_IOERR);
    assert_untouched(f, DATA(1), 512);
    assert_disk_unchanged(f);
    assert_int_equal(last_used(f).written_length, 1);
}

static void get_id_returns_the_padded_id(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    fill(f, DATA(0), UNTOUCHED, 32);
    submit_request(f, VIRTIO_BLK_T_GET_ID, 0, DATA(0), VIRTIO_BLK_ID_BYTES, true);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_OK);
    uint8_t expected[VIRTIO_BLK_ID_BYTES] = {0};
    memcpy(expected, DISK_ID, strlen(DISK_ID));
    assert_memory_equal(fake_ram_at(&f->memory, DATA(0)), expected, VIRTIO_BLK_ID_BYTES);
    assert_untouched(f, DATA(0) + VIRTIO_BLK_ID_BYTES, 12);
    assert_int_equal(last_used(f).written_length, VIRTIO_BLK_ID_BYTES + 1);
}

/* An ID of exactly 20 bytes goes out without a terminator; 21 bytes are refused. */
static void id_of_full_length(void **state)
{
    struct fixture *f = *state;
    const char *full = "ABCDEFGHIJKLMNOPQRST";
    struct virtio_blk_backing backing = {.image = f->image, .size = DISK_BYTES, .id = full};
    assert_null(virtio_blk_init(&f->blk, &f->memory, &backing, count_interrupt, f));
    bring_up(f);
    fill(f, DATA(0), UNTOUCHED, 32);
    submit_request(f, VIRTIO_BLK_T_GET_ID, 0, DATA(0), 32, true);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_OK);
    assert_memory_equal(fake_ram_at(&f->memory, DATA(0)), full, VIRTIO_BLK_ID_BYTES);
    assert_untouched(f, DATA(0) + VIRTIO_BLK_ID_BYTES, 12);
    assert_int_equal(last_used(f).written_length, VIRTIO_BLK_ID_BYTES + 1);

    backing.id = "ABCDEFGHIJKLMNOPQRSTU";
    assert_non_null(virtio_blk_init(&f->blk, &f->memory, &backing, count_interrupt, f));
}

static void flush_succeeds(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    submit_request(f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_OK);
    assert_int_equal(last_used(f).written_length, 1);
    assert_int_equal(f->blk.statistics.flushes, 1);
    assert_int_equal(f->interrupts, 1);
}

static void unknown_types_are_unsupported(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    fill(f, DATA(0), 0xee, 512);
    submit_request(f, 11, 0, DATA(0), 512, false); /* VIRTIO_BLK_T_DISCARD: VIRTIO_BLK_F_DISCARD is not offered */
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(last_used(f).written_length, 1);
    fill(f, DATA(1), UNTOUCHED, 512);
    submit_request(f, 0x12345678, 0, DATA(1), 512, true);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_UNSUPP);
    assert_untouched(f, DATA(1), 512);
    assert_disk_unchanged(f);
    assert_int_equal(f->blk.statistics.unsupported_requests, 2);
}

/*
 * The header in two descriptors whose second one carries the data as well;
 * then a read whose data and status byte share one buffer.
 */
static void header_split_over_two_descriptors(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    uint8_t header[VIRTIO_BLK_REQUEST_HEADER_SIZE];
    encode_header(header, VIRTIO_BLK_T_OUT, 3);
    memcpy(fake_ram_at(&f->memory, HEADER), header, 6);
    memcpy(fake_ram_at(&f->memory, DATA(0)), header + 6, 10);
    uint8_t *data = fake_ram_at(&f->memory, DATA(0) + 10);
    for (unsigned i = 0; i < 512; i++) {
        data[i] = (uint8_t)(0x33 + 3 * i);
    }
    struct piece write_pieces[] = {
        {HEADER, 6, false},
        {DATA(0), 10 + 512, false},
        {STATUS, 1, true},
    };
    submit_chain(f, write_pieces, 3);
    assert_int_equal(status_byte(f), VIRTIO_BLK_S_OK);
    assert_memory_equal(f->image + 3 * 512, data, 512);

    encode_header(header, VIRTIO_BLK_T_IN, 3);
    memcpy(fake_ram_at(&f->memory, HEADER), header, 8);
    memcpy(fake_ram_at(&f->memory, HEADER + 0x800), header + 8, 8);
    fill(f, DATA(1), UNTOUCHED, 513);
    struct piece read_pieces[] = {
        {HEADER, 8, false},
        {HEADER + 0x800, 8, false},
        {DATA(1), 512 + 1, true},
    };
    post_chain(f, 0, read_pieces, 3);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);
    assert_memory_equal(fake_ram_at(&f->memory, DATA(1)), data, 512);
    assert_int_equal(*fake_ram_at(&f->memory, DATA(1) + 512), VIRTIO_BLK_S_OK);
    assert_int_equal(last_used(f).written_length, 512 + 1);
}

/* Several chains for one notification: all answered, one interrupt. */
static void several_requests_one_interrupt(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    put_header(f, HEADER, VIRTIO_BLK_T_IN, 1);
    put_header(f, HEADER + 0x100, VIRTIO_BLK_T_IN, 2);
    put_header(f, HEADER + 0x200, VIRTIO_BLK_T_FLUSH, 0);
    struct piece first[] = {{HEADER, 16, false}, {DATA(0), 512, true}, {STATUS, 1, true}};
    struct piece second[] = {{HEADER + 0x100, 16, false}, {DATA(1), 512, true}, {STATUS + 1, 1, true}};
    struct piece third[] = {{HEADER + 0x200, 16, false}, {STATUS + 2, 1, true}};
    fill(f, STATUS, UNTOUCHED, 3);
    post_chain(f, 0, first, 3);
    post_chain(f, 3, second, 3);
    post_chain(f, 6, third, 2);
    write32(f, VIRTIO_MMIO_REG_QUEUE_NOTIFY, 0);

    assert_int_equal(fake_driver_used_index(&f->driver), 3);
    assert_int_equal(f->interrupts, 1);
    assert_memory_equal(fake_ram_at(&f->memory, STATUS), ((uint8_t[]){0, 0, 0}), 3);
    assert_disk_bytes_at(f, DATA(0), 1, 512);
    assert_disk_bytes_at(f, DATA(1), 2, 512);
    assert_int_equal(fake_driver_used_element(&f->driver, 1).head, 3);
    assert_int_equal(fake_driver_used_element(&f->driver, 2).head, 6);
    assert_int_equal(fake_driver_used_element(&f->driver, 2).written_length, 1);
}

static void assert_needs_reset(struct fixture *f)
{
    assert_true(read32(f, VIRTIO_MMIO_REG_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_non_null(f->blk.transport.needs_reset_reason);
    assert_int_equal(read32(f, VIRTIO_MMIO_REG_INTERRUPT_STATUS), VIRTIO_MMIO_INTERRUPT_CONFIG_CHANGE);
    assert_int_equal(f->interrupts, 1);
    assert_int_equal(fake_driver_used_index(&f->driver), 0);
}

/* A write with nowhere to put its status: nothing is written, the device needs a reset. */
static void chain_without_status_byte_needs_reset(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    fill(f, DATA(0), 0xee, 512);
    put_header(f, HEADER, VIRTIO_BLK_T_OUT, 0);
    struct piece pieces[] = {{HEADER, 16, false}, {DATA(0), 512, false}};
    submit_chain(f, pieces, 2);
    assert_needs_reset(f);
    assert_non_null(strstr(f->blk.transport.needs_reset_reason, "status"));
    assert_disk_unchanged(f);

    /* A zero-length writable buffer is no room either. */
    fake_driver_init(&f->driver, &f->memory, FAKE_QUEUE_BASE, QUEUE_SIZE);
    f->interrupts = 0;
    bring_up(f);
    struct piece empty_status[] = {{HEADER, 16, false}, {DATA(0), 512, false}, {STATUS, 0, true}};
    submit_chain(f, empty_status, 3);
    assert_needs_reset(f);
    assert_untouched(f, STATUS, 1);
    assert_disk_unchanged(f);
}

static void chain_with_short_header_needs_reset(void **state)
{
    struct fixture *f = *state;
    bring_up(f);
    put_header(f, HEADER, VIRTIO_BLK_T_FLUSH, 0);
    struct piece pieces[] = {{HEADER, 8, false}, {STATUS, 1, true}};
    submit_chain(f, pieces, 2);
    assert_needs_reset(f);
    assert_non_null(strstr(f->blk.transport.needs_reset_reason, "header"));
    assert_untouched(f, STATUS, 1);
    assert_int_equal(f->blk.statistics.flushes, 0);
}

static void init_refuses_unusable_backings(void **state)
{
    struct fixture *f = *state;
    struct virtio_blk *blk = malloc(sizeof(*blk));
    struct virtio_blk_backing backing = {.image = f->image, .size = DISK_BYTES - 1};
    assert_non_null(virtio_blk_init(blk, &f->memory, &backing, count_interrupt, f));
    backing.size = 0;
    assert_non_null(virtio_blk_init(blk, &f->memory, &backing, count_interrupt, f));
    backing = (struct virtio_blk_backing){.image = NULL, .size = DISK_BYTES};
    assert_non_null(virtio_blk_init(blk, &f->memory, &backing, count_interrupt, f));
    backing = (struct virtio_blk_backing){.image = f->image, .size = DISK_BYTES};
    assert_non_null(virtio_blk_init(blk, &f->memory, &backing, NULL, NULL));
    assert_null(virtio_blk_init(blk, &f->memory, &backing, count_interrupt, f));
    free(blk);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define READ_ONLY_TEST(name) cmocka_unit_test_setup_teardown(name, setup_read_only, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(identifies_and_offers_block_features),
        READ_ONLY_TEST(read_only_disk_offers_ro),
        TEST(configuration_reads),
        TEST(large_capacity_fills_the_high_half),
        TEST(read_into_three_segments),
        TEST(read_through_an_indirect_table),
        TEST(write_then_read_back),
        READ_ONLY_TEST(write_to_read_only_disk_fails),
        TEST(requests_stay_inside_the_disk),
        TEST(lengths_must_be_whole_sectors),
        TEST(data_in_the_wrong_direction_fails),
        TEST(get_id_returns_the_padded_id),
        TEST(id_of_full_length),
        TEST(flush_succeeds),
        TEST(unknown_types_are_unsupported),
        TEST(header_split_over_two_descriptors),
        TEST(several_requests_one_interrupt),
        TEST(chain_without_status_byte_needs_reset),
        TEST(chain_with_short_header_needs_reset),
        TEST(init_refuses_unusable_backings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
