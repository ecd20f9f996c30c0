#include "virtio_blk.h"

#include "virtio_spec.h"

#include <string.h>

#define REQUEST_QUEUE 0
#define STATUS_BYTES 1u

/*
 * The longest chain the queue takes is QueueNumMax descriptors (directly or in
 * one indirect table); the header and the status byte need one each.
 */
#define MAX_DATA_SEGMENTS (VIRTQ_MAX_SIZE - 2u)

static uint64_t load_little_endian(const uint8_t *bytes, unsigned count)
{
    uint64_t value = 0;
    for (unsigned i = count; i-- > 0;) {
        value = value << 8 | bytes[i];
    }
    return value;
}

static void store_little_endian(uint8_t *bytes, uint64_t value, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        bytes[i] = (uint8_t)(value >> (8 * i));
    }
}

/* A request as the chain frames it: the header's fields, and the data on each side of header and status. */
struct block_request {
    uint32_t type;
    uint64_t sector;
    uint64_t readable_data; /* device-readable bytes after the header */
    uint64_t writable_data; /* device-writable bytes before the status byte */
};

/* Whether length bytes from sector on are whole sectors inside the disk, without overflowing sector * 512. */
static bool inside_disk(const struct virtio_blk *blk, uint64_t sector, uint64_t length)
{
    return length % VIRTIO_BLK_SECTOR_SIZE == 0 && sector <= blk->capacity &&
           length / VIRTIO_BLK_SECTOR_SIZE <= blk->capacity - sector;
}

/* VIRTIO_BLK_T_IN: the sectors into the writable data. The request carries nothing for the device to read. */
static uint8_t read_sectors(struct virtio_blk *blk, const struct block_request *request, uint64_t *data_written)
{
    if (request->readable_data != 0 || !inside_disk(blk, request->sector, request->writable_data)) {
        return VIRTIO_BLK_S_IOERR;
    }
    virtq_chain_write(&blk->chain, 0, blk->image + request->sector * VIRTIO_BLK_SECTOR_SIZE, request->writable_data);
    *data_written = request->writable_data;
    blk->statistics.read_requests++;
    blk->statistics.read_sectors += request->writable_data / VIRTIO_BLK_SECTOR_SIZE;
    return VIRTIO_BLK_S_OK;
}

/* VIRTIO_BLK_T_OUT: the readable data into the sectors. Nothing for the device to write but the status. */
static uint8_t write_sectors(struct virtio_blk *blk, const struct block_request *request)
{
    if (blk->read_only || request->writable_data != 0 || !inside_disk(blk, request->sector, request->readable_data)) {
        return VIRTIO_BLK_S_IOERR;
    }
    virtq_chain_read(&blk->chain, VIRTIO_BLK_REQUEST_HEADER_SIZE, blk->image + request->sector * VIRTIO_BLK_SECTOR_SIZE,
                     request->readable_data);
    blk->statistics.write_requests++;
    blk->statistics.written_sectors += request->readable_data / VIRTIO_BLK_SECTOR_SIZE;
    return VIRTIO_BLK_S_OK;
}

/* VIRTIO_BLK_T_GET_ID: as much of the NUL-padded ID as the writable data holds. */
static uint8_t get_id(struct virtio_blk *blk, const struct block_request *request, uint64_t *data_written)
{
    uint64_t length = request->writable_data < VIRTIO_BLK_ID_BYTES ? request->writable_data : VIRTIO_BLK_ID_BYTES;
    virtq_chain_write(&blk->chain, 0, blk->id, length);
    *data_written = length;
    return VIRTIO_BLK_S_OK;
}

/* The status a request earns, with *data_written the bytes it put into the writable data. */
static uint8_t execute_request(struct virtio_blk *blk, const struct block_request *request, uint64_t *data_written)
{
    switch (request->type) {
    case VIRTIO_BLK_T_IN:
        return read_sectors(blk, request, data_written);
    case VIRTIO_BLK_T_OUT:
        return write_sectors(blk, request);
    case VIRTIO_BLK_T_FLUSH:
        /*
         * Every completed write is already in the image, which is all the
         * device has; a read-only disk takes flushes too, as firmware sends them.
         */
        blk->statistics.flushes++;
        return VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_GET_ID:
        return get_id(blk, request, data_written);
    }
    return VIRTIO_BLK_S_UNSUPP;
}

/*
 * Serves the chain in blk->chain: NULL with *written_length the bytes written
 * into it (data and status), or why it is too malformed to answer.
 */
static const char *serve_chain(struct virtio_blk *blk, uint32_t *written_length)
{
    const struct virtq_chain *chain = &blk->chain;
    if (chain->writable_bytes < STATUS_BYTES) {
        return "a block request without a device-writable status byte";
    }
    if (chain->readable_bytes < VIRTIO_BLK_REQUEST_HEADER_SIZE) {
        return "a block request without its 16-byte device-readable header";
    }
    /* One copy of the header: the guest may change its buffers meanwhile, the device decides on what it copied. */
    uint8_t header[VIRTIO_BLK_REQUEST_HEADER_SIZE];
    virtq_chain_read(chain, 0, header, sizeof(header));
    struct block_request request = {
        .type = (uint32_t)load_little_endian(header, 4),
        .sector = load_little_endian(header + 8, 8),
        .readable_data = chain->readable_bytes - VIRTIO_BLK_REQUEST_HEADER_SIZE,
        .writable_data = chain->writable_bytes - STATUS_BYTES,
    };
    uint64_t data_written = 0;
    uint8_t status = execute_request(blk, &request, &data_written);
    if (status == VIRTIO_BLK_S_IOERR) {
        blk->statistics.failed_requests++;
    } else if (status == VIRTIO_BLK_S_UNSUPP) {
        blk->statistics.unsupported_requests++;
    }
    virtq_chain_write(chain, request.writable_data, &status, STATUS_BYTES);
    /* At most the chain's writable bytes, which the queue caps at VIRTQ_CHAIN_MAX_BYTES: it fits in 32 bits. */
    *written_length = (uint32_t)(data_written + STATUS_BYTES);
    return NULL;
}

