#include "guest_ram.h"

#include <kapsel/syscall.h>

unsigned guest_ram_chunk_order(uint64_t from, uint64_t to, uint64_t remaining, unsigned max_order)
{
    unsigned order = 0;
    while (order < max_order) {
        uint64_t next_size = GUEST_PAGE_SIZE << (order + 1);
        if (from % next_size != 0 || to % next_size != 0 || next_size > remaining) {
            break;
        }
        order++;
    }
    return order;
}

enum error guest_ram_map(uint64_t vm, const struct guest_memory *ram, uint64_t *failed_at)
{
    uint64_t done = 0;
    while (done < ram->size) {
        uint64_t from = (uint64_t)(uintptr_t)ram->host_base + done;
        unsigned order = guest_ram_chunk_order(from, done, ram->size - done, GUEST_MAX_MAP_ORDER);
        /* Execute is the guest's right to run code from its RAM: VM_MAP takes it from the item, not the source. */
        enum error error = vm_map(vm, ITEM_MEMORY(from / GUEST_PAGE_SIZE, order, MEMORY_ALL, 0), done);
        if (error != ERROR_NONE) {
            *failed_at = done;
            return error;
        }
        done += GUEST_PAGE_SIZE << order;
    }
    return ERROR_NONE;
}
