#include "receive_window.h"

#include <kapsel/environment.h>
#include <kapsel/switch_control.h>
#include <kapsel/syscall.h>

/* Above the shared regions' window and below the environment page (kapsel/environment.h), aligned to its size. */
#define WINDOW_ADDRESS 0x0000300000000000ull
#define SLOT_SIZE SWITCH_PORT_REGION_MAX_SIZE
#define SLOT_ORDER 8         /* 2^8 pages: 1 MiB */
#define FIRST_GATE_SLOT 128  /* clear of the named capabilities (from APP_FIRST_NAMED on) */
#define CAPABILITY_SLOTS 256 /* an app's table (roottask/microapp.h) */
#define PAIRS (RECEIVE_WINDOW_SPARE + 1)

_Static_assert(APP_PAGE_SIZE << SLOT_ORDER == SLOT_SIZE, "a slot holds the largest region");
_Static_assert(WINDOW_ADDRESS >= APP_SHARED_ADDRESS + APP_SHARED_WINDOW_SIZE &&
                   WINDOW_ADDRESS + PAIRS * SLOT_SIZE <= APP_ENVIRONMENT_ADDRESS,
               "the receive window lies between the shared regions and the environment page");
_Static_assert(WINDOW_ADDRESS % SLOT_SIZE == 0, "each slot is aligned to the largest region");
_Static_assert(FIRST_GATE_SLOT >= APP_FIRST_NAMED + APP_MAX_NAMED_CAPABILITIES &&
                   FIRST_GATE_SLOT + PAIRS <= CAPABILITY_SLOTS,
               "the gate slots are clear of the named capabilities and inside the app's table");

uint64_t receive_window_region(unsigned pair)
{
    return WINDOW_ADDRESS + (uint64_t)pair * SLOT_SIZE;
}

uint64_t receive_window_gate(unsigned pair)
{
    return FIRST_GATE_SLOT + pair;
}

static bool slot_empty(uint64_t slot)
{
    enum object_type type = OBJECT_NONE;
    unsigned rights = 0;
    return task_capability_info(APP_TASK, slot, &type, &rights) == ERROR_NONE && type == OBJECT_NONE;
}

void receive_window_open(unsigned pair)
{
    if (!slot_empty(receive_window_gate(pair))) {
        task_unmap_capability(APP_TASK, receive_window_gate(pair), UNMAP_SELF);
    }
    utcb()->memory_window = ITEM_MEMORY(receive_window_region(pair) / APP_PAGE_SIZE, SLOT_ORDER, 0, 0);
    utcb()->capability_window = ITEM_CAPABILITY(receive_window_gate(pair), 0, 0, 0);
}

/* Unmaps the part of pair's memory slot from offset on, in the largest aligned blocks. */
static void unmap_from(unsigned pair, uint64_t offset)
{
    while (offset < SLOT_SIZE) {
        unsigned order = 0;
        while (order < SLOT_ORDER && offset % (APP_PAGE_SIZE << (order + 1)) == 0) {
            order++;
        }
        task_unmap(APP_TASK, ITEM_MEMORY((receive_window_region(pair) + offset) / APP_PAGE_SIZE, order, 0, 0),
                   UNMAP_SELF);
        offset += APP_PAGE_SIZE << order;
    }
}

const char *receive_window_check(unsigned pair, uint64_t region_size)
{
    unmap_from(pair, region_size);
    for (uint64_t offset = 0; offset < region_size; offset += APP_PAGE_SIZE) {
        bool mapped = false;
        unsigned rights = 0;
        task_memory_info(APP_TASK, receive_window_region(pair) + offset, &mapped, &rights);
        if (!mapped || (rights & (MEMORY_READ | MEMORY_WRITE)) != (MEMORY_READ | MEMORY_WRITE)) {
            return "a page of the region did not arrive readable and writable (not present in the sender?)";
        }
    }
    enum object_type type = OBJECT_NONE;
    unsigned rights = 0;
    task_capability_info(APP_TASK, receive_window_gate(pair), &type, &rights);
    if (type != OBJECT_IPC_GATE || !(rights & RIGHT_WRITE)) {
        return "item 1 did not arrive as a gate the switch may send to";
    }
    return NULL;
}

void receive_window_clear(unsigned pair)
{
    unmap_from(pair, 0);
    task_unmap_capability(APP_TASK, receive_window_gate(pair), UNMAP_SELF);
}
