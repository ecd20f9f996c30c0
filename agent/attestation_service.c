/* See attestation_service.h. */
#include "attestation_service.h"

#include "agent_api.h"
#include "api_call.h"
#include "attestation_key.h"
#include "kapsel/v1/attestation_service.pb-c.h"

#include <stdlib.h>
#include <string.h>

#define METHOD_PREFIX "/kapsel.v1.AttestationService/"

static struct agent_api *api_of(const struct grpc_call *call)
{
    return grpc_call_method(call)->context;
}

/* The digest in an image's name ("images/{sha256}"); "" for none. */
static char *image_digest(const char *name, char digest[IMAGE_SHA256_HEX_LENGTH + 1])
{
    if (!image_name_parse(name, digest)) {
        digest[0] = '\0';
    }
    return digest;
}

/* VmEvidence with its strings in the struct's own buffers. */
struct evidence {
    Kapsel__V1__VmEvidence message;
    Kapsel__V1__DiskEvidence disks[VM_DISKS_MAX];
    Kapsel__V1__DiskEvidence *disk_pointers[VM_DISKS_MAX];
    Kapsel__V1__HostComponent components[ATTESTATION_HOST_COMPONENTS_MAX];
    Kapsel__V1__HostComponent *component_pointers[ATTESTATION_HOST_COMPONENTS_MAX];
    char kernel[IMAGE_SHA256_HEX_LENGTH + 1];
    char initrd[IMAGE_SHA256_HEX_LENGTH + 1];
    char command_line[IMAGE_SHA256_HEX_LENGTH + 1];
    char disk_digests[VM_DISKS_MAX][IMAGE_SHA256_HEX_LENGTH + 1];
};

static void evidence_init(struct evidence *evidence, struct agent_api *api, const struct vm_record *vm,
                          const ProtobufCBinaryData *nonce)
{
    struct host_facts facts = {0};
    api->config.host_facts(api->config.host_facts_context, &facts);
    const struct unix_clock *clock = &api->config.registry->config.clock;
    Kapsel__V1__VmEvidence *message = &evidence->message;
    kapsel__v1__vm_evidence__init(message);
    message->version = ATTESTATION_EVIDENCE_VERSION;
    message->host_name = (char *)(facts.name ? facts.name : "");
    message->vm_name = (char *)vm->name;
    message->tenant = (char *)vm->tenant;
    message->state = (char *)vm_state_name(vm->state);
    message->nonce = *nonce;
    message->time_unix_ms = clock->now_ms(clock->context);
    message->kernel_sha256 = image_digest(vm->spec.kernel_image, evidence->kernel);
    message->initrd_sha256 = image_digest(vm->spec.initrd_image, evidence->initrd);
    image_sha256_hex(vm->spec.command_line, strlen(vm->spec.command_line), evidence->command_line);
    message->command_line_sha256 = evidence->command_line;
    for (size_t i = 0; i < vm->spec.disk_count; i++) {
        kapsel__v1__disk_evidence__init(&evidence->disks[i]);
        evidence->disks[i].image_sha256 = image_digest(vm->spec.disks[i].image, evidence->disk_digests[i]);
        evidence->disks[i].read_only = vm->spec.disks[i].read_only;
        evidence->disk_pointers[i] = &evidence->disks[i];
    }
    message->n_disks = vm->spec.disk_count;
    message->disks = evidence->disk_pointers;
    message->vmm_sha256 = (char *)(api->config.vmm_sha256 ? api->config.vmm_sha256 : "");
    message->vmm_launch_spec = vm->launch_spec ? vm->launch_spec : "";
    message->memory_mib = vm->spec.memory_mib;
    message->vcpus = vm->spec.vcpus;
    message->network_id = vm->spec.network_id;
    message->root_of_trust = ATTESTATION_ROOT_OF_TRUST;
    size_t count = api->config.host_component_count < ATTESTATION_HOST_COMPONENTS_MAX ? api->config.host_component_count
                                                                                      : ATTESTATION_HOST_COMPONENTS_MAX;
    for (size_t i = 0; i < count; i++) {
        kapsel__v1__host_component__init(&evidence->components[i]);
        evidence->components[i].name = (char *)api->config.host_components[i].name;
        evidence->components[i].sha256 = (char *)api->config.host_components[i].sha256;
        evidence->component_pointers[i] = &evidence->components[i];
    }
    message->n_host_components = count;
    message->host_components = evidence->component_pointers;
}

