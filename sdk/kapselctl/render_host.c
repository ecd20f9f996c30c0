/* Rendering the host's facts. */
#include "render_host.h"

#include "hex.h"
#include "human_format.h"

#include <inttypes.h>

#define DETAIL_FORMAT "%-18s%s\n"

uint64_t host_free_vm_memory(const Kapsel__V1__HostInfo *info)
{
    return info->vm_memory_limit_bytes > info->vm_memory_used_bytes
               ? info->vm_memory_limit_bytes - info->vm_memory_used_bytes
               : 0;
}

void host_info_json(struct json_writer *writer, const Kapsel__V1__HostInfo *info)
{
    json_begin_object(writer);
    json_key(writer, "name");
    json_string(writer, info->name);
    json_key(writer, "version");
    json_string(writer, info->version);
    json_key(writer, "architecture");
    json_string(writer, info->architecture);
    json_key(writer, "cpus");
    json_uint(writer, info->cpus);
    json_key(writer, "memory_total_bytes");
    json_uint(writer, info->memory_total_bytes);
    json_key(writer, "memory_free_bytes");
    json_uint(writer, info->memory_free_bytes);
    json_key(writer, "vms_running");
    json_uint(writer, info->vms_running);
    json_key(writer, "vms_total");
    json_uint(writer, info->vms_total);
    json_key(writer, "uptime_seconds");
    json_uint(writer, info->uptime_seconds);
    json_key(writer, "max_image_bytes");
    json_uint(writer, info->max_image_bytes);
    json_key(writer, "vm_memory_limit_bytes");
    json_uint(writer, info->vm_memory_limit_bytes);
    json_key(writer, "vm_memory_used_bytes");
    json_uint(writer, info->vm_memory_used_bytes);
    json_key(writer, "attestation_public_key");
    json_hex_string(writer, info->attestation_public_key.data, info->attestation_public_key.len);
    json_end_object(writer);
}

static void detail_bytes(FILE *out, const char *label, uint64_t bytes)
{
    char text[HUMAN_TEXT_BYTES];
    format_bytes(bytes, text);
    fprintf(out, DETAIL_FORMAT, label, text);
}

void host_info_detail(FILE *out, const Kapsel__V1__HostInfo *info)
{
    fprintf(out, DETAIL_FORMAT, "Name:", info->name);
    fprintf(out, DETAIL_FORMAT, "Version:", info->version);
    fprintf(out, DETAIL_FORMAT, "Architecture:", info->architecture);
    fprintf(out, "%-18s%" PRIu32 "\n", "CPUs:", info->cpus);
    detail_bytes(out, "Memory total:", info->memory_total_bytes);
    detail_bytes(out, "Memory free:", info->memory_free_bytes);
    fprintf(out, "%-18s%" PRIu32 " running, %" PRIu32 " in all\n", "VMs:", info->vms_running, info->vms_total);
    detail_bytes(out, "VM memory limit:", info->vm_memory_limit_bytes);
    detail_bytes(out, "VM memory used:", info->vm_memory_used_bytes);
    detail_bytes(out, "Largest image:", info->max_image_bytes);
    fprintf(out, "%-18s%" PRIu64 " s\n", "Uptime:", info->uptime_seconds);
    /* In full, as kapselctl attest --expect-key takes it; "-" from an agent without attestation. */
    fprintf(out, "%-18s", "Attestation key:");
    hex_print(out, info->attestation_public_key.data, info->attestation_public_key.len);
    fprintf(out, "%s\n", info->attestation_public_key.len ? "" : "-");
}

bool host_info_table_init(struct table *table)
{
    static const char *const headers[] = {"HOST", "ADDRESS", "NAME",           "VERSION", "ARCH",
                                          "CPUS", "VMS",     "VM-MEMORY-FREE", "UPTIME"};
    return table_init(table, 9, headers);
}

bool host_info_table_add(struct table *table, const char *host, const char *address, const Kapsel__V1__HostInfo *info)
{
    char cpus[HUMAN_TEXT_BYTES];
    char vms[HUMAN_TEXT_BYTES];
    char free_memory[HUMAN_TEXT_BYTES];
    char uptime[HUMAN_TEXT_BYTES];
    snprintf(cpus, sizeof(cpus), "%" PRIu32, info->cpus);
    snprintf(vms, sizeof(vms), "%" PRIu32 "/%" PRIu32, info->vms_running, info->vms_total);
    format_bytes(host_free_vm_memory(info), free_memory);
    format_age(1, 1 + info->uptime_seconds * 1000, uptime);
    const char *row[] = {host, address, info->name, info->version, info->architecture, cpus, vms, free_memory, uptime};
    return table_add_row(table, row);
}

const char *health_status_name(int status)
{
    const ProtobufCEnumValue *found =
        protobuf_c_enum_descriptor_get_value(&kapsel__v1__health_response__serving_status__descriptor, status);
    return found ? found->name : "UNKNOWN";
}