/* Every chain the driver made available, answered in order. */
static void serve_requests(void *context, uint16_t queue_index)
{
    struct virtio_blk *blk = context;
    struct virtio_mmio_device *transport = &blk->transport;
    struct virtq *queue = virtio_mmio_queue(transport, queue_index);
    for (;;) {
        enum virtq_result result = virtq_pop_chain(queue, transport->memory, &blk->chain);
        if (result == VIRTQ_EMPTY) {
            break;
        }
        if (result == VIRTQ_OK) {
            uint32_t written_length = 0;
            const char *malformed = serve_chain(blk, &written_length);
            if (malformed) {
                virtio_mmio_set_needs_reset(transport, malformed);
                break;
            }
            result = virtq_push_used(queue, transport->memory, blk->chain.head, written_length);
        }
        if (result != VIRTQ_OK) {
            virtio_mmio_set_needs_reset(transport, virtq_result_reason(result));
            break;
        }
    }
    virtio_mmio_signal_used(transport, queue);
}

/* Any aligned 1-, 2- or 4-byte piece of the little-endian configuration (the transport checked the range). */
static const char *config_read(void *context, uint32_t offset, unsigned size, uint32_t *value)
{
    const struct virtio_blk *blk = context;
    if (offset > VIRTIO_BLK_CONFIG_SIZE || size > VIRTIO_BLK_CONFIG_SIZE - offset || size > sizeof(*value)) {
        return "access beyond the block device's configuration space";
    }
    uint8_t config[VIRTIO_BLK_CONFIG_SIZE] = {0};
    store_little_endian(config + VIRTIO_BLK_CONFIG_CAPACITY, blk->capacity, 8);
    store_little_endian(config + VIRTIO_BLK_CONFIG_SEG_MAX, MAX_DATA_SEGMENTS, 4);
    store_little_endian(config + VIRTIO_BLK_CONFIG_BLK_SIZE, VIRTIO_BLK_SECTOR_SIZE, 4);
    *value = (uint32_t)load_little_endian(config + offset, size);
    return NULL;
}

static const char *config_write(void *context, uint32_t offset, unsigned size, uint32_t value)
{
    (void)context;
    (void)offset;
    (void)size;
    (void)value;
    return "the block device's configuration space is read-only (VIRTIO_BLK_F_CONFIG_WCE is not offered)";
}

/* The ID's length if it fits in VIRTIO_BLK_ID_BYTES, reading no further than one byte past that. */
static bool id_fits(const char *id, uint64_t *length)
{
    uint64_t count = 0;
    while (count <= VIRTIO_BLK_ID_BYTES && id[count] != '\0') {
        count++;
    }
    *length = count;
    return count <= VIRTIO_BLK_ID_BYTES;
}

const char *virtio_blk_init(struct virtio_blk *blk, const struct guest_memory *memory,
                            const struct virtio_blk_backing *backing, void (*raise_interrupt)(void *context),
                            void *interrupt_context)
{
    if (!backing->image) {
        return "the block device needs a disk image";
    }
    if (backing->size == 0 || backing->size % VIRTIO_BLK_SECTOR_SIZE != 0) {
        return "the disk image size is not a nonzero multiple of 512 bytes";
    }
    uint64_t id_length = 0;
    if (backing->id && !id_fits(backing->id, &id_length)) {
        return "the block device ID is longer than 20 bytes";
    }
    memset(blk->id, 0, sizeof(blk->id));
    if (id_length > 0) {
        memcpy(blk->id, backing->id, id_length);
    }
    blk->image = backing->image;
    blk->capacity = backing->size / VIRTIO_BLK_SECTOR_SIZE;
    blk->read_only = backing->read_only;
    blk->statistics = (struct virtio_blk_statistics){0};
    blk->ops = (struct virtio_device_ops){
        .device_id = VIRTIO_ID_BLOCK,
        .features = VIRTIO_FEATURE(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_FEATURE(VIRTIO_BLK_F_BLK_SIZE) |
                    VIRTIO_FEATURE(VIRTIO_BLK_F_FLUSH) | (backing->read_only ? VIRTIO_FEATURE(VIRTIO_BLK_F_RO) : 0),
        .queue_count = REQUEST_QUEUE + 1,
        .config_size = VIRTIO_BLK_CONFIG_SIZE,
        .config_read = config_read,
        .config_write = config_write,
        .queue_notify = serve_requests,
    };
    return virtio_mmio_init(&blk->transport, &blk->ops, blk, memory, raise_interrupt, interrupt_context);
}
