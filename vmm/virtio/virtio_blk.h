/*
 * The block device (VIRTIO 1.2 section 5.2) with one request queue, backed by
 * a disk image the VMM holds wholly in its own memory: reads and writes are
 * copies between that image and the guest's buffers. Offered: SEG_MAX,
 * BLK_SIZE, FLUSH, and RO for a read-only image.
 *
 * Requests the protocol can answer (a bad sector range or length, a write to
 * a read-only disk, data in the wrong direction) get VIRTIO_BLK_S_IOERR and
 * touch neither the image nor guest RAM beyond the status byte; unknown
 * types get VIRTIO_BLK_S_UNSUPP. A chain with no room for the header or the
 * status byte cannot be answered: the device then needs a reset.
 */
#ifndef VMM_VIRTIO_VIRTIO_BLK_H
#define VMM_VIRTIO_VIRTIO_BLK_H

#include "virtio_mmio.h"
#include "virtqueue.h"

#include <stdbool.h>
#include <stdint.h>
#include <vmm/guest_memory.h>

/* The protocol's unit for sector numbers, capacity and data lengths, whatever blk_size says. */
#define VIRTIO_BLK_SECTOR_SIZE 512u
/* The device ID string a VIRTIO_BLK_T_GET_ID request returns: NUL-padded, unterminated at full length. */
#define VIRTIO_BLK_ID_BYTES 20u

/* Feature bits (section 5.2.3) this device offers. */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

/*
 * The fields of struct virtio_blk_config (section 5.2.4) the offered features
 * cover, as byte offsets; size_max and geometry lie between them and read as 0.
 */
#define VIRTIO_BLK_CONFIG_CAPACITY 0u  /* le64, in 512-byte sectors */
#define VIRTIO_BLK_CONFIG_SEG_MAX 12u  /* le32 */
#define VIRTIO_BLK_CONFIG_BLK_SIZE 20u /* le32 */
#define VIRTIO_BLK_CONFIG_SIZE 24u

/* The device-readable header of every request: le32 type, le32 reserved, le64 sector. */
#define VIRTIO_BLK_REQUEST_HEADER_SIZE 16u

/* Request types (section 5.2.6) this device serves; any other gets VIRTIO_BLK_S_UNSUPP. */
#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_T_GET_ID 8u

/* The status byte the device writes last. */
#define VIRTIO_BLK_S_OK 0u
#define VIRTIO_BLK_S_IOERR 1u
#define VIRTIO_BLK_S_UNSUPP 2u

/* The disk the VMM hands the device. */
struct virtio_blk_backing {
    uint8_t *image; /* size bytes, owned by the VMM, written by the guest unless read_only */
    uint64_t size;  /* a nonzero multiple of VIRTIO_BLK_SECTOR_SIZE */
    bool read_only;
    const char *id; /* NUL-terminated, at most VIRTIO_BLK_ID_BYTES characters; NULL for an empty ID */
};

/* What the guest did with the disk, for the VMM to report; kept across driver resets. */
struct virtio_blk_statistics {
    uint64_t read_requests; /* VIRTIO_BLK_T_IN answered VIRTIO_BLK_S_OK */
    uint64_t read_sectors;
    uint64_t write_requests; /* VIRTIO_BLK_T_OUT answered VIRTIO_BLK_S_OK */
    uint64_t written_sectors;
    uint64_t flushes;
    uint64_t failed_requests;      /* answered VIRTIO_BLK_S_IOERR */
    uint64_t unsupported_requests; /* answered VIRTIO_BLK_S_UNSUPP */
};

struct virtio_blk {
    struct virtio_mmio_device transport; /* what the VMM forwards the MMIO window to */
    struct virtio_device_ops ops;        /* per device: the offered features depend on read_only */
    uint8_t *image;
    uint64_t capacity; /* in sectors */
    bool read_only;
    uint8_t id[VIRTIO_BLK_ID_BYTES]; /* NUL-padded */
    struct virtio_blk_statistics statistics;
    struct virtq_chain chain; /* the chain being served: too large for a small stack */
};

/*
 * Sets up the device on its transport for backing (the image stays the
 * VMM's; the device keeps the pointer, copies the ID). The VMM then forwards
 * the guest's accesses to its window to virtio_mmio_read/write(&blk->transport,
 * ...). NULL, or why it cannot be set up.
 */
const char *virtio_blk_init(struct virtio_blk *blk, const struct guest_memory *memory,
                            const struct virtio_blk_backing *backing, void (*raise_interrupt)(void *context),
                            void *interrupt_context);

#endif
