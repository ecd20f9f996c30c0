/* VMs, images and host facts rendered: the exact JSON of a full VM, table rows, detail views. */
#define _GNU_SOURCE /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "capture.h"
#include "render_host.h"
#include "render_image.h"
#include "render_vm.h"

#include <string.h>

#define NOW_MS 1714557600000ull

/* A VM with every field set, labels, two disks and a reason with characters JSON escapes. */
struct full_vm {
    Kapsel__V1__Vm vm;
    Kapsel__V1__VmSpec spec;
    Kapsel__V1__Disk disks[2];
    Kapsel__V1__Disk *disk_pointers[2];
    Kapsel__V1__Vm__LabelsEntry labels[2];
    Kapsel__V1__Vm__LabelsEntry *label_pointers[2];
    char *disk_sha256[1];
};

static void full_vm_init(struct full_vm *full)
{
    full->spec = (Kapsel__V1__VmSpec)KAPSEL__V1__VM_SPEC__INIT;
    full->spec.kernel_image = "images/k";
    full->spec.command_line = "console=ttyS0 \"quoted\"";
    full->spec.memory_mib = 512;
    full->spec.network_id = 7;
    for (int i = 0; i < 2; i++) {
        full->disks[i] = (Kapsel__V1__Disk)KAPSEL__V1__DISK__INIT;
        full->disks[i].image = i ? "images/d1" : "images/d0";
        full->disks[i].read_only = i == 0;
        full->disk_pointers[i] = &full->disks[i];
        full->labels[i] = (Kapsel__V1__Vm__LabelsEntry)KAPSEL__V1__VM__LABELS_ENTRY__INIT;
        full->labels[i].key = i ? "tier" : "env";
        full->labels[i].value = i ? "web" : "prod";
        full->label_pointers[i] = &full->labels[i];
    }
    full->spec.n_disks = 2;
    full->spec.disks = full->disk_pointers;
    full->disk_sha256[0] = "abc";
    full->vm = (Kapsel__V1__Vm)KAPSEL__V1__VM__INIT;
    full->vm.name = "vms/web-1";
    full->vm.tenant = "acme";
    full->vm.n_labels = 2;
    full->vm.labels = full->label_pointers;
    full->vm.spec = &full->spec;
    full->vm.state = KAPSEL__V1__VM_STATE__FAILED;
    full->vm.state_reason = "uvmm stopped:\tpage fault";
    full->vm.create_time_unix_ms = NOW_MS - 90000;
    full->vm.start_time_unix_ms = NOW_MS - 60000;
    full->vm.end_time_unix_ms = NOW_MS;
    full->vm.n_disk_sha256 = 1;
    full->vm.disk_sha256 = full->disk_sha256;
}

static void test_vm_json_has_every_field(void **state)
{
    (void)state;
    struct full_vm full;
    full_vm_init(&full);
    struct capture out;
    capture_open(&out);
    struct json_writer writer;
    json_init(&writer, out.file, false);
    vm_json(&writer, &full.vm);
    assert_string_equal(capture_close(&out),
                        "{\"name\":\"vms/web-1\",\"tenant\":\"acme\",\"labels\":{\"env\":\"prod\",\"tier\":\"web\"},"
                        "\"spec\":{\"kernel_image\":\"images/k\",\"initrd_image\":\"\","
                        "\"command_line\":\"console=ttyS0 \\\"quoted\\\"\",\"memory_mib\":512,\"vcpus\":0,"
                        "\"disks\":[{\"image\":\"images/d0\",\"read_only\":true},"
                        "{\"image\":\"images/d1\",\"read_only\":false}],\"network_id\":7},"
                        "\"state\":\"FAILED\",\"state_reason\":\"uvmm stopped:\\tpage fault\","
                        "\"create_time_unix_ms\":1714557510000,\"start_time_unix_ms\":1714557540000,"
                        "\"end_time_unix_ms\":1714557600000,\"disk_sha256\":[\"abc\"]}\n");
    capture_free(&out);
}

static void test_vm_json_of_an_empty_vm_is_complete(void **state)
{
    (void)state;
    Kapsel__V1__VmEvent event = KAPSEL__V1__VM_EVENT__INIT;
    event.type = KAPSEL__V1__VM_EVENT__TYPE__DELETED;
    event.sequence = 9;
    struct capture out;
    capture_open(&out);
    struct json_writer writer;
    json_init(&writer, out.file, false);
    vm_event_json(&writer, &event); /* no vm: an empty one, with every key */
    const char *text = capture_close(&out);
    assert_non_null(strstr(text, "{\"sequence\":9,\"type\":\"DELETED\",\"vm\":{\"name\":\"\""));
    assert_non_null(strstr(text, "\"spec\":{\"kernel_image\":\"\""));
    assert_non_null(strstr(text, "\"state\":\"VM_STATE_UNSPECIFIED\""));
    capture_free(&out);
}

static void test_vm_table_rows(void **state)
{
    (void)state;
    struct full_vm full;
    full_vm_init(&full);
    struct table table;
    assert_true(vm_table_init(&table, true));
    assert_true(vm_table_add(&table, "alpha", &full.vm, NOW_MS));
    full.vm.state = 42; /* a state this client does not know */
    full.spec.network_id = 0;
    full.vm.state_reason = "";
    assert_true(vm_table_add(&table, "beta", &full.vm, NOW_MS));
    struct capture out;
    capture_open(&out);
    table_print(&table, out.file);
    assert_string_equal(capture_close(&out),
                        "HOST    NAME        TENANT   STATE     MEMORY   NETWORK   AGE   REASON\n"
                        "alpha   vms/web-1   acme     FAILED    512Mi    7         90s   uvmm stopped: page fault\n"
                        "beta    vms/web-1   acme     UNKNOWN   512Mi    -         90s   -\n");
    capture_free(&out);
    table_free(&table);
}

