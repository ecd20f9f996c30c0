/*
 * The hand-over of one PCI function from the PCI bus Micro-App to its driver
 * Micro-App (issue 6), shared by both sides.
 *
 * The PCI app (pci_bus --assign <vendor>:<device>=<driver app>) maps the
 * function's memory BARs with DEVICE_MEMORY_MAP, enables memory decoding and
 * bus mastering, binds one Irq per MSI-X vector it hands over (ICU_BIND_MSI)
 * and enables MSI-X with every table entry still masked. Then it CALLS the
 * driver through its "peer:<driver app>" gate with one message:
 *
 *   label PCI_HANDOFF_LABEL, PCI_HANDOFF_WORDS words, then the items:
 *     one map item per BAR (PCI_HANDOFF_BAR_COUNT of them, in word order),
 *       landing at offset bar_index * PCI_HANDOFF_BAR_SLOT of the driver's
 *       memory window (which must be PCI_HANDOFF_MEMORY_WINDOW_ORDER pages);
 *     one capability item per Irq (PCI_HANDOFF_VECTOR_COUNT), Irq i at offset i
 *       of the driver's capability window (at least PCI_HANDOFF_MAX_VECTORS slots).
 *
 * The words (PCI_HANDOFF_W_*): the function's identity, the BARs handed over
 * (index and bytes), the virtio capabilities (cfg_type, bar, offset, length,
 * notify multiplier), the MSI-X table (BAR, offset, table size) and each
 * handed vector's MSI address and data (the driver writes them into table
 * entry i and unmasks it). Everything is checked by the driver again.
 *
 * The driver replies PCI_HANDOFF_REPLY_LABEL with one word: 0 (it took the
 * device) or an enum error. When it is done with the device (it reset it),
 * it CALLS the PCI app through its own "peer:<pci app>" gate with label
 * PCI_HANDOFF_RELEASE_LABEL and no words; the PCI app turns bus mastering and
 * MSI-X off, answers, and ends (its mappings, and so the driver's, go with it).
 */
#ifndef DRIVERS_PCI_PCI_HANDOFF_H
#define DRIVERS_PCI_PCI_HANDOFF_H

#include <stdint.h>

#define PCI_HANDOFF_LABEL 0x5043ull         /* "PC": the hand-over call */
#define PCI_HANDOFF_REPLY_LABEL 0x5044ull   /* the driver's answer: [0] 0 or an enum error */
#define PCI_HANDOFF_RELEASE_LABEL 0x5045ull /* the driver gives the device back */

#define PCI_HANDOFF_MAGIC 0x4b50434948414e44ull /* "KPCIHAND", version 1 */

#define PCI_HANDOFF_MAX_BARS 4   /* handed over: those the virtio capabilities and the MSI-X table lie in */
#define PCI_HANDOFF_MAX_VIRTIO 5 /* common, notify, ISR, device, PCI configuration access */
#define PCI_HANDOFF_MAX_VECTORS 4
#define PCI_HANDOFF_BAR_SLOT 0x4000000ull  /* 64 MiB: the largest BAR handed over, and the stride of their offsets */
#define PCI_HANDOFF_MEMORY_WINDOW_ORDER 17 /* 2^17 pages = 512 MiB: a slot for each of the 6 BAR indices */

/* Words: each a uint64_t message register. */
enum pci_handoff_word {
    PCI_HANDOFF_W_MAGIC = 0,
    PCI_HANDOFF_W_IDENTITY,  /* vendor | device << 16 | bus << 32 | device number << 40 | function << 48 */
    PCI_HANDOFF_W_BAR_COUNT, /* map items, 0..PCI_HANDOFF_MAX_BARS */
    PCI_HANDOFF_W_BARS,      /* 2 words per BAR: index (0..5), bytes (a power of two, 4 KiB..BAR_SLOT) */
    PCI_HANDOFF_W_VIRTIO_COUNT = PCI_HANDOFF_W_BARS + 2 * PCI_HANDOFF_MAX_BARS,
    PCI_HANDOFF_W_VIRTIO, /* 4 words per capability: cfg_type | bar << 8, offset, length, notify multiplier */
    PCI_HANDOFF_W_MSIX_TABLE = PCI_HANDOFF_W_VIRTIO + 4 * PCI_HANDOFF_MAX_VIRTIO, /* bar | table size << 8 */
    PCI_HANDOFF_W_MSIX_OFFSET,                                                    /* of the table in its BAR */
    PCI_HANDOFF_W_VECTOR_COUNT, /* Irqs (capability items) handed over, 0..PCI_HANDOFF_MAX_VECTORS */
    PCI_HANDOFF_W_VECTORS,      /* 2 words per vector i (table entry i): MSI address, MSI data */
    PCI_HANDOFF_WORDS = PCI_HANDOFF_W_VECTORS + 2 * PCI_HANDOFF_MAX_VECTORS,
};

_Static_assert(PCI_HANDOFF_MAX_BARS + PCI_HANDOFF_MAX_VECTORS <= 8, "the items fit MESSAGE_MAX_ITEMS");
_Static_assert(PCI_HANDOFF_WORDS + 2 * (PCI_HANDOFF_MAX_BARS + PCI_HANDOFF_MAX_VECTORS) <= 64,
               "words and items fit the message registers");

#define PCI_HANDOFF_IDENTITY(vendor, device, bus, dev, function)                                                       \
    ((uint64_t)(vendor) | (uint64_t)(device) << 16 | (uint64_t)(bus) << 32 | (uint64_t)(dev) << 40 |                   \
     (uint64_t)(function) << 48)
#define PCI_HANDOFF_VIRTIO_TYPE_BAR(cfg_type, bar) ((uint64_t)(cfg_type) | (uint64_t)(bar) << 8)

#endif
