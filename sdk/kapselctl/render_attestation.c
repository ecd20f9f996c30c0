/* Rendering attestation evidence. */
#include "render_attestation.h"

#include "hex.h"
#include "human_format.h"

#include <inttypes.h>
#include <string.h>

#define DETAIL_FORMAT "%-22s%s\n"
#define MIB (1024ull * 1024ull)

static void json_hex(struct json_writer *writer, const ProtobufCBinaryData *bytes)
{
    json_hex_string(writer, bytes->data, bytes->len);
}

static void evidence_json(struct json_writer *writer, const Kapsel__V1__VmEvidence *evidence)
{
    json_begin_object(writer);
    json_key(writer, "version");
    json_uint(writer, evidence->version);
    json_key(writer, "host_name");
    json_string(writer, evidence->host_name);
    json_key(writer, "vm_name");
    json_string(writer, evidence->vm_name);
    json_key(writer, "tenant");
    json_string(writer, evidence->tenant);
    json_key(writer, "state");
    json_string(writer, evidence->state);
    json_key(writer, "nonce");
    json_hex(writer, &evidence->nonce);
    json_key(writer, "time_unix_ms");
    json_uint(writer, evidence->time_unix_ms);
    json_key(writer, "kernel_sha256");
    json_string(writer, evidence->kernel_sha256);
    json_key(writer, "initrd_sha256");
    json_string(writer, evidence->initrd_sha256);
    json_key(writer, "command_line_sha256");
    json_string(writer, evidence->command_line_sha256);
    json_key(writer, "disks");
    json_begin_array(writer);
    for (size_t i = 0; i < evidence->n_disks; i++) {
        json_begin_object(writer);
        json_key(writer, "image_sha256");
        json_string(writer, evidence->disks[i]->image_sha256);
        json_key(writer, "read_only");
        json_bool(writer, evidence->disks[i]->read_only);
        json_end_object(writer);
    }
    json_end_array(writer);
    json_key(writer, "vmm_sha256");
    json_string(writer, evidence->vmm_sha256);
    json_key(writer, "vmm_launch_spec");
    json_string(writer, evidence->vmm_launch_spec);
    json_key(writer, "memory_mib");
    json_uint(writer, evidence->memory_mib);
    json_key(writer, "vcpus");
    json_uint(writer, evidence->vcpus);
    json_key(writer, "network_id");
    json_uint(writer, evidence->network_id);
    json_key(writer, "root_of_trust");
    json_string(writer, evidence->root_of_trust);
    json_key(writer, "host_components");
    json_begin_array(writer);
    for (size_t i = 0; i < evidence->n_host_components; i++) {
        json_begin_object(writer);
        json_key(writer, "name");
        json_string(writer, evidence->host_components[i]->name);
        json_key(writer, "sha256");
        json_string(writer, evidence->host_components[i]->sha256);
        json_end_object(writer);
    }
    json_end_array(writer);
    json_end_object(writer);
}

static void expectations_json(struct json_writer *writer, const struct attest_expectations *expectations)
{
    json_begin_array(writer);
    for (int subject = 0; subject < ATTEST_SUBJECT_COUNT; subject++) {
        const struct attest_expectation *expectation = &expectations->subjects[subject];
        if (expectation->source == NULL) {
            continue;
        }
        json_begin_object(writer);
        json_key(writer, "field");
        json_string(writer, attest_subject_field(subject));
        json_key(writer, "expected");
        json_string(writer, expectation->sha256);
        json_key(writer, "source");
        json_string(writer, expectation->source);
        json_key(writer, "met");
        json_bool(writer, expectation->met);
        json_end_object(writer);
    }
    json_end_array(writer);
}

void attestation_json(struct json_writer *writer, const struct kapsel_attestation *attestation, bool key_pinned,
                      const struct attest_expectations *expectations, bool attested)
{
    json_begin_object(writer);
    json_key(writer, "attested");
    json_bool(writer, attested);
    json_key(writer, "evidence");
    evidence_json(writer, attestation->evidence);
    json_key(writer, "public_key");
    json_hex(writer, &attestation->response->public_key);
    json_key(writer, "key_pinned");
    json_bool(writer, key_pinned);
    json_key(writer, "signature");
    json_hex(writer, &attestation->response->signature);
    json_key(writer, "signed_evidence");
    json_hex(writer, &attestation->response->evidence);
    json_key(writer, "expectations");
    expectations_json(writer, expectations);
    json_end_object(writer);
}

