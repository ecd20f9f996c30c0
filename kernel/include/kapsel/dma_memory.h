/*
 * The DMA memory object: physically contiguous, zeroed RAM for device drivers,
 * mapped into the caller, which learns its physical address (there is no
 * IOMMU). A boot-time singleton, separate from the Memory object, so that the
 * root task hands it to drivers only.
 */
#ifndef KAPSEL_DMA_MEMORY_H
#define KAPSEL_DMA_MEMORY_H

#include <kapsel/object.h>

struct object *dma_memory_object(void);

enum error dma_memory_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words);

#endif
