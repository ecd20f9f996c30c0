/*
 * Guest-linear to guest-physical translation through the guest's own page
 * tables, for the VMM's reads of guest memory by linear address (fetching the
 * instruction that made an MMIO exit). Covers every x86 paging mode: none,
 * 32-bit (with 4 MiB pages), PAE, and 4- or 5-level long mode (2 MiB and
 * 1 GiB pages). Only presence is checked: the guest already ran the access,
 * so its rights were checked by the CPU. Every table is read through
 * guest_memory_at, so a guest's page tables can never point the VMM outside
 * guest RAM. Pure C, unit-tested on the host.
 */
#ifndef VMM_X86_GUEST_PAGE_WALK_H
#define VMM_X86_GUEST_PAGE_WALK_H

#include <stdint.h>
#include <vmm/guest_memory.h>

/* The control registers that select the paging mode and its root. */
struct guest_paging {
    uint64_t cr0, cr3, cr4, efer;
};

/*
 * Translates linear into *physical and sets *bytes_in_page to how many bytes
 * from there lie in the same page (translate again beyond them). Returns NULL
 * on success, else why not (a table outside RAM, an entry not present, a
 * non-canonical address), for the VMM's end-of-VM message.
 */
const char *guest_page_walk(const struct guest_memory *ram, const struct guest_paging *paging, uint64_t linear,
                            uint64_t *physical, uint64_t *bytes_in_page);

#endif
