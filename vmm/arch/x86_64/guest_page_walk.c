#include "guest_page_walk.h"

#include <stdbool.h>
#include <string.h>

#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)

#define ENTRY_PRESENT (1ull << 0)
#define ENTRY_LARGE (1ull << 7)
#define PHYSICAL_ADDRESS_MASK 0x000ffffffffff000ull /* bits 51:12 of a 64-bit entry */
#define PAGE_SHIFT 12

/* One paging mode: how many levels, how wide an entry and an index are, where the walk starts. */
struct paging_layout {
    unsigned levels;
    unsigned entry_size;  /* bytes: 4 (32-bit paging) or 8 */
    unsigned index_bits;  /* per level below the top: 10 or 9 */
    unsigned linear_bits; /* 32, 48 or 57 */
    uint64_t root;
};

static bool read_entry(const struct guest_memory *ram, uint64_t address, unsigned size, uint64_t *entry)
{
    const void *bytes = guest_memory_at(ram, address, size);
    if (!bytes) {
        return false;
    }
    *entry = 0;
    memcpy(entry, bytes, size); /* x86 is little-endian, as the VMM's host is */
    return true;
}

static void layout_of(const struct guest_paging *paging, struct paging_layout *layout)
{
    if (paging->efer & EFER_LMA) {
        bool five_levels = (paging->cr4 & CR4_LA57) != 0;
        *layout = (struct paging_layout){five_levels ? 5 : 4, 8, 9, five_levels ? 57 : 48,
                                         paging->cr3 & PHYSICAL_ADDRESS_MASK};
    } else if (paging->cr4 & CR4_PAE) {
        /* The top level is four 8-byte entries at the 32-byte aligned CR3. */
        *layout = (struct paging_layout){3, 8, 9, 32, paging->cr3 & 0xffffffe0ull};
    } else {
        *layout = (struct paging_layout){2, 4, 10, 32, paging->cr3 & 0xfffff000ull};
    }
}

/* The physical address a 32-bit paging 4 MiB entry maps: bits 31:22 and, with PSE-36, bits 39:32 from 20:13. */
static uint64_t pse_page_base(uint64_t entry)
{
    return (entry & 0xffc00000ull) | ((entry >> 13) & 0xffull) << 32;
}

const char *guest_page_walk(const struct guest_memory *ram, const struct guest_paging *paging, uint64_t linear,
                            uint64_t *physical, uint64_t *bytes_in_page)
{
    if (!(paging->cr0 & CR0_PG)) {
        *physical = linear & UINT32_MAX;
        *bytes_in_page = (1ull << PAGE_SHIFT) - (*physical & ((1ull << PAGE_SHIFT) - 1));
        return NULL;
    }
    struct paging_layout layout;
    layout_of(paging, &layout);
    if (layout.linear_bits == 32) {
        linear &= UINT32_MAX;
    } else {
        /* Canonical: the bits above the top one are copies of it. */
        uint64_t top = linear >> (layout.linear_bits - 1);
        if (top != 0 && top != UINT64_MAX >> (layout.linear_bits - 1)) {
            return "non-canonical linear address";
        }
    }
    uint64_t table = layout.root;
    for (unsigned level = layout.levels;; level--) { /* level 1 always ends the walk */
        unsigned shift = PAGE_SHIFT + (level - 1) * layout.index_bits;
        uint64_t index = (linear >> shift) & ((1ull << layout.index_bits) - 1);
        uint64_t entry;
        if (!read_entry(ram, table + index * layout.entry_size, layout.entry_size, &entry)) {
            return "a guest page table lies outside guest RAM";
        }
        if (!(entry & ENTRY_PRESENT)) {
            return "the guest's page tables do not map the address";
        }
        bool leaf = level == 1;
        if (level > 1 && (entry & ENTRY_LARGE)) {
            if (layout.entry_size == 4) {
                leaf = (paging->cr4 & CR4_PSE) != 0; /* without CR4.PSE the bit is ignored */
            } else if (level <= 3 && layout.levels > 3) {
                leaf = true; /* 2 MiB and 1 GiB pages */
            } else if (level == 2) {
                leaf = true; /* PAE's 2 MiB pages */
            } else {
                return "a guest page-table entry sets the reserved large-page bit";
            }
        }
        if (leaf) {
            uint64_t page_size = 1ull << shift;
            uint64_t base = layout.entry_size == 4 && level == 2 ? pse_page_base(entry)
                                                                 : entry & PHYSICAL_ADDRESS_MASK & ~(page_size - 1);
            uint64_t offset = linear & (page_size - 1);
            *physical = base + offset;
            *bytes_in_page = page_size - offset;
            return NULL;
        }
        table = entry & (layout.entry_size == 4 ? 0xfffff000ull : PHYSICAL_ADDRESS_MASK);
    }
}
