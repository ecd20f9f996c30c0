/* What kapselctl attest expects verified evidence to state about the VM: the SHA-256 of its kernel, its initrd
 * (--expect-kernel FILE, --expect-initrd FILE) and its command line (--expect-cmdline TEXT). */
#ifndef KAPSELCTL_ATTEST_EXPECTATIONS_H
#define KAPSELCTL_ATTEST_EXPECTATIONS_H

#include <kapsel/client.h>
#include <stdbool.h>

enum attest_subject {
    ATTEST_KERNEL,
    ATTEST_INITRD,
    ATTEST_CMDLINE,
    ATTEST_SUBJECT_COUNT,
};

struct attest_expectation {
    const char *source; /* the option's FILE or TEXT; NULL: not given */
    char sha256[KAPSEL_SHA256_HEX_BYTES];
    bool met; /* set by attest_expectations_check */
};

struct attest_expectations {
    struct attest_expectation subjects[ATTEST_SUBJECT_COUNT];
};

/* The option that sets the subject: "--expect-kernel", "--expect-initrd", "--expect-cmdline". */
const char *attest_subject_option(enum attest_subject subject);

/* The evidence's field the subject is compared with: "kernel_sha256", "initrd_sha256", "command_line_sha256". */
const char *attest_subject_field(enum attest_subject subject);

/* Records what subject must be: the SHA-256 of the file source (kernel, initrd) or of the text source (command
 * line). KAPSEL_OK, or the status of a file that cannot be read. */
int attest_expect(struct attest_expectations *expectations, enum attest_subject subject, const char *source,
                  struct kapsel_status *status);

/* Compares every expectation given with the evidence (setting its met); true if each is met. */
bool attest_expectations_check(struct attest_expectations *expectations, const Kapsel__V1__VmEvidence *evidence);

/* The evidence's value of the subject's field. */
const char *attest_subject_evidence(enum attest_subject subject, const Kapsel__V1__VmEvidence *evidence);

#endif
