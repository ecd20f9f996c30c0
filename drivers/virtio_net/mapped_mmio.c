#include "mapped_mmio.h"

static volatile uint8_t *at(void *context, uint64_t offset)
{
    return (volatile uint8_t *)context + offset;
}

static uint8_t read8(void *context, uint64_t offset)
{
    return *at(context, offset);
}

static uint16_t read16(void *context, uint64_t offset)
{
    return *(volatile uint16_t *)at(context, offset);
}

static uint32_t read32(void *context, uint64_t offset)
{
    return *(volatile uint32_t *)at(context, offset);
}

static void write8(void *context, uint64_t offset, uint8_t value)
{
    *at(context, offset) = value;
}

static void write16(void *context, uint64_t offset, uint16_t value)
{
    *(volatile uint16_t *)at(context, offset) = value;
}

static void write32(void *context, uint64_t offset, uint32_t value)
{
    *(volatile uint32_t *)at(context, offset) = value;
}

struct mmio mapped_mmio(volatile uint8_t *base)
{
    return (struct mmio){
        .read8 = read8,
        .read16 = read16,
        .read32 = read32,
        .write8 = write8,
        .write16 = write16,
        .write32 = write32,
        .context = (void *)(uintptr_t)base,
    };
}
