/* AttestationService's method: the call, then the verification of what the host answered. */
#include "client_status.h"
#include "unary_call.h"

/* A read: retried on UNAVAILABLE like the others (a retry carries the same nonce, which binds only this request). */
static const struct rpc_method AttestVm = {
    .path = "/kapsel.v1.AttestationService/AttestVm",
    .request = &kapsel__v1__attest_vm_request__descriptor,
    .response = &kapsel__v1__attest_vm_response__descriptor,
    .idempotent = true,
};

int kapsel_vm_attest(struct kapsel_client *client, const char *name, const uint8_t *nonce, size_t nonce_len,
                     const uint8_t *expected_public_key, const struct kapsel_call_options *call_options,
                     struct kapsel_attestation *attestation, struct kapsel_status *status)
{
    if (attestation) {
        *attestation = (struct kapsel_attestation){0};
    }
    if (attestation == NULL || name == NULL || (nonce == NULL && nonce_len > 0)) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "%s: %s is NULL", AttestVm.path,
                          attestation == NULL ? "the attestation"
                          : name == NULL      ? "the name"
                                              : "the nonce");
    }
    Kapsel__V1__AttestVmRequest request = KAPSEL__V1__ATTEST_VM_REQUEST__INIT;
    request.name = (char *)name;
    request.nonce = (ProtobufCBinaryData){.len = nonce_len, .data = (uint8_t *)nonce};
    Kapsel__V1__AttestVmResponse *response = NULL;
    int result = unary_call(client, &AttestVm, &request.base, call_options, (ProtobufCMessage **)&response, status);
    if (result != KAPSEL_OK) {
        return result;
    }
    Kapsel__V1__VmEvidence *evidence = NULL;
    result = kapsel_attestation_verify(response, name, nonce, nonce_len, expected_public_key, &evidence, status);
    if (result != KAPSEL_OK) {
        kapsel__v1__attest_vm_response__free_unpacked(response, NULL);
        return result;
    }
    *attestation = (struct kapsel_attestation){.evidence = evidence, .response = response};
    return KAPSEL_OK;
}
