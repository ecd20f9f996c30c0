/*
 * Little-endian loads and stores of unaligned fields, byte by byte: boot
 * protocol and ACPI structures are packed, and guest memory has no alignment
 * the compiler could rely on.
 */
#ifndef VMM_BOOT_LITTLE_ENDIAN_H
#define VMM_BOOT_LITTLE_ENDIAN_H

#include <stdint.h>

static inline void store_le16(uint8_t *at, uint16_t value)
{
    at[0] = (uint8_t)value;
    at[1] = (uint8_t)(value >> 8);
}

static inline void store_le32(uint8_t *at, uint32_t value)
{
    store_le16(at, (uint16_t)value);
    store_le16(at + 2, (uint16_t)(value >> 16));
}

static inline void store_le64(uint8_t *at, uint64_t value)
{
    store_le32(at, (uint32_t)value);
    store_le32(at + 4, (uint32_t)(value >> 32));
}

static inline uint16_t load_le16(const uint8_t *at)
{
    return (uint16_t)(at[0] | (uint16_t)at[1] << 8);
}

static inline uint32_t load_le32(const uint8_t *at)
{
    return load_le16(at) | (uint32_t)load_le16(at + 2) << 16;
}

static inline uint64_t load_le64(const uint8_t *at)
{
    return load_le32(at) | (uint64_t)load_le32(at + 4) << 32;
}

#endif
