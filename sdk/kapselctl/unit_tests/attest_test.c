/* kapselctl attest's building blocks without a host: hex both ways, the --expect-* SHA-256s against evidence, and
 * verified evidence rendered as JSON (every field, bytes in hex) and as a detail view. */
#define _GNU_SOURCE /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "attest_expectations.h"
#include "capture.h"
#include "hex.h"
#include "render_attestation.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void test_hex_both_ways(void **state)
{
    (void)state;
    uint8_t bytes[4];
    size_t length = 99;
    assert_true(hex_decode("00fFa5", bytes, sizeof(bytes), &length));
    assert_int_equal(length, 3);
    assert_memory_equal(bytes, "\x00\xff\xa5", 3);
    assert_true(hex_decode("", bytes, sizeof(bytes), &length));
    assert_int_equal(length, 0);
    assert_false(hex_decode("abc", bytes, sizeof(bytes), &length));        /* odd */
    assert_false(hex_decode("0g", bytes, sizeof(bytes), &length));         /* not hex */
    assert_false(hex_decode("00 11", bytes, sizeof(bytes), &length));      /* blanks inside */
    assert_false(hex_decode("0011223344", bytes, sizeof(bytes), &length)); /* 5 bytes, room for 4 */
    assert_false(hex_decode(NULL, bytes, sizeof(bytes), &length));
    struct capture out;
    capture_open(&out);
    hex_print(out.file, (const uint8_t *)"\x00\xff\xa5", 3);
    assert_string_equal(capture_close(&out), "00ffa5");
    capture_free(&out);
}

/* A VM's verified evidence with every field set, and the host's answer it came in. */
struct full_attestation {
    Kapsel__V1__VmEvidence evidence;
    Kapsel__V1__DiskEvidence disks[2];
    Kapsel__V1__DiskEvidence *disk_pointers[2];
    Kapsel__V1__HostComponent component;
    Kapsel__V1__HostComponent *component_pointer;
    Kapsel__V1__AttestVmResponse response;
    uint8_t nonce[2];
    uint8_t key[3];
    uint8_t signature[2];
    uint8_t signed_bytes[1];
    struct kapsel_attestation attestation;
};

static void full_attestation_init(struct full_attestation *full)
{
    memcpy(full->nonce, "\x01\xab", 2);
    memcpy(full->key, "\x04\x10\x20", 3);
    memcpy(full->signature, "\x30\x45", 2);
    full->signed_bytes[0] = 0x08;
    full->evidence = (Kapsel__V1__VmEvidence)KAPSEL__V1__VM_EVIDENCE__INIT;
    full->evidence.version = 1;
    full->evidence.host_name = "alpha";
    full->evidence.vm_name = "vms/web-1";
    full->evidence.tenant = "acme";
    full->evidence.state = "RUNNING";
    full->evidence.nonce = (ProtobufCBinaryData){.len = 2, .data = full->nonce};
    full->evidence.time_unix_ms = 1714557600000;
    full->evidence.kernel_sha256 = SHA256_ABC;
    full->evidence.initrd_sha256 = "";
    full->evidence.command_line_sha256 = SHA256_EMPTY;
    for (int i = 0; i < 2; i++) {
        full->disks[i] = (Kapsel__V1__DiskEvidence)KAPSEL__V1__DISK_EVIDENCE__INIT;
        full->disks[i].image_sha256 = i ? "d1" : "d0";
        full->disks[i].read_only = i == 0;
        full->disk_pointers[i] = &full->disks[i];
    }
    full->evidence.n_disks = 2;
    full->evidence.disks = full->disk_pointers;
    full->evidence.vmm_sha256 = "";
    full->evidence.vmm_launch_spec = "uvmm {\n  memory 256M\n}";
    full->evidence.memory_mib = 256;
    full->evidence.vcpus = 1;
    full->evidence.network_id = 3;
    full->evidence.root_of_trust = "software: the agent's key";
    full->component = (Kapsel__V1__HostComponent)KAPSEL__V1__HOST_COMPONENT__INIT;
    full->component.name = "manifest.txt";
    full->component.sha256 = "c0";
    full->component_pointer = &full->component;
    full->evidence.n_host_components = 1;
    full->evidence.host_components = &full->component_pointer;
    full->response = (Kapsel__V1__AttestVmResponse)KAPSEL__V1__ATTEST_VM_RESPONSE__INIT;
    full->response.evidence = (ProtobufCBinaryData){.len = 1, .data = full->signed_bytes};
    full->response.signature = (ProtobufCBinaryData){.len = 2, .data = full->signature};
    full->response.public_key = (ProtobufCBinaryData){.len = 3, .data = full->key};
    full->attestation = (struct kapsel_attestation){.evidence = &full->evidence, .response = &full->response};
}

/* A temporary file holding content; its path in path (free with unlink). */
static void write_file(char path[4096], const char *content)
{
    snprintf(path, 4096, "%s/attest_XXXXXX", getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "w");
    fputs(content, file);
    fclose(file);
}