static const char *or_dash(const char *text)
{
    return text && text[0] ? text : "-";
}

static void detail_hex(FILE *out, const char *label, const ProtobufCBinaryData *bytes)
{
    fprintf(out, "%-22s", label);
    hex_print(out, bytes->data, bytes->len);
    fprintf(out, "%s\n", bytes->len ? "" : "-");
}

/* The launch spec verbatim, a line of the view per line of the text. */
static void detail_lines(FILE *out, const char *label, const char *text)
{
    if (text == NULL || text[0] == '\0') {
        fprintf(out, DETAIL_FORMAT, label, "-");
        return;
    }
    for (const char *line = text; *line;) {
        size_t length = strcspn(line, "\n");
        fprintf(out, "%-22s%.*s\n", line == text ? label : "", (int)length, line);
        line += length + (line[length] == '\n');
    }
}

static void evidence_detail(FILE *out, const Kapsel__V1__VmEvidence *evidence)
{
    char text[HUMAN_TEXT_BYTES];
    fprintf(out, DETAIL_FORMAT, "VM:", evidence->vm_name);
    fprintf(out, DETAIL_FORMAT, "Host:", evidence->host_name);
    fprintf(out, DETAIL_FORMAT, "Tenant:", evidence->tenant);
    fprintf(out, DETAIL_FORMAT, "State:", evidence->state);
    format_time_utc(evidence->time_unix_ms, text);
    fprintf(out, DETAIL_FORMAT, "Time:", text);
    detail_hex(out, "Nonce:", &evidence->nonce);
    fprintf(out, DETAIL_FORMAT, "Kernel SHA-256:", or_dash(evidence->kernel_sha256));
    fprintf(out, DETAIL_FORMAT, "Initrd SHA-256:", or_dash(evidence->initrd_sha256));
    fprintf(out, DETAIL_FORMAT, "Command line SHA-256:", or_dash(evidence->command_line_sha256));
    for (size_t i = 0; i < evidence->n_disks; i++) {
        fprintf(out, "%-22s%s (%s)\n", i ? "" : "Disks:", evidence->disks[i]->image_sha256,
                evidence->disks[i]->read_only ? "read-only" : "writable");
    }
    if (evidence->n_disks == 0) {
        fprintf(out, DETAIL_FORMAT, "Disks:", "-");
    }
    format_bytes(evidence->memory_mib * MIB, text);
    fprintf(out, DETAIL_FORMAT, "Memory:", text);
    fprintf(out, "%-22s%" PRIu32 "\n", "vCPUs:", evidence->vcpus);
    if (evidence->network_id) {
        fprintf(out, "%-22s%" PRIu32 "\n", "Network:", evidence->network_id);
    } else {
        fprintf(out, DETAIL_FORMAT, "Network:", "-");
    }
    fprintf(out, DETAIL_FORMAT, "VMM SHA-256:", or_dash(evidence->vmm_sha256));
    detail_lines(out, "VMM launch spec:", evidence->vmm_launch_spec);
    for (size_t i = 0; i < evidence->n_host_components; i++) {
        fprintf(out, "%-22s%s %s\n", i ? "" : "Host components:", evidence->host_components[i]->sha256,
                evidence->host_components[i]->name);
    }
    if (evidence->n_host_components == 0) {
        fprintf(out, DETAIL_FORMAT, "Host components:", "-");
    }
    fprintf(out, DETAIL_FORMAT, "Root of trust:", or_dash(evidence->root_of_trust));
    fprintf(out, "%-22s%" PRIu32 "\n", "Evidence version:", evidence->version);
}

void attestation_detail(FILE *out, const struct kapsel_attestation *attestation, bool key_pinned,
                        const struct attest_expectations *expectations)
{
    evidence_detail(out, attestation->evidence);
    detail_hex(out, "Public key:", &attestation->response->public_key);
    fprintf(out, DETAIL_FORMAT, "Verified:",
            key_pinned ? "signature, version, VM, nonce; the key is the one expected"
                       : "signature, version, VM, nonce; the key is not pinned (--expect-key)");
    for (int subject = 0; subject < ATTEST_SUBJECT_COUNT; subject++) {
        const struct attest_expectation *expectation = &expectations->subjects[subject];
        if (expectation->source) {
            char label[32];
            snprintf(label, sizeof(label), "%s:", attest_subject_option(subject));
            fprintf(out, "%-22s%s: %s\n", label, expectation->met ? "met" : "NOT MET", expectation->source);
        }
    }
}
