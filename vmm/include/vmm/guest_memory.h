/*
 * Guest RAM as the VMM sees it: one contiguous block of its own memory that
 * appears in the guest at guest-physical 0. Every access from a device model
 * or loader goes through guest_memory_at(), which checks the whole range, so
 * a guest-supplied address can never reach outside guest RAM.
 */
#ifndef VMM_GUEST_MEMORY_H
#define VMM_GUEST_MEMORY_H

#include <stddef.h>
#include <stdint.h>

struct guest_memory {
    uint8_t *host_base; /* where the VMM sees guest-physical 0 */
    uint64_t size;      /* bytes of guest RAM */
};

/* The VMM's pointer to [guest_physical, guest_physical + length), or NULL if any byte is outside RAM. */
static inline void *guest_memory_at(const struct guest_memory *memory, uint64_t guest_physical, uint64_t length)
{
    if (guest_physical > memory->size || length > memory->size - guest_physical) {
        return NULL;
    }
    return memory->host_base + guest_physical;
}

#endif