static void test_vm_detail(void **state)
{
    (void)state;
    struct full_vm full;
    full_vm_init(&full);
    struct capture out;
    capture_open(&out);
    vm_detail(out.file, &full.vm);
    const char *text = capture_close(&out);
    assert_non_null(strstr(text, "Name:         vms/web-1\n"));
    assert_non_null(strstr(text, "Labels:       env=prod, tier=web\n"));
    assert_non_null(strstr(text, "Disks:        images/d0 (read-only)\n              images/d1 (writable)\n"));
    assert_non_null(strstr(text, "Network:      7\n"));
    assert_non_null(strstr(text, "Ended:        2024-05-01T10:00:00Z\n"));
    assert_non_null(strstr(text, "Disk SHA-256: abc\n"));
    capture_free(&out);
}

static void test_watch_lines(void **state)
{
    (void)state;
    struct full_vm full;
    full_vm_init(&full);
    Kapsel__V1__VmEvent event = KAPSEL__V1__VM_EVENT__INIT;
    event.type = KAPSEL__V1__VM_EVENT__TYPE__MODIFIED;
    event.sequence = 12;
    event.vm = &full.vm;
    struct capture out;
    capture_open(&out);
    vm_event_header(out.file);
    vm_event_line(out.file, &event);
    assert_string_equal(capture_close(&out),
                        "SEQUENCE  EVENT     NAME                      STATE     REASON\n"
                        "12        MODIFIED  vms/web-1                 FAILED    uvmm stopped:\tpage fault\n");
    capture_free(&out);
}

static void test_image_json_and_row(void **state)
{
    (void)state;
    char *used_by[] = {"vms/a", "vms/b"};
    Kapsel__V1__Image image = KAPSEL__V1__IMAGE__INIT;
    image.name = "images/aa";
    image.sha256 = "aa";
    image.size_bytes = 3 << 20;
    image.create_time_unix_ms = NOW_MS - 3 * 3600000ull;
    image.n_used_by = 2;
    image.used_by = used_by;
    struct capture out;
    capture_open(&out);
    struct json_writer writer;
    json_init(&writer, out.file, false);
    image_json(&writer, &image);
    struct table table;
    assert_true(image_table_init(&table, false));
    assert_true(image_table_add(&table, NULL, &image, NOW_MS));
    table_print(&table, out.file);
    table_free(&table);
    assert_string_equal(capture_close(&out),
                        "{\"name\":\"images/aa\",\"sha256\":\"aa\",\"size_bytes\":3145728,\"display_name\":\"\","
                        "\"create_time_unix_ms\":1714546800000,\"used_by\":[\"vms/a\",\"vms/b\"]}\n"
                        "NAME        SIZE   DISPLAY-NAME   AGE   USED-BY\n"
                        "images/aa   3Mi    -              3h    vms/a,vms/b\n");
    capture_free(&out);
}

static void test_host_facts(void **state)
{
    (void)state;
    Kapsel__V1__HostInfo info = KAPSEL__V1__HOST_INFO__INIT;
    info.name = "alpha";
    info.version = "1.0";
    info.architecture = "x86_64";
    info.cpus = 4;
    info.vms_running = 1;
    info.vms_total = 3;
    info.uptime_seconds = 7200;
    info.vm_memory_limit_bytes = 8ull << 30;
    info.vm_memory_used_bytes = 1ull << 30;
    assert_int_equal(host_free_vm_memory(&info), 7ull << 30);
    struct capture out;
    capture_open(&out);
    host_info_detail(out.file, &info);
    assert_non_null(strstr(capture_close(&out), "\nAttestation key:  -\n")); /* an agent without attestation */
    capture_free(&out);
    uint8_t key[KAPSEL_ATTESTATION_KEY_BYTES] = {0x04, 0xab};
    info.attestation_public_key = (ProtobufCBinaryData){.len = sizeof(key), .data = key};
    capture_open(&out);
    host_info_detail(out.file, &info);
    struct json_writer writer;
    json_init(&writer, out.file, false);
    host_info_json(&writer, &info);
    const char *text = capture_close(&out);
    assert_non_null(strstr(text, "\nAttestation key:  04ab000000"));
    assert_non_null(strstr(text, "\"attestation_public_key\":\"04ab0000"));
    assert_int_equal(strstr(text, "\"}") - strstr(text, "\"attestation_public_key\":\"") - 26, 130);
    capture_free(&out);
    struct table table;
    assert_true(host_info_table_init(&table));
    assert_true(host_info_table_add(&table, "a", "127.0.0.1:1", &info));
    info.vm_memory_used_bytes = 9ull << 30; /* over the limit: none free, not a wrapped number */
    assert_int_equal(host_free_vm_memory(&info), 0);
    capture_open(&out);
    table_print(&table, out.file);
    table_free(&table);
    assert_string_equal(capture_close(&out),
                        "HOST   ADDRESS       NAME    VERSION   ARCH     CPUS   VMS   VM-MEMORY-FREE   UPTIME\n"
                        "a      127.0.0.1:1   alpha   1.0       x86_64   4      1/3   7Gi              2h\n");
    capture_free(&out);
    assert_string_equal(health_status_name(KAPSEL__V1__HEALTH_RESPONSE__SERVING_STATUS__NOT_SERVING), "NOT_SERVING");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vm_json_has_every_field),
        cmocka_unit_test(test_vm_json_of_an_empty_vm_is_complete),
        cmocka_unit_test(test_vm_table_rows),
        cmocka_unit_test(test_vm_detail),
        cmocka_unit_test(test_watch_lines),
        cmocka_unit_test(test_image_json_and_row),
        cmocka_unit_test(test_host_facts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