static void test_expectations_met_and_not(void **state)
{
    (void)state;
    struct full_attestation full;
    full_attestation_init(&full);
    char kernel[4096];
    write_file(kernel, "abc");
    struct attest_expectations expectations = {0};
    struct kapsel_status status;
    /* None given: nothing to miss. */
    assert_true(attest_expectations_check(&expectations, &full.evidence));
    assert_int_equal(attest_expect(&expectations, ATTEST_KERNEL, kernel, &status), KAPSEL_OK);
    assert_string_equal(expectations.subjects[ATTEST_KERNEL].sha256, SHA256_ABC);
    assert_int_equal(attest_expect(&expectations, ATTEST_CMDLINE, "", &status), KAPSEL_OK);
    assert_true(attest_expectations_check(&expectations, &full.evidence));
    assert_true(expectations.subjects[ATTEST_KERNEL].met);
    assert_true(expectations.subjects[ATTEST_CMDLINE].met);
    /* The command line is hashed as text, never read as a file. */
    assert_int_equal(attest_expect(&expectations, ATTEST_CMDLINE, kernel, &status), KAPSEL_OK);
    assert_false(attest_expectations_check(&expectations, &full.evidence));
    assert_true(expectations.subjects[ATTEST_KERNEL].met);
    assert_false(expectations.subjects[ATTEST_CMDLINE].met);
    /* An initrd expected of a VM that has none. */
    expectations = (struct attest_expectations){0};
    assert_int_equal(attest_expect(&expectations, ATTEST_INITRD, kernel, &status), KAPSEL_OK);
    assert_false(attest_expectations_check(&expectations, &full.evidence));
    assert_int_equal(attest_expect(&expectations, ATTEST_KERNEL, "/nonexistent/vmlinuz", &status), KAPSEL_NOT_FOUND);
    assert_non_null(strstr(status.message, "/nonexistent/vmlinuz"));
    unlink(kernel);
    assert_string_equal(attest_subject_option(ATTEST_INITRD), "--expect-initrd");
    assert_string_equal(attest_subject_field(ATTEST_CMDLINE), "command_line_sha256");
}

static void test_json_has_every_field_in_hex(void **state)
{
    (void)state;
    struct full_attestation full;
    full_attestation_init(&full);
    struct attest_expectations expectations = {0};
    expectations.subjects[ATTEST_KERNEL] = (struct attest_expectation){.source = "vmlinuz", .met = true};
    strcpy(expectations.subjects[ATTEST_KERNEL].sha256, SHA256_ABC);
    struct capture out;
    capture_open(&out);
    struct json_writer writer;
    json_init(&writer, out.file, false);
    attestation_json(&writer, &full.attestation, true, &expectations, true);
    assert_string_equal(capture_close(&out),
                        "{\"attested\":true,\"evidence\":{\"version\":1,\"host_name\":\"alpha\",\"vm_name\":"
                        "\"vms/web-1\",\"tenant\":\"acme\",\"state\":\"RUNNING\",\"nonce\":\"01ab\","
                        "\"time_unix_ms\":1714557600000,\"kernel_sha256\":\"" SHA256_ABC "\","
                        "\"initrd_sha256\":\"\",\"command_line_sha256\":\"" SHA256_EMPTY "\","
                        "\"disks\":[{\"image_sha256\":\"d0\",\"read_only\":true},"
                        "{\"image_sha256\":\"d1\",\"read_only\":false}],\"vmm_sha256\":\"\","
                        "\"vmm_launch_spec\":\"uvmm {\\n  memory 256M\\n}\",\"memory_mib\":256,\"vcpus\":1,"
                        "\"network_id\":3,\"root_of_trust\":\"software: the agent's key\","
                        "\"host_components\":[{\"name\":\"manifest.txt\",\"sha256\":\"c0\"}]},"
                        "\"public_key\":\"041020\",\"key_pinned\":true,\"signature\":\"3045\","
                        "\"signed_evidence\":\"08\",\"expectations\":[{\"field\":\"kernel_sha256\","
                        "\"expected\":\"" SHA256_ABC "\",\"source\":\"vmlinuz\",\"met\":true}]}\n");
    capture_free(&out);
}

static void test_detail_is_one_field_per_line(void **state)
{
    (void)state;
    struct full_attestation full;
    full_attestation_init(&full);
    struct attest_expectations expectations = {0};
    expectations.subjects[ATTEST_CMDLINE] = (struct attest_expectation){.source = "console=ttyS0", .met = false};
    struct capture out;
    capture_open(&out);
    attestation_detail(out.file, &full.attestation, false, &expectations);
    assert_string_equal(capture_close(&out),
                        "VM:                   vms/web-1\n"
                        "Host:                 alpha\n"
                        "Tenant:               acme\n"
                        "State:                RUNNING\n"
                        "Time:                 2024-05-01T10:00:00Z\n"
                        "Nonce:                01ab\n"
                        "Kernel SHA-256:       " SHA256_ABC "\n"
                        "Initrd SHA-256:       -\n"
                        "Command line SHA-256: " SHA256_EMPTY "\n"
                        "Disks:                d0 (read-only)\n"
                        "                      d1 (writable)\n"
                        "Memory:               256Mi\n"
                        "vCPUs:                1\n"
                        "Network:              3\n"
                        "VMM SHA-256:          -\n"
                        "VMM launch spec:      uvmm {\n"
                        "                        memory 256M\n"
                        "                      }\n"
                        "Host components:      c0 manifest.txt\n"
                        "Root of trust:        software: the agent's key\n"
                        "Evidence version:     1\n"
                        "Public key:           041020\n"
                        "Verified:             signature, version, VM, nonce; the key is not pinned (--expect-key)\n"
                        "--expect-cmdline:     NOT MET: console=ttyS0\n");
    capture_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_both_ways),
        cmocka_unit_test(test_expectations_met_and_not),
        cmocka_unit_test(test_json_has_every_field_in_hex),
        cmocka_unit_test(test_detail_is_one_field_per_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
