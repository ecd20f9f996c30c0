/* Rendering VMs. */
#include "render_vm.h"

#include "human_format.h"

#include <inttypes.h>
#include <string.h>

#define MIB (1024ull * 1024ull)
#define DETAIL_FORMAT "%-14s%s\n"

static const char *enum_name(const ProtobufCEnumDescriptor *descriptor, int value)
{
    const ProtobufCEnumValue *found = protobuf_c_enum_descriptor_get_value(descriptor, value);
    return found ? found->name : "UNKNOWN";
}

const char *vm_state_name(int state)
{
    return enum_name(&kapsel__v1__vm_state__descriptor, state);
}

static const char *event_type_name(int type)
{
    return enum_name(&kapsel__v1__vm_event__type__descriptor, type);
}

static void spec_json(struct json_writer *writer, const Kapsel__V1__VmSpec *spec)
{
    static const Kapsel__V1__VmSpec empty = KAPSEL__V1__VM_SPEC__INIT;
    spec = spec ? spec : &empty;
    json_begin_object(writer);
    json_key(writer, "kernel_image");
    json_string(writer, spec->kernel_image);
    json_key(writer, "initrd_image");
    json_string(writer, spec->initrd_image);
    json_key(writer, "command_line");
    json_string(writer, spec->command_line);
    json_key(writer, "memory_mib");
    json_uint(writer, spec->memory_mib);
    json_key(writer, "vcpus");
    json_uint(writer, spec->vcpus);
    json_key(writer, "disks");
    json_begin_array(writer);
    for (size_t i = 0; i < spec->n_disks; i++) {
        json_begin_object(writer);
        json_key(writer, "image");
        json_string(writer, spec->disks[i]->image);
        json_key(writer, "read_only");
        json_bool(writer, spec->disks[i]->read_only);
        json_end_object(writer);
    }
    json_end_array(writer);
    json_key(writer, "network_id");
    json_uint(writer, spec->network_id);
    json_end_object(writer);
}

void vm_json(struct json_writer *writer, const Kapsel__V1__Vm *vm)
{
    json_begin_object(writer);
    json_key(writer, "name");
    json_string(writer, vm->name);
    json_key(writer, "tenant");
    json_string(writer, vm->tenant);
    json_key(writer, "labels");
    json_begin_object(writer);
    for (size_t i = 0; i < vm->n_labels; i++) {
        json_key(writer, vm->labels[i]->key);
        json_string(writer, vm->labels[i]->value);
    }
    json_end_object(writer);
    json_key(writer, "spec");
    spec_json(writer, vm->spec);
    json_key(writer, "state");
    json_string(writer, vm_state_name(vm->state));
    json_key(writer, "state_reason");
    json_string(writer, vm->state_reason);
    json_key(writer, "create_time_unix_ms");
    json_uint(writer, vm->create_time_unix_ms);
    json_key(writer, "start_time_unix_ms");
    json_uint(writer, vm->start_time_unix_ms);
    json_key(writer, "end_time_unix_ms");
    json_uint(writer, vm->end_time_unix_ms);
    json_key(writer, "disk_sha256");
    json_begin_array(writer);
    for (size_t i = 0; i < vm->n_disk_sha256; i++) {
        json_string(writer, vm->disk_sha256[i]);
    }
    json_end_array(writer);
    json_end_object(writer);
}

void vm_event_json(struct json_writer *writer, const Kapsel__V1__VmEvent *event)
{
    static const Kapsel__V1__Vm empty = KAPSEL__V1__VM__INIT;
    json_begin_object(writer);
    json_key(writer, "sequence");
    json_uint(writer, event->sequence);
    json_key(writer, "type");
    json_string(writer, event_type_name(event->type));
    json_key(writer, "vm");
    vm_json(writer, event->vm ? event->vm : &empty);
    json_end_object(writer);
}

bool vm_table_init(struct table *table, bool with_host)
{
    static const char *const headers[] = {"HOST", "NAME", "TENANT", "STATE", "MEMORY", "NETWORK", "AGE", "REASON"};
    return with_host ? table_init(table, 8, headers) : table_init(table, 7, headers + 1);
}

