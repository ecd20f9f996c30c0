/*
 * The pager: what arrives through an app's pager gate (APP_PAGER).
 *
 *  - LABEL_PAGE_FAULT from the kernel ([0] address, [1] PAGE_FAULT_* bits,
 *    [2] rip): a read or write inside the app's stack or heap gets a fresh
 *    zeroed page (answered with a map item; for fault replies the kernel
 *    takes item word 1 as the absolute destination address). Any other fault
 *    stops the app: "<app>: stopped: page fault at 0x... (rip 0x...): <why>"
 *    (a write to its read-only files: "write, its files are read-only";
 *    a touch of its shared window beyond its regions: "outside its shared regions").
 *  - LABEL_EXCEPTION from the kernel ([0] vector, [1] error code, [2] rip,
 *    [3] rsp, [4] address): stops the app,
 *    "<app>: stopped: exception <vector> at rip 0x... (...)".
 *  - LABEL_APP_EXIT from the app ([0] status): "<app>: exited with status N".
 *
 * Stopping or exiting deletes the app (microapp_end) and sends no reply:
 * the caller is gone with its task.
 */
#ifndef ROOTTASK_PAGER_H
#define ROOTTASK_PAGER_H

#include "microapp.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * Handles one message (tag and message registers as received) from app.
 * Returns true if the caller gets a reply: then the reply's tag is in
 * *reply_tag and its words and items are in message[].
 */
bool pager_handle(struct microapp *app, uint64_t tag, uint64_t *message, uint64_t *reply_tag);

#endif
