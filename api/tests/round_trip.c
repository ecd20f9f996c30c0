/* See round_trip.h. */
#include "round_trip.h"

#include "kapsel/v1/image_service.pb-c.h"
#include "kapsel/v1/vm_service.pb-c.h"

#include <stdint.h>
#include <string.h>

/* StopVmRequest{name: "vms/a", force: true, grace_period_ms: 300} as the protobuf wire format has it: field 1
 * length-delimited, field 2 varint 1, field 3 varint 300 (0xac 0x02). Written by hand, so that the check does not
 * only compare the generated code with itself. */
static const uint8_t stop_request_wire[] = {0x0a, 0x05, 'v', 'm', 's', '/', 'a', 0x10, 0x01, 0x18, 0xac, 0x02};

static const char *check_known_encoding(void)
{
    Kapsel__V1__StopVmRequest request = KAPSEL__V1__STOP_VM_REQUEST__INIT;
    request.name = "vms/a";
    request.force = 1;
    request.grace_period_ms = 300;
    uint8_t packed[sizeof(stop_request_wire)];
    if (kapsel__v1__stop_vm_request__get_packed_size(&request) != sizeof(stop_request_wire)) {
        return "StopVmRequest: packed size differs from the wire format's";
    }
    kapsel__v1__stop_vm_request__pack(&request, packed);
    if (memcmp(packed, stop_request_wire, sizeof(packed)) != 0) {
        return "StopVmRequest: packed bytes differ from the wire format's";
    }
    Kapsel__V1__StopVmRequest *unpacked =
        kapsel__v1__stop_vm_request__unpack(NULL, sizeof(stop_request_wire), stop_request_wire);
    if (!unpacked) {
        return "StopVmRequest: the wire bytes did not unpack";
    }
    int same = strcmp(unpacked->name, "vms/a") == 0 && unpacked->force && unpacked->grace_period_ms == 300;
    kapsel__v1__stop_vm_request__free_unpacked(unpacked, NULL);
    return same ? NULL : "StopVmRequest: unpacked fields differ";
}

static const char *compare_create_request(const Kapsel__V1__CreateVmRequest *request)
{
    const Kapsel__V1__Vm *vm = request->vm;
    if (strcmp(request->vm_id, "vm-a") != 0 || !vm || strcmp(vm->tenant, "tenant-a") != 0) {
        return "CreateVmRequest: vm_id or vm.tenant differ";
    }
    if (vm->n_labels != 2 || strcmp(vm->labels[0]->key, "role") != 0 || strcmp(vm->labels[0]->value, "web") != 0 ||
        strcmp(vm->labels[1]->key, "zone") != 0 || strcmp(vm->labels[1]->value, "") != 0) {
        return "CreateVmRequest: vm.labels differ";
    }
    const Kapsel__V1__VmSpec *spec = vm->spec;
    if (!spec || strcmp(spec->kernel_image, "images/k") != 0 || strcmp(spec->command_line, "console=hvc0") != 0 ||
        spec->memory_mib != 4096 || spec->network_id != 4095) {
        return "CreateVmRequest: vm.spec differs";
    }
    if (spec->n_disks != 2 || strcmp(spec->disks[0]->image, "images/d0") != 0 || !spec->disks[0]->read_only ||
        strcmp(spec->disks[1]->image, "images/d1") != 0 || spec->disks[1]->read_only) {
        return "CreateVmRequest: vm.spec.disks differ";
    }
    return NULL;
}

/* A message with a map, nested messages and repeated messages, through pack and unpack. */
static const char *check_create_request(void)
{
    Kapsel__V1__Vm__LabelsEntry role = KAPSEL__V1__VM__LABELS_ENTRY__INIT;
    Kapsel__V1__Vm__LabelsEntry zone = KAPSEL__V1__VM__LABELS_ENTRY__INIT;
    role.key = "role";
    role.value = "web";
    zone.key = "zone";
    Kapsel__V1__Vm__LabelsEntry *labels[] = {&role, &zone};
    Kapsel__V1__Disk disk0 = KAPSEL__V1__DISK__INIT;
    Kapsel__V1__Disk disk1 = KAPSEL__V1__DISK__INIT;
    disk0.image = "images/d0";
    disk0.read_only = 1;
    disk1.image = "images/d1";
    Kapsel__V1__Disk *disks[] = {&disk0, &disk1};
    Kapsel__V1__VmSpec spec = KAPSEL__V1__VM_SPEC__INIT;
    spec.kernel_image = "images/k";
    spec.command_line = "console=hvc0";
    spec.memory_mib = 4096;
    spec.n_disks = 2;
    spec.disks = disks;
    spec.network_id = 4095;
    Kapsel__V1__Vm vm = KAPSEL__V1__VM__INIT;
    vm.tenant = "tenant-a";
    vm.n_labels = 2;
    vm.labels = labels;
    vm.spec = &spec;
    Kapsel__V1__CreateVmRequest request = KAPSEL__V1__CREATE_VM_REQUEST__INIT;
    request.vm_id = "vm-a";
    request.vm = &vm;

    static uint8_t packed[512];
    size_t size = kapsel__v1__create_vm_request__get_packed_size(&request);
    if (size > sizeof(packed) || kapsel__v1__create_vm_request__pack(&request, packed) != size) {
        return "CreateVmRequest: pack did not write its packed size";
    }
    Kapsel__V1__CreateVmRequest *unpacked = kapsel__v1__create_vm_request__unpack(NULL, size, packed);
    if (!unpacked) {
        return "CreateVmRequest: did not unpack";
    }
    const char *difference = compare_create_request(unpacked);
    kapsel__v1__create_vm_request__free_unpacked(unpacked, NULL);
    if (difference) {
        return difference;
    }
    /* Cut inside the last field: the runtime must refuse it rather than read past the end. */
    if (kapsel__v1__create_vm_request__unpack(NULL, size - 1, packed) != NULL) {
        return "CreateVmRequest: a truncated message unpacked";
    }
    return NULL;
}

/* A oneof: UploadImageRequest carries either the header or a chunk of bytes. */
static const char *check_upload_request(void)
{
    static const uint8_t content[] = {0x00, 0xff, 0x7f};
    Kapsel__V1__UploadImageRequest request = KAPSEL__V1__UPLOAD_IMAGE_REQUEST__INIT;
    request.part_case = KAPSEL__V1__UPLOAD_IMAGE_REQUEST__PART_CHUNK;
    request.chunk.data = (uint8_t *)content;
    request.chunk.len = sizeof(content);
    uint8_t packed[16];
    size_t size = kapsel__v1__upload_image_request__get_packed_size(&request);
    if (size > sizeof(packed) || kapsel__v1__upload_image_request__pack(&request, packed) != size) {
        return "UploadImageRequest: pack did not write its packed size";
    }
    Kapsel__V1__UploadImageRequest *unpacked = kapsel__v1__upload_image_request__unpack(NULL, size, packed);
    if (!unpacked) {
        return "UploadImageRequest: did not unpack";
    }
    int same = unpacked->part_case == KAPSEL__V1__UPLOAD_IMAGE_REQUEST__PART_CHUNK &&
               unpacked->chunk.len == sizeof(content) && memcmp(unpacked->chunk.data, content, sizeof(content)) == 0;
    kapsel__v1__upload_image_request__free_unpacked(unpacked, NULL);
    return same ? NULL : "UploadImageRequest: the chunk differs";
}

const char *kapsel_v1_round_trip(void)
{
    const char *failure = check_known_encoding();
    if (!failure) {
        failure = check_create_request();
    }
    if (!failure) {
        failure = check_upload_request();
    }
    return failure;
}
