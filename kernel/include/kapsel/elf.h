/* Checks ELF64 executables (boot modules, later Micro-App images) before anything is loaded from them. */
#ifndef KAPSEL_ELF_H
#define KAPSEL_ELF_H

#include <kapsel/error.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_MACHINE_X86_64 62
#define ELF_MACHINE_AARCH64 183
#define ELF_MAX_SEGMENTS 16

#define ELF_SEGMENT_EXECUTE 1u
#define ELF_SEGMENT_WRITE 2u
#define ELF_SEGMENT_READ 4u

struct elf_segment {
    uint64_t vaddr;
    uint64_t memory_size;
    uint64_t file_offset;
    uint64_t file_size;
    uint32_t flags; /* ELF_SEGMENT_* */
};

struct elf_image {
    uint64_t entry;
    size_t segment_count;
    struct elf_segment segments[ELF_MAX_SEGMENTS];
};

/* True if data starts with the ELF magic (says nothing about validity). */
bool elf_has_magic(const void *data, size_t size);

/*
 * Validates a static ELF64 little-endian executable for machine whose loadable
 * segments all lie below address_limit, and describes its PT_LOAD segments.
 * On failure *reason names the first problem found.
 */
enum error elf_image_parse(const void *data, size_t size, uint16_t machine, uint64_t address_limit,
                           struct elf_image *image, const char **reason);

#endif
