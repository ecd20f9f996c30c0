/* VMs and their events as JSON objects (the .proto's field names, enums by name), table rows and detail views. */
#ifndef KAPSELCTL_RENDER_VM_H
#define KAPSELCTL_RENDER_VM_H

#include "json_writer.h"
#include "table.h"

#include <kapsel/client.h>

/* "RUNNING" for KAPSEL__V1__VM_STATE__RUNNING; "UNKNOWN" for a value the .proto does not have. */
const char *vm_state_name(int state);

void vm_json(struct json_writer *writer, const Kapsel__V1__Vm *vm);
void vm_event_json(struct json_writer *writer, const Kapsel__V1__VmEvent *event);

/* The VM table: NAME TENANT STATE MEMORY NETWORK AGE REASON, after a HOST column if with_host. */
bool vm_table_init(struct table *table, bool with_host);
bool vm_table_add(struct table *table, const char *host, const Kapsel__V1__Vm *vm, uint64_t now_ms);

/* Every field, one per line ("Name:  vms/web-1"). */
void vm_detail(FILE *out, const Kapsel__V1__Vm *vm);

/* The watch's line for an event, and the header above the lines. */
void vm_event_header(FILE *out);
void vm_event_line(FILE *out, const Kapsel__V1__VmEvent *event);

#endif
