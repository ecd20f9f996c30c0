/* Verified attestation evidence as JSON (every field, bytes in hex) and as a detail view (one field per line), with
 * what the caller expected of it. */
#ifndef KAPSELCTL_RENDER_ATTESTATION_H
#define KAPSELCTL_RENDER_ATTESTATION_H

#include "attest_expectations.h"
#include "json_writer.h"

#include <kapsel/client.h>

/* {"attested", "evidence": {the VmEvidence's fields}, "public_key", "signature", "signed_evidence",
 * "key_pinned", "expectations": [...]}. attested: every expectation met. */
void attestation_json(struct json_writer *writer, const struct kapsel_attestation *attestation, bool key_pinned,
                      const struct attest_expectations *expectations, bool attested);

void attestation_detail(FILE *out, const struct kapsel_attestation *attestation, bool key_pinned,
                        const struct attest_expectations *expectations);

#endif
