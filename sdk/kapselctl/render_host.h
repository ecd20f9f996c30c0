/* The host's facts and health as JSON objects, table rows (fleet) and detail views. */
#ifndef KAPSELCTL_RENDER_HOST_H
#define KAPSELCTL_RENDER_HOST_H

#include "json_writer.h"
#include "table.h"

#include <kapsel/client.h>

/* The guest RAM VMs may still get: vm_memory_limit_bytes less vm_memory_used_bytes (0 if used exceeds it). */
uint64_t host_free_vm_memory(const Kapsel__V1__HostInfo *info);

void host_info_json(struct json_writer *writer, const Kapsel__V1__HostInfo *info);
void host_info_detail(FILE *out, const Kapsel__V1__HostInfo *info);

/* HOST ADDRESS NAME VERSION ARCH CPUS VMS VM-MEMORY-FREE UPTIME, one row per host of a fleet. */
bool host_info_table_init(struct table *table);
bool host_info_table_add(struct table *table, const char *host, const char *address, const Kapsel__V1__HostInfo *info);

/* "SERVING", "NOT_SERVING" or "SERVING_STATUS_UNSPECIFIED". */
const char *health_status_name(int status);

#endif
