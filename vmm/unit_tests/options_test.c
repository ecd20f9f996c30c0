/* The uvmm's command line: every option, and the malformed forms refused. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "options.h"

#include <string.h>

static struct options options;

/* Parses the words of line (at most 32, split at spaces; the line is changed). */
static bool parse(char *line)
{
    char *argv[32] = {"uvmm"};
    int argc = 1;
    for (char *word = strtok(line, " "); word && argc < 32; word = strtok(NULL, " ")) {
        argv[argc++] = word;
    }
    return parse_options(argc, argv, &options);
}

static void test_linux_guest_with_every_device(void **state)
{
    (void)state;
    char line[] = "--name vm1 --guest linux --kernel k --initrd i --ram 128M --disk-ro a.ext4 --disk b.img "
                  "--vsock-cid 7 --net-link net-a:1 --net-peer switch --mac 52:54:00:00:00:0a "
                  "--shutdown-after-line KAPSEL-READY -- console=ttyS0 quiet";
    assert_true(parse(line));
    assert_string_equal(options.name, "vm1");
    assert_string_equal(options.kernel, "k");
    assert_int_equal(options.ram_size, 128ull << 20);
    assert_int_equal(options.virtio.disk_count, 2);
    assert_true(options.virtio.disks[0].read_only);
    assert_false(options.virtio.disks[1].read_only);
    assert_int_equal(options.virtio.vsock_cid, 7);
    assert_string_equal(options.virtio.net_region, "net-a");
    assert_int_equal(options.virtio.net_end, 1);
    assert_string_equal(options.virtio.net_peer, "switch");
    assert_int_equal(options.virtio.mac[5], 0x0a);
    assert_string_equal(options.shutdown_after_line, "KAPSEL-READY");
    assert_string_equal(options.command_line, "console=ttyS0 quiet");
}

static void test_malformed_options_refused(void **state)
{
    (void)state;
    const char *bad[] = {
        "--kernel k",                           /* no --guest */
        "--guest linux --ram 3000",             /* not a multiple of 4K */
        "--guest linux --ram 2G",               /* above 1G */
        "--guest linux --vsock-cid 2",          /* reserved CID */
        "--guest linux --vsock-cid 4294967295", /* the wildcard */
        "--guest linux --net-link net-a:2 --mac 52:54:00:00:00:0a",
        "--guest linux --net-link net-a:0", /* no --mac */
        "--guest linux --net-link :0 --mac 52:54:00:00:00:0a",
        "--guest linux --mac 52:54:00:00:00",
        "--guest linux --disk a --disk b --disk c --disk d --disk e",
        "--guest linux --frobnicate 1",
        "--guest", /* no value */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char line[256];
        strcpy(line, bad[i]);
        assert_false(parse(line));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_guest_with_every_device),
        cmocka_unit_test(test_malformed_options_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
