/*
 * struct mmio over registers mapped uncached in this Micro-App (a BAR the PCI
 * app handed over): every call one volatile access of its width.
 */
#ifndef DRIVERS_VIRTIO_NET_MAPPED_MMIO_H
#define DRIVERS_VIRTIO_NET_MAPPED_MMIO_H

#include "mmio.h"

#include <stdint.h>

/* Registers starting at base (the context is base itself; read64 and write64 are NULL). */
struct mmio mapped_mmio(volatile uint8_t *base);

#endif
