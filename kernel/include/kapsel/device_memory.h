/*
 * The Device memory object: maps physical ranges that are not RAM (device
 * registers: PCI BARs, chipset MMIO) uncached into the caller, as root
 * mappings of the mapping database. A boot-time singleton, separate from the
 * Memory object, so the root task can hand a bus driver device registers
 * without handing it RAM.
 */
#ifndef KAPSEL_DEVICE_MEMORY_H
#define KAPSEL_DEVICE_MEMORY_H

#include <kapsel/object.h>

struct object *device_memory_object(void);

enum error device_memory_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words);

#endif