bool vm_table_add(struct table *table, const char *host, const Kapsel__V1__Vm *vm, uint64_t now_ms)
{
    char memory[HUMAN_TEXT_BYTES] = "-";
    char network[HUMAN_TEXT_BYTES] = "-";
    char age[HUMAN_TEXT_BYTES];
    if (vm->spec && vm->spec->memory_mib) {
        format_bytes(vm->spec->memory_mib * MIB, memory);
    }
    if (vm->spec && vm->spec->network_id) {
        snprintf(network, sizeof(network), "%" PRIu32, vm->spec->network_id);
    }
    format_age(vm->create_time_unix_ms, now_ms, age);
    const char *reason = vm->state_reason && vm->state_reason[0] ? vm->state_reason : "-";
    const char *row[] = {host, vm->name, vm->tenant, vm_state_name(vm->state), memory, network, age, reason};
    return host ? table_add_row(table, row) : table_add_row(table, row + 1);
}

static void detail_time(FILE *out, const char *label, uint64_t unix_ms)
{
    char text[HUMAN_TEXT_BYTES];
    format_time_utc(unix_ms, text);
    fprintf(out, DETAIL_FORMAT, label, text);
}

static const char *or_dash(const char *text)
{
    return text && text[0] ? text : "-";
}

void vm_detail(FILE *out, const Kapsel__V1__Vm *vm)
{
    static const Kapsel__V1__VmSpec empty = KAPSEL__V1__VM_SPEC__INIT;
    const Kapsel__V1__VmSpec *spec = vm->spec ? vm->spec : &empty;
    char memory[HUMAN_TEXT_BYTES];
    format_bytes(spec->memory_mib * MIB, memory);
    fprintf(out, DETAIL_FORMAT, "Name:", vm->name);
    fprintf(out, DETAIL_FORMAT, "Tenant:", vm->tenant);
    fprintf(out, DETAIL_FORMAT, "State:", vm_state_name(vm->state));
    fprintf(out, DETAIL_FORMAT, "Reason:", or_dash(vm->state_reason));
    fprintf(out, "%-14s", "Labels:");
    for (size_t i = 0; i < vm->n_labels; i++) {
        fprintf(out, "%s%s=%s", i ? ", " : "", vm->labels[i]->key, vm->labels[i]->value);
    }
    fprintf(out, "%s\n", vm->n_labels ? "" : "-");
    fprintf(out, DETAIL_FORMAT, "Kernel:", or_dash(spec->kernel_image));
    fprintf(out, DETAIL_FORMAT, "Initrd:", or_dash(spec->initrd_image));
    fprintf(out, DETAIL_FORMAT, "Command line:", or_dash(spec->command_line));
    fprintf(out, DETAIL_FORMAT, "Memory:", memory);
    fprintf(out, "%-14s%" PRIu32 "\n", "vCPUs:", spec->vcpus ? spec->vcpus : 1);
    for (size_t i = 0; i < spec->n_disks; i++) {
        fprintf(out, "%-14s%s (%s)\n", i ? "" : "Disks:", spec->disks[i]->image,
                spec->disks[i]->read_only ? "read-only" : "writable");
    }
    if (spec->n_disks == 0) {
        fprintf(out, DETAIL_FORMAT, "Disks:", "-");
    }
    if (spec->network_id) {
        fprintf(out, "%-14s%" PRIu32 "\n", "Network:", spec->network_id);
    } else {
        fprintf(out, DETAIL_FORMAT, "Network:", "-");
    }
    detail_time(out, "Created:", vm->create_time_unix_ms);
    detail_time(out, "Started:", vm->start_time_unix_ms);
    detail_time(out, "Ended:", vm->end_time_unix_ms);
    for (size_t i = 0; i < vm->n_disk_sha256; i++) {
        fprintf(out, DETAIL_FORMAT, i ? "" : "Disk SHA-256:", vm->disk_sha256[i]);
    }
}

void vm_event_header(FILE *out)
{
    fprintf(out, "%-10s%-10s%-26s%-10s%s\n", "SEQUENCE", "EVENT", "NAME", "STATE", "REASON");
}

void vm_event_line(FILE *out, const Kapsel__V1__VmEvent *event)
{
    const char *name = event->vm ? event->vm->name : "-";
    const char *state = event->vm ? vm_state_name(event->vm->state) : "-";
    const char *reason = event->vm ? or_dash(event->vm->state_reason) : "-";
    fprintf(out, "%-9" PRIu64 " %-9s %-25s %-9s %s\n", event->sequence, event_type_name(event->type), name, state,
            reason);
}
