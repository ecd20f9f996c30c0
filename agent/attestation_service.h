/*
 * AttestationService (api/kapsel/v1/attestation_service.proto) over lib/grpc: AttestVm makes a VmEvidence message of
 * what the VM boots (its images' and command line's SHA-256, the uvmm's image and launch spec) and how it is
 * isolated (its resources, its tenant network), with the caller's nonce, and signs exactly its serialized bytes with
 * the host's attestation key (attestation_key.h).
 */
#ifndef AGENT_ATTESTATION_SERVICE_H
#define AGENT_ATTESTATION_SERVICE_H

#include "image_store.h"

#include <kapsel/grpc_server.h>

#define ATTESTATION_SERVICE_METHOD_COUNT 1
#define ATTESTATION_HOST_COMPONENTS_MAX 16
#define ATTESTATION_COMPONENT_NAME_MAX 63
#define ATTESTATION_NONCE_MIN_BYTES 16
#define ATTESTATION_NONCE_MAX_BYTES 64
#define ATTESTATION_EVIDENCE_VERSION 1
/* VmEvidence.root_of_trust: how far the host backs what it signs. */
#define ATTESTATION_ROOT_OF_TRUST                                                                                      \
    "software: a key pair the host's management agent made at its start; no hardware root of trust (no TPM or "        \
    "confidential-computing report)"

/* A host component the agent measured (VmEvidence.host_components). */
struct host_component {
    char name[ATTESTATION_COMPONENT_NAME_MAX + 1];
    char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
};

struct agent_api;

/* Writes AttestationService's methods ("/kapsel.v1.AttestationService/AttestVm"), each with context api. */
void attestation_service_methods(struct agent_api *api, struct grpc_method methods[ATTESTATION_SERVICE_METHOD_COUNT]);

#endif
