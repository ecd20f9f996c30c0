/* The SHA-256s kapselctl attest compares with evidence. */
#include "attest_expectations.h"

#include <string.h>

static const struct {
    const char *option;
    const char *field;
} subjects[ATTEST_SUBJECT_COUNT] = {
    [ATTEST_KERNEL] = {"--expect-kernel", "kernel_sha256"},
    [ATTEST_INITRD] = {"--expect-initrd", "initrd_sha256"},
    [ATTEST_CMDLINE] = {"--expect-cmdline", "command_line_sha256"},
};

const char *attest_subject_option(enum attest_subject subject)
{
    return subjects[subject].option;
}

const char *attest_subject_field(enum attest_subject subject)
{
    return subjects[subject].field;
}

const char *attest_subject_evidence(enum attest_subject subject, const Kapsel__V1__VmEvidence *evidence)
{
    switch (subject) {
    case ATTEST_KERNEL:
        return evidence->kernel_sha256;
    case ATTEST_INITRD:
        return evidence->initrd_sha256;
    default:
        return evidence->command_line_sha256;
    }
}

int attest_expect(struct attest_expectations *expectations, enum attest_subject subject, const char *source,
                  struct kapsel_status *status)
{
    struct attest_expectation *expectation = &expectations->subjects[subject];
    expectation->source = source;
    expectation->met = false;
    if (subject == ATTEST_CMDLINE) {
        return kapsel_sha256_buffer(source, strlen(source), expectation->sha256, status);
    }
    return kapsel_sha256_file(source, expectation->sha256, NULL, status);
}

bool attest_expectations_check(struct attest_expectations *expectations, const Kapsel__V1__VmEvidence *evidence)
{
    bool all_met = true;
    for (int subject = 0; subject < ATTEST_SUBJECT_COUNT; subject++) {
        struct attest_expectation *expectation = &expectations->subjects[subject];
        if (expectation->source) {
            expectation->met = strcmp(expectation->sha256, attest_subject_evidence(subject, evidence)) == 0;
            all_met = all_met && expectation->met;
        }
    }
    return all_met;
}