/* Packs, signs and answers; finishes the call either way. */
static void reply_signed(struct grpc_call *call, struct attestation_key *key, const ProtobufCMessage *evidence)
{
    size_t length = protobuf_c_message_get_packed_size(evidence);
    uint8_t *packed = malloc(length ? length : 1);
    if (!packed) {
        api_call_finish(call, API_STATUS_RESOURCE_EXHAUSTED, "AttestVm: no memory for the evidence");
        return;
    }
    protobuf_c_message_pack(evidence, packed);
    uint8_t signature[ATTESTATION_SIGNATURE_MAX_BYTES];
    size_t signature_length = 0;
    struct api_error error;
    if (attestation_key_sign(key, packed, length, signature, &signature_length, &error) != API_STATUS_OK) {
        free(packed);
        api_call_fail(call, &error);
        return;
    }
    Kapsel__V1__AttestVmResponse response = KAPSEL__V1__ATTEST_VM_RESPONSE__INIT;
    response.evidence = (ProtobufCBinaryData){.len = length, .data = packed};
    response.signature = (ProtobufCBinaryData){.len = signature_length, .data = signature};
    response.public_key = (ProtobufCBinaryData){.len = sizeof(key->public_key), .data = key->public_key};
    api_call_reply(call, &response.base);
    free(packed);
}

static void attest_vm(struct grpc_call *call, const uint8_t *bytes, size_t length)
{
    struct api_request request;
    if (!api_request_unpack(&request, call, &kapsel__v1__attest_vm_request__descriptor, bytes, length)) {
        return;
    }
    const Kapsel__V1__AttestVmRequest *message = (const Kapsel__V1__AttestVmRequest *)request.message;
    struct agent_api *api = api_of(call);
    struct api_error error;
    const struct vm_record *vm = NULL;
    enum api_status status = api_call_find_vm(call, api->config.registry, message->name, &vm, &error);
    if (status == API_STATUS_OK &&
        (message->nonce.len < ATTESTATION_NONCE_MIN_BYTES || message->nonce.len > ATTESTATION_NONCE_MAX_BYTES)) {
        status = api_error_set(&error, API_STATUS_INVALID_ARGUMENT, "nonce: %zu bytes; %d to %d are needed",
                               message->nonce.len, ATTESTATION_NONCE_MIN_BYTES, ATTESTATION_NONCE_MAX_BYTES);
    }
    if (status == API_STATUS_OK && !api->config.attestation_key) {
        status = api_error_set(&error, API_STATUS_UNAVAILABLE,
                               "this host has no attestation key (its processor has no hardware random source)");
    }
    if (status != API_STATUS_OK) {
        api_request_free(&request);
        api_call_fail(call, &error);
        return;
    }
    struct evidence *evidence = malloc(sizeof(*evidence));
    if (!evidence) {
        api_request_free(&request);
        api_call_finish(call, API_STATUS_RESOURCE_EXHAUSTED, "AttestVm: no memory for the evidence");
        return;
    }
    evidence_init(evidence, api, vm, &message->nonce);
    reply_signed(call, api->config.attestation_key, &evidence->message.base);
    free(evidence);
    api_request_free(&request);
}

void attestation_service_methods(struct agent_api *api, struct grpc_method methods[ATTESTATION_SERVICE_METHOD_COUNT])
{
    const struct grpc_method table[ATTESTATION_SERVICE_METHOD_COUNT] = {
        {.path = METHOD_PREFIX "AttestVm", .kind = GRPC_METHOD_UNARY, .on_request = attest_vm},
    };
    for (size_t i = 0; i < ATTESTATION_SERVICE_METHOD_COUNT; i++) {
        methods[i] = table[i];
        methods[i].context = api;
        methods[i].max_request_size = API_REQUEST_MAX_BYTES;
        methods[i].send_queue_limit = API_UNARY_SEND_QUEUE_BYTES;
    }
}
