/* Unit tests for the boot manifest parser (roottask/manifest.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "manifest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct manifest manifest;
static struct manifest_error error;

/* Parses a copy of exactly size bytes on the heap, so that ASan catches any read past the end. */
static enum error parse_bytes(const void *text, size_t size)
{
    char *copy = malloc(size ? size : 1);
    assert_non_null(copy);
    memcpy(copy, text, size);
    enum error result = manifest_parse(copy, size, &manifest, &error);
    free(copy);
    return result;
}

static enum error parse(const char *text)
{
    return parse_bytes(text, strlen(text));
}

static void expect_ok(const char *text)
{
    enum error result = parse(text);
    if (result != ERROR_NONE) {
        fail_msg("unexpected error: %s", error.message);
    }
}

static void expect_error(const char *text, const char *message)
{
    assert_int_equal(parse(text), ERROR_MALFORMED);
    assert_string_equal(error.message, message);
}

/* The parser's list of the capability sources it knows, as its errors give it. */
#define KNOWN_CAPABILITIES                                                                                             \
    "(known: log, factory, scheduler, clock, icu, io_ports, device_memory, dma_memory, launcher, peer:<app>)"

/* --- accepted manifests --------------------------------------------------------------------- */

static void full_example_is_parsed(void **state)
{
    (void)state;
    expect_ok("# comment\n"
              "microapp ktest_user\n"
              "    image ktest_user.elf\n"
              "    priority 10\n"
              "    quota 1M            # kernel-object quota of its factory (K/M suffixes)\n"
              "    memory 16M          # heap limit, demand-paged by the root task\n"
              "    capability log                    # named capabilities it receives, in order\n"
              "    capability factory quota=256K     # a child factory with that quota\n"
              "    capability scheduler\n"
              "    arguments --verbose\n");
    assert_int_equal(manifest.app_count, 1);
    const struct manifest_app *app = &manifest.apps[0];
    assert_string_equal(app->name, "ktest_user");
    assert_string_equal(app->image, "ktest_user.elf");
    assert_int_equal(app->priority, 10);
    assert_int_equal(app->quota, 1024 * 1024);
    assert_int_equal(app->memory, 16 * 1024 * 1024);
    assert_int_equal(app->line, 2);
    assert_int_equal(app->capability_count, 3);
    assert_int_equal(app->capabilities[0].type, MANIFEST_CAPABILITY_LOG);
    assert_string_equal(app->capabilities[0].name, "log");
    assert_int_equal(app->capabilities[0].line, 7);
    assert_int_equal(app->capabilities[1].type, MANIFEST_CAPABILITY_FACTORY);
    assert_string_equal(app->capabilities[1].name, "factory");
    assert_int_equal(app->capabilities[1].quota, 256 * 1024);
    assert_int_equal(app->capabilities[2].type, MANIFEST_CAPABILITY_SCHEDULER);
    assert_string_equal(app->capabilities[2].name, "scheduler");
    assert_string_equal(app->arguments, "--verbose");
    assert_ptr_equal(manifest_find_app(&manifest, "ktest_user"), app);
    assert_null(manifest_find_app(&manifest, "ktest"));
}

static void defaults_apply_to_optional_keys(void **state)
{
    (void)state;
    expect_ok("microapp a\nimage a.elf\n");
    const struct manifest_app *app = &manifest.apps[0];
    assert_int_equal(app->priority, MANIFEST_DEFAULT_PRIORITY);
    assert_int_equal(app->quota, MANIFEST_DEFAULT_QUOTA);
    assert_int_equal(app->memory, MANIFEST_DEFAULT_MEMORY);
    assert_int_equal(app->capability_count, 0);
    assert_string_equal(app->arguments, "");
    assert_int_equal(app->file_count, 0);
}

static void several_apps_keep_their_order(void **state)
{
    (void)state;
    expect_ok("microapp first\n image one.elf\n\n\nmicroapp second\n image apps/two.elf\n priority 200\n");
    assert_int_equal(manifest.app_count, 2);
    assert_string_equal(manifest.apps[0].name, "first");
    assert_string_equal(manifest.apps[1].name, "second");
    assert_string_equal(manifest.apps[1].image, "apps/two.elf");
    assert_int_equal(manifest.apps[1].priority, 200);
    assert_int_equal(manifest.apps[1].line, 5);
}

static void missing_newline_at_end_is_fine(void **state)
{
    (void)state;
    expect_ok("microapp a\nimage a.elf\npriority 7");
    assert_int_equal(manifest.apps[0].priority, 7);
}

static void crlf_line_ends_and_tabs_are_fine(void **state)
{
    (void)state;
    expect_ok("microapp a\r\n\timage\ta.elf\t\r\n\tmemory 8K\r\n");
    assert_string_equal(manifest.apps[0].image, "a.elf");
    assert_int_equal(manifest.apps[0].memory, 8192);
}

static void hash_starts_a_comment_anywhere(void **state)
{
    (void)state;
    expect_ok("microapp a#comment\nimage a.elf# comment\n#microapp b\n   # indented comment\n");
    assert_int_equal(manifest.app_count, 1);
    assert_string_equal(manifest.apps[0].name, "a");
    assert_string_equal(manifest.apps[0].image, "a.elf");
}

static void sizes_take_suffixes(void **state)
{
    (void)state;
    expect_ok("microapp a\nimage a.elf\nquota 2G\nmemory 4096\ncapability factory quota=1048576\n");
    assert_int_equal(manifest.apps[0].quota, 2ull << 30);
    assert_int_equal(manifest.apps[0].memory, 4096);
    assert_int_equal(manifest.apps[0].capabilities[0].quota, 1 << 20);
    expect_ok("microapp a\nimage a.elf\nquota 4G\nmemory 0\n");
    assert_int_equal(manifest.apps[0].quota, 4ull << 30);
    assert_int_equal(manifest.apps[0].memory, 0);
}

static void arguments_keep_inner_blanks(void **state)
{
    (void)state;
    expect_ok("microapp a\nimage a.elf\narguments   -v  --name=x\ty \t  # not an argument\n");
    assert_string_equal(manifest.apps[0].arguments, "-v  --name=x\ty");
    expect_ok("microapp a\nimage a.elf\narguments gr\xc3\xbc\xc3\x9f\n");
    assert_string_equal(manifest.apps[0].arguments, "gr\xc3\xbc\xc3\x9f");
}

static void peers_resolve_forward_and_backward(void **state)
{
    (void)state;
    expect_ok("microapp client\n image c.elf\n capability peer:server\n"
              "microapp server\n image s.elf\n capability peer:client\n capability log\n");
    assert_int_equal(manifest.apps[0].capabilities[0].type, MANIFEST_CAPABILITY_PEER);
    assert_string_equal(manifest.apps[0].capabilities[0].name, "peer:server");
    assert_int_equal(manifest.apps[0].capabilities[0].peer, 1);
    assert_int_equal(manifest.apps[1].capabilities[0].peer, 0);
}

static void files_are_kept_in_order(void **state)
{
    (void)state;
    expect_ok("microapp vmm\n"
              "  image uvmm.elf\n"
              "  file bzImage          # the guest's kernel\n"
              "  quota 4M\n"
              "\tfile\tguests/initramfs.cpio.gz\t\n"
              "microapp other\n"
              "  image a.elf\n"
              "  file bzImage\n");
    const struct manifest_app *vmm = &manifest.apps[0];
    assert_int_equal(vmm->file_count, 2);
    assert_string_equal(vmm->files[0].name, "bzImage");
    assert_int_equal(vmm->files[0].line, 3);
    assert_string_equal(vmm->files[1].name, "guests/initramfs.cpio.gz");
    assert_int_equal(vmm->files[1].line, 5);
    assert_int_equal(vmm->quota, 4 * 1024 * 1024);
    /* Per app: another app may name the same file. */
    assert_int_equal(manifest.apps[1].file_count, 1);
    assert_string_equal(manifest.apps[1].files[0].name, "bzImage");
}

static void files_have_a_limit(void **state)
{
    (void)state;
    /* An app with every file it may have ("file f1" ...), then one more. */
    char files[MANIFEST_MAX_FILES * 16] = "";
    for (unsigned i = 1; i <= MANIFEST_MAX_FILES; i++) {
        snprintf(files + strlen(files), sizeof(files) - strlen(files), "file f%u\n", i);
    }
    char text[sizeof(files) * 2 + 64];
    snprintf(text, sizeof(text), "microapp a\nimage a.elf\n%s", files);
    expect_ok(text);
    assert_int_equal(manifest.apps[0].file_count, MANIFEST_MAX_FILES);
    char last[8];
    snprintf(last, sizeof(last), "f%u", (unsigned)MANIFEST_MAX_FILES);
    assert_string_equal(manifest.apps[0].files[MANIFEST_MAX_FILES - 1].name, last);
    snprintf(text, sizeof(text), "microapp a\nimage a.elf\n%sfile extra\n", files);
    char message[96];
    snprintf(message, sizeof(message), "manifest line %u: too many files for microapp 'a' (at most %u)",
             (unsigned)MANIFEST_MAX_FILES + 3, (unsigned)MANIFEST_MAX_FILES);
    expect_error(text, message);
    /* The limit is per app. */
    snprintf(text, sizeof(text), "microapp a\nimage a.elf\n%smicroapp b\nimage a.elf\n%s", files, files);
    expect_ok(text);
}

static void file_names_are_checked(void **state)
{
    (void)state;
    expect_error("microapp a\nimage a.elf\nfile\n", "manifest line 3: 'file' needs a value");
    expect_error("microapp a\nimage a.elf\nfile   # a comment, no value\n", "manifest line 3: 'file' needs a value");
    expect_error("microapp a\nimage a.elf\nfile a b\n", "manifest line 3: unexpected 'b' after the value of 'file'");
    expect_error("microapp a\nimage a.elf\nfile a:b\n", "manifest line 3: file name 'a:b' is invalid (letters, "
                                                        "digits, '_', '-', '.', '/'; at most 47 bytes)");
    expect_error("microapp a\nimage a.elf\nfile kernel*\n", "manifest line 3: file name 'kernel*' is invalid "
                                                            "(letters, digits, '_', '-', '.', '/'; at most 47 bytes)");
    expect_error("file bzImage\nmicroapp a\n", "manifest line 1: 'file' before the first 'microapp' line");
    expect_error("microapp a\nimage a.elf\nfile bzImage\nfile initrd\nfile bzImage\n",
                 "manifest line 5: file 'bzImage' is given twice for microapp 'a' (first on line 3)");
    expect_error("microapp a\nimage a.elf\nFile bzImage\n", "manifest line 3: unknown key 'File'");

    /* At most 47 bytes: the environment's field keeps a NUL. */
    char name[MANIFEST_FILE_SIZE + 1];
    memset(name, 'n', sizeof(name) - 2);
    name[sizeof(name) - 2] = '\0';
    char text[256];
    snprintf(text, sizeof(text), "microapp a\nimage a.elf\nfile %s\n", name);
    expect_ok(text);
    assert_int_equal(strlen(manifest.apps[0].files[0].name), MANIFEST_FILE_SIZE - 1);
    assert_string_equal(manifest.apps[0].files[0].name, name);
    strcat(name, "n");
    snprintf(text, sizeof(text), "microapp a\nimage a.elf\nfile %s\n", name);
    expect_error(text, "manifest line 3: file name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' is invalid (letters, "
                       "digits, '_', '-', '.', '/'; at most 47 bytes)");
}

static void shared_regions_are_parsed(void **state)
{
    (void)state;
    expect_ok("microapp vmm_a\n"
              "  image uvmm.elf\n"
              "  shared net-ab 64K      # the frame ring between the two VMs\n"
              "  shared log_ring 1M\n"
              "microapp vmm_b\n"
              "  image uvmm.elf\n"
              "\tshared\tlog_ring\t1048576\t\n"
              "  shared net-ab 64K\n"
              "microapp watcher\n"
              "  image w.elf\n"
              "  shared log_ring 1M\n");
    assert_int_equal(manifest.region_count, 2);
    assert_string_equal(manifest.regions[0].name, "net-ab");
    assert_int_equal(manifest.regions[0].size, 64 * 1024);
    assert_int_equal(manifest.regions[0].users, 2);
    assert_int_equal(manifest.regions[0].line, 3);
    assert_string_equal(manifest.regions[1].name, "log_ring");
    assert_int_equal(manifest.regions[1].size, 1024 * 1024);
    assert_int_equal(manifest.regions[1].users, 3);
    assert_int_equal(manifest.regions[1].line, 4);

    const struct manifest_app *a = &manifest.apps[0];
    assert_int_equal(a->shared_count, 2);
    assert_string_equal(a->shared[0].name, "net-ab");
    assert_int_equal(a->shared[0].size, 64 * 1024);
    assert_int_equal(a->shared[0].region, 0);
    assert_int_equal(a->shared[0].line, 3);
    assert_string_equal(a->shared[1].name, "log_ring");
    assert_int_equal(a->shared[1].region, 1);
    /* Each app keeps its own order; the region index is the manifest's. */
    const struct manifest_app *b = &manifest.apps[1];
    assert_int_equal(b->shared_count, 2);
    assert_string_equal(b->shared[0].name, "log_ring");
    assert_int_equal(b->shared[0].size, 1024 * 1024);
    assert_int_equal(b->shared[0].region, 1);
    assert_int_equal(b->shared[0].line, 7);
    assert_string_equal(b->shared[1].name, "net-ab");
    assert_int_equal(b->shared[1].region, 0);
    assert_int_equal(manifest.apps[2].shared_count, 1);
    assert_int_equal(manifest.apps[2].shared[0].region, 1);
    assert_int_equal(manifest.apps[2].file_count, 0);
    /* Without "shared" lines there are no regions. */
    expect_ok("microapp a\nimage a.elf\n");
    assert_int_equal(manifest.region_count, 0);
    assert_int_equal(manifest.apps[0].shared_count, 0);
}

static void shared_sizes_are_checked(void **state)
{
    (void)state;
    expect_ok("microapp a\nimage a.elf\nshared r 4K\nmicroapp b\nimage b.elf\nshared r 4096\n");
    assert_int_equal(manifest.regions[0].size, 4096);
    expect_error("microapp a\nimage a.elf\nshared r 0\n", "manifest line 3: shared size '0' is out of range (4K..1M)");
    expect_error("microapp a\nimage a.elf\nshared r 2M\n",
                 "manifest line 3: shared size '2M' is out of range (4K..1M)");
    expect_error("microapp a\nimage a.elf\nshared r 1G\n",
                 "manifest line 3: shared size '1G' is out of range (4K..1M)");
    expect_error("microapp a\nimage a.elf\nshared r 5000\n",
                 "manifest line 3: shared size '5000' is not a multiple of 4K");
    expect_error("microapp a\nimage a.elf\nshared r 6K\n", "manifest line 3: shared size '6K' is not a multiple of 4K");
    expect_error("microapp a\nimage a.elf\nshared r 64k\n",
                 "manifest line 3: shared size '64k' has an unknown suffix (use K, M or G)");
    expect_error("microapp a\nimage a.elf\nshared r big\n", "manifest line 3: shared size 'big' is not a number");
    expect_error("microapp a\nimage a.elf\nshared r 99999999999999999999K\n",
                 "manifest line 3: shared size '99999999999999999999K' is too large");
}

static void shared_lines_are_checked(void **state)
{
    (void)state;
    expect_error("microapp a\nimage a.elf\nshared\n", "manifest line 3: 'shared' needs a name and a size");
    expect_error("microapp a\nimage a.elf\nshared net-ab   # no size\n",
                 "manifest line 3: 'shared' needs a name and a size");
    expect_error("microapp a\nimage a.elf\nshared net-ab 64K rw\n",
                 "manifest line 3: unexpected 'rw' after the size of 'shared'");
    expect_error("microapp a\nimage a.elf\nshared 64K net-ab\n",
                 "manifest line 3: shared region name '64K' is invalid (a letter, then letters, digits, '_' or '-'; "
                 "at most 31 bytes)");
    expect_error("microapp a\nimage a.elf\nshared net.ab 64K\n",
                 "manifest line 3: shared region name 'net.ab' is invalid (a letter, then letters, digits, '_' or "
                 "'-'; at most 31 bytes)");
    expect_error("shared net 4K\nmicroapp a\n", "manifest line 1: 'shared' before the first 'microapp' line");
    expect_error("microapp a\nimage a.elf\nShared net 4K\n", "manifest line 3: unknown key 'Shared'");

    /* At most 31 bytes: the environment's field keeps a NUL. */
    char name[MANIFEST_SHARED_NAME_SIZE + 1];
    memset(name, 'r', sizeof(name) - 2);
    name[sizeof(name) - 2] = '\0';
    char text[256];
    snprintf(text, sizeof(text), "microapp a\nimage a.elf\nshared %s 4K\nmicroapp b\nimage b.elf\nshared %s 4K\n", name,
             name);
    expect_ok(text);
    assert_string_equal(manifest.apps[1].shared[0].name, name);
    strcat(name, "r");
    snprintf(text, sizeof(text), "microapp a\nimage a.elf\nshared %s 4K\n", name);
    expect_error(text, "manifest line 3: shared region name 'rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr' is invalid (a letter, "
                       "then letters, digits, '_' or '-'; at most 31 bytes)");
}

static void shared_regions_must_agree_between_apps(void **state)
{
    (void)state;
    expect_error("microapp a\nimage a.elf\nshared net 64K\nshared log 4K\nshared net 64K\n",
                 "manifest line 5: shared region 'net' is given twice for microapp 'a' (first on line 3)");
    expect_error("microapp a\nimage a.elf\nshared net 64K\nmicroapp b\nimage b.elf\nshared net 128K\n",
                 "manifest line 6: shared region 'net' is 128K here but 64K on line 3");
    expect_error("microapp a\nimage a.elf\nshared net 64K\nmicroapp b\nimage b.elf\nshared net 65536\n"
                 "microapp c\nimage c.elf\nshared net 4K\n",
                 "manifest line 9: shared region 'net' is 4K here but 64K on line 3");
    /* A region no other app names shares nothing: refused at its line, once every app is read. */
    expect_error("microapp a\nimage a.elf\nshared net 64K\n",
                 "manifest line 3: shared region 'net' is named by no other microapp");
    expect_error("microapp a\nimage a.elf\nshared net 64K\nshared nte 64K\nmicroapp b\nimage b.elf\nshared net "
                 "64K\n",
                 "manifest line 4: shared region 'nte' is named by no other microapp");
    /* Names are case-sensitive, like every name of the manifest. */
    expect_error("microapp a\nimage a.elf\nshared net 4K\nmicroapp b\nimage b.elf\nshared NET 4K\n",
                 "manifest line 3: shared region 'net' is named by no other microapp");
}

static void shared_regions_have_limits(void **state)
{
    (void)state;
    static const char four[] = "shared r1 4K\nshared r2 4K\nshared r3 4K\nshared r4 4K\n";
    char text[4096];
    snprintf(text, sizeof(text), "microapp a\nimage a.elf\n%smicroapp b\nimage b.elf\n%s", four, four);
    expect_ok(text);
    assert_int_equal(manifest.apps[0].shared_count, MANIFEST_MAX_SHARED);
    assert_int_equal(manifest.apps[1].shared[3].region, 3);
    snprintf(text, sizeof(text), "microapp a\nimage a.elf\n%sshared r5 4K\n", four);
    expect_error(text, "manifest line 7: too many shared regions for microapp 'a' (at most 4)");

    /* 16 regions in a manifest: four pairs of apps, each pair sharing four of them. */
    size_t length = 0;
    for (int pair = 0; pair < MANIFEST_MAX_SHARED_REGIONS / MANIFEST_MAX_SHARED; pair++) {
        for (int side = 0; side < 2; side++) {
            length +=
                (size_t)snprintf(text + length, sizeof(text) - length, "microapp app%d_%d\nimage a.elf\n", pair, side);
            for (int r = 0; r < MANIFEST_MAX_SHARED; r++) {
                length += (size_t)snprintf(text + length, sizeof(text) - length, "shared r%d 4K\n",
                                           pair * MANIFEST_MAX_SHARED + r);
            }
        }
    }
    expect_ok(text);
    assert_int_equal(manifest.region_count, MANIFEST_MAX_SHARED_REGIONS);
    assert_int_equal(manifest.apps[7].shared[3].region, MANIFEST_MAX_SHARED_REGIONS - 1);
    snprintf(text + length, sizeof(text) - length, "microapp last\nimage a.elf\nshared r0 4K\nshared r16 4K\n");
    expect_error(text, "manifest line 52: too many shared regions (at most 16 in a manifest)");
}

static void limits_are_reachable(void **state)
{
    (void)state;
    /* MANIFEST_MAX_APPS apps; the last holds MANIFEST_MAX_CAPABILITIES capabilities, one more is too many. */
    char text[16384];
    size_t length = 0;
    for (int i = 0; i < MANIFEST_MAX_APPS; i++) {
        length += (size_t)snprintf(text + length, sizeof(text) - length, "microapp app%d\nimage a.elf\n", i);
    }
    length += (size_t)snprintf(text + length, sizeof(text) - length,
                               "capability log\ncapability scheduler\ncapability factory quota=4K\n");
    for (int i = 0; i < MANIFEST_MAX_CAPABILITIES - 3; i++) {
        length += (size_t)snprintf(text + length, sizeof(text) - length, "capability peer:app%d\n", i);
    }
    expect_ok(text);
    assert_int_equal(manifest.app_count, MANIFEST_MAX_APPS);
    assert_int_equal(manifest.apps[MANIFEST_MAX_APPS - 1].capability_count, MANIFEST_MAX_CAPABILITIES);

    snprintf(text + length, sizeof(text) - length, "capability peer:app13\n");
    assert_int_equal(parse(text), ERROR_MALFORMED);
    char expected[96];
    snprintf(expected, sizeof(expected), "too many capabilities for microapp 'app%d' (at most %d)",
             MANIFEST_MAX_APPS - 1, MANIFEST_MAX_CAPABILITIES);
    assert_non_null(strstr(error.message, expected));
}

static void longest_names_fit(void **state)
{
    (void)state;
    char name[MANIFEST_NAME_SIZE];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    char image[MANIFEST_IMAGE_SIZE];
    memset(image, 'i', sizeof(image) - 1);
    image[sizeof(image) - 1] = '\0';
    char text[512];
    snprintf(text, sizeof(text), "microapp %s\nimage %s\nmicroapp p23456789012345678\nimage p.elf\ncapability peer:%s",
             name, image, "p23456789012345678");
    /* peer:<18 bytes> is 23 bytes, the longest capability name; but a peer cannot be itself: */
    expect_error(text, "manifest line 5: microapp 'p23456789012345678' cannot be its own peer");
    snprintf(text, sizeof(text), "microapp %s\nimage %s\nmicroapp p23456789012345678\nimage p.elf\n", name, image);
    expect_ok(text);
    assert_string_equal(manifest.apps[0].name, name);
    assert_string_equal(manifest.apps[0].image, image);
}

static void line_of_exactly_the_maximum_length_is_fine(void **state)
{
    (void)state;
    char text[MANIFEST_MAX_LINE + 64];
    strcpy(text, "microapp a\nimage a.elf\n");
    size_t start = strlen(text);
    memset(text + start, '#', MANIFEST_MAX_LINE);
    text[start + MANIFEST_MAX_LINE] = '\0';
    expect_ok(text);
}

/* --- rejected manifests: every error names its line and reason ------------------------------ */

static void unknown_key_is_named(void **state)
{
    (void)state;
    expect_error("microapp a\n"
                 "  image a.elf\n"
                 "\n"
                 "# a comment\n"
                 "  quota 1M\n"
                 "  memory 1M\n"
                 "  prioirty 10\n",
                 "manifest line 7: unknown key 'prioirty'");
    expect_error("microapp a\nImage a.elf\n", "manifest line 2: unknown key 'Image'");
}

static void empty_manifest_is_an_error(void **state)
{
    (void)state;
    expect_error("", "manifest: no 'microapp' entry");
    expect_error("# nothing\n\n   \n", "manifest: no 'microapp' entry");
    assert_int_equal(error.line, 0);
}

static void keys_before_the_first_microapp_are_errors(void **state)
{
    (void)state;
    expect_error("image a.elf\nmicroapp a\n", "manifest line 1: 'image' before the first 'microapp' line");
}

static void missing_image_is_reported_at_its_microapp(void **state)
{
    (void)state;
    expect_error("microapp a\n priority 3\nmicroapp b\n image b.elf\n",
                 "manifest line 1: microapp 'a' has no 'image' line");
    assert_int_equal(error.line, 1);
    expect_error("microapp a\nimage a.elf\nmicroapp b\n", "manifest line 3: microapp 'b' has no 'image' line");
}

static void duplicates_are_errors(void **state)
{
    (void)state;
    expect_error("microapp a\nimage a.elf\nimage b.elf\n",
                 "manifest line 3: 'image' is given twice for microapp 'a' (first on line 2)");
    expect_error("microapp a\nimage a.elf\npriority 1\npriority 1\n",
                 "manifest line 4: 'priority' is given twice for microapp 'a' (first on line 3)");
    expect_error("microapp a\nimage a.elf\nquota 1M\nquota 2M\n",
                 "manifest line 4: 'quota' is given twice for microapp 'a' (first on line 3)");
    expect_error("microapp a\nimage a.elf\nmemory 1M\nmemory 2M\n",
                 "manifest line 4: 'memory' is given twice for microapp 'a' (first on line 3)");
    expect_error("microapp a\nimage a.elf\narguments x\narguments y\n",
                 "manifest line 4: 'arguments' is given twice for microapp 'a' (first on line 3)");
    expect_error("microapp a\nimage a.elf\nmicroapp a\nimage b.elf\n",
                 "manifest line 3: microapp 'a' is declared twice (first on line 1)");
    expect_error("microapp a\nimage a.elf\ncapability log\ncapability scheduler\ncapability log\n",
                 "manifest line 5: capability 'log' is given twice for microapp 'a' (first on line 3)");
    /* Once-only keys are per app: the second app may give them again. */
    expect_ok("microapp a\nimage a.elf\npriority 1\nmicroapp b\nimage a.elf\npriority 1\n");
}

static void values_are_required_and_single(void **state)
{
    (void)state;
    expect_error("microapp\n", "manifest line 1: 'microapp' needs a value");
    expect_error("microapp a\nimage   # no value\n", "manifest line 2: 'image' needs a value");
    expect_error("microapp a\nimage a.elf b.elf\n", "manifest line 2: unexpected 'b.elf' after the value of 'image'");
    expect_error("microapp a b\n", "manifest line 1: unexpected 'b' after the value of 'microapp'");
    expect_error("microapp a\nimage a.elf\narguments   \n", "manifest line 3: 'arguments' needs a value");
    expect_error("microapp a\nimage a.elf\ncapability\n", "manifest line 3: 'capability' needs a value");
}

static void names_are_checked(void **state)
{
    (void)state;
    expect_error("microapp 1a\n", "manifest line 1: microapp name '1a' is invalid (a letter, then letters, "
                                  "digits, '_' or '-'; at most 31 bytes)");
    expect_error("microapp a.b\n", "manifest line 1: microapp name 'a.b' is invalid (a letter, then letters, "
                                   "digits, '_' or '-'; at most 31 bytes)");
    expect_error("microapp abcdefghijabcdefghijabcdefghij12\n",
                 "manifest line 1: microapp name 'abcdefghijabcdefghijabcdefghij12' is invalid (a letter, then "
                 "letters, digits, '_' or '-'; at most 31 bytes)");
    expect_error("microapp a\nimage a:b\n", "manifest line 2: image name 'a:b' is invalid (letters, digits, '_', "
                                            "'-', '.', '/'; at most 63 bytes)");
}

static void numbers_are_checked(void **state)
{
    (void)state;
    expect_error("microapp a\nimage a.elf\npriority 0\n", "manifest line 3: priority '0' is out of range (1..254)");
    expect_error("microapp a\nimage a.elf\npriority 255\n", "manifest line 3: priority '255' is out of range (1..254)");
    expect_error("microapp a\nimage a.elf\npriority ten\n", "manifest line 3: priority 'ten' is not a number");
    expect_error("microapp a\nimage a.elf\npriority 1K\n", "manifest line 3: priority '1K' is not a number");
    expect_error("microapp a\nimage a.elf\npriority -1\n", "manifest line 3: priority '-1' is not a number");
    expect_error("microapp a\nimage a.elf\nquota 1k\n",
                 "manifest line 3: quota '1k' has an unknown suffix (use K, M or G)");
    expect_error("microapp a\nimage a.elf\nquota 1KB\n",
                 "manifest line 3: quota '1KB' has an unknown suffix (use K, M or G)");
    expect_error("microapp a\nimage a.elf\nquota 0x100000\n",
                 "manifest line 3: quota '0x100000' has an unknown suffix (use K, M or G)");
    expect_error("microapp a\nimage a.elf\nquota 64K\n", "manifest line 3: quota '64K' is out of range (128K..4G)");
    expect_error("microapp a\nimage a.elf\nquota 5G\n", "manifest line 3: quota '5G' is out of range (128K..4G)");
    expect_error("microapp a\nimage a.elf\nquota 99999999999999999999\n",
                 "manifest line 3: quota '99999999999999999999' is too large");
    expect_error("microapp a\nimage a.elf\nquota 18446744073709551615G\n",
                 "manifest line 3: quota '18446744073709551615G' is too large");
    expect_error("microapp a\nimage a.elf\nmemory 5000\n", "manifest line 3: memory '5000' is not a multiple of 4K");
    expect_error("microapp a\nimage a.elf\nmemory 8G\n", "manifest line 3: memory '8G' is out of range (0..4G)");
}

static void capabilities_are_checked(void **state)
{
    (void)state;
    expect_error("microapp a\nimage a.elf\ncapability console\n",
                 "manifest line 3: unknown capability 'console' " KNOWN_CAPABILITIES);
    expect_ok("microapp a\nimage a.elf\ncapability clock\n");
    assert_int_equal(manifest.apps[0].capabilities[0].type, MANIFEST_CAPABILITY_CLOCK);
    expect_error("microapp a\nimage a.elf\ncapability factory\n",
                 "manifest line 3: capability 'factory' needs quota=<size>");
    expect_error("microapp a\nimage a.elf\ncapability factory size=4K\n",
                 "manifest line 3: unknown option 'size=4K' for capability 'factory' (known: quota=<size>)");
    expect_error("microapp a\nimage a.elf\ncapability factory quota=4K quota=8K\n",
                 "manifest line 3: option 'quota' is given twice for capability 'factory'");
    expect_error("microapp a\nimage a.elf\ncapability factory quota=\n",
                 "manifest line 3: factory quota '' is not a number");
    expect_error("microapp a\nimage a.elf\ncapability factory quota=1K\n",
                 "manifest line 3: factory quota '1K' is out of range (4K..4G)");
    expect_error("microapp a\nimage a.elf\ncapability log quota=4K\n",
                 "manifest line 3: capability 'log' takes no options, found 'quota=4K'");
    expect_error("microapp a\nimage a.elf\ncapability peer:\n",
                 "manifest line 3: peer name '' is not a valid microapp name");
    expect_error("microapp a\nimage a.elf\ncapability peer:nobody\n",
                 "manifest line 3: peer 'nobody' is not a microapp of this manifest");
    expect_error("microapp a\nimage a.elf\ncapability peer:a\n",
                 "manifest line 3: microapp 'a' cannot be its own peer");
    expect_error("microapp a\nimage a.elf\ncapability peer:abcdefghijabcdefghij\n",
                 "manifest line 3: capability name 'peer:abcdefghijabcdefghij' is longer than 23 bytes");
}

/* The kernel singletons a driver may get: each named once, with no options, kept in manifest order. */
static void driver_capabilities_are_parsed(void **state)
{
    (void)state;
    expect_ok("microapp pci_bus\n"
              "  image pci_bus.elf\n"
              "  capability log\n"
              "  capability device_memory   # device MMIO, no RAM\n"
              "  capability io_ports\n"
              "  capability icu\n");
    const struct manifest_app *app = &manifest.apps[0];
    assert_int_equal(app->capability_count, 4);
    assert_int_equal(app->capabilities[1].type, MANIFEST_CAPABILITY_DEVICE_MEMORY);
    assert_string_equal(app->capabilities[1].name, "device_memory");
    assert_int_equal(app->capabilities[1].line, 4);
    assert_int_equal(app->capabilities[2].type, MANIFEST_CAPABILITY_IO_PORTS);
    assert_string_equal(app->capabilities[2].name, "io_ports");
    assert_int_equal(app->capabilities[3].type, MANIFEST_CAPABILITY_ICU);
    assert_string_equal(app->capabilities[3].name, "icu");
    expect_error("microapp a\nimage a.elf\ncapability device_memory\ncapability device_memory\n",
                 "manifest line 4: capability 'device_memory' is given twice for microapp 'a' (first on line 3)");
    expect_error("microapp a\nimage a.elf\ncapability device_memory quota=4K\n",
                 "manifest line 3: capability 'device_memory' takes no options, found 'quota=4K'");
    expect_error("microapp a\nimage a.elf\ncapability Device_memory\n",
                 "manifest line 3: unknown capability 'Device_memory' " KNOWN_CAPABILITIES);
    expect_error("microapp a\nimage a.elf\ncapability device_memory:0xfed00000\n",
                 "manifest line 3: unknown capability 'device_memory:0xfed00000' " KNOWN_CAPABILITIES);
}

/* DMA memory (RAM whose physical address the holder learns): a driver's source like the others, named once. */
static void dma_memory_is_parsed(void **state)
{
    (void)state;
    expect_ok("microapp net\n"
              "  image virtio_net.elf\n"
              "  capability log\n"
              "  capability dma_memory   # rings and buffers\n");
    const struct manifest_app *app = &manifest.apps[0];
    assert_int_equal(app->capability_count, 2);
    assert_int_equal(app->capabilities[1].type, MANIFEST_CAPABILITY_DMA_MEMORY);
    assert_string_equal(app->capabilities[1].name, "dma_memory");
    assert_int_equal(app->capabilities[1].line, 4);
    expect_error("microapp a\nimage a.elf\ncapability dma_memory\ncapability dma_memory\n",
                 "manifest line 4: capability 'dma_memory' is given twice for microapp 'a' (first on line 3)");
    expect_error("microapp a\nimage a.elf\ncapability dma_memory quota=4K\n",
                 "manifest line 3: capability 'dma_memory' takes no options, found 'quota=4K'");
    expect_error("microapp a\nimage a.elf\ncapability DMA_memory\n",
                 "manifest line 3: unknown capability 'DMA_memory' " KNOWN_CAPABILITIES);
}

static void factories_must_leave_quota_for_the_app(void **state)
{
    (void)state;
    expect_ok("microapp a\nimage a.elf\nquota 1M\ncapability factory quota=896K\n");
    expect_error("microapp a\nimage a.elf\ncapability factory quota=900K\nquota 1M\n",
                 "manifest line 1: microapp 'a': its factories' quotas (900K) leave less than 128K of its quota (1M) "
                 "for itself");
    expect_error("microapp a\nimage a.elf\ncapability factory quota=2M\n",
                 "manifest line 1: microapp 'a': its factories' quotas (2M) leave less than 128K of its quota (1M) "
                 "for itself");
}

static void too_many_apps_is_an_error(void **state)
{
    (void)state;
    char text[16384];
    size_t length = 0;
    for (int i = 0; i <= MANIFEST_MAX_APPS; i++) {
        length += (size_t)snprintf(text + length, sizeof(text) - length, "microapp app%d\nimage a.elf\n", i);
    }
    char expected[96];
    snprintf(expected, sizeof(expected), "manifest line %d: too many microapps (at most %d)", 2 * MANIFEST_MAX_APPS + 1,
             MANIFEST_MAX_APPS);
    expect_error(text, expected);
}

static void arguments_have_a_length_limit(void **state)
{
    (void)state;
    char text[MANIFEST_ARGUMENTS_SIZE + 64];
    int prefix = snprintf(text, sizeof(text), "microapp a\nimage a.elf\narguments ");
    memset(text + prefix, 'x', MANIFEST_ARGUMENTS_SIZE - 1);
    text[prefix + MANIFEST_ARGUMENTS_SIZE - 1] = '\0';
    expect_ok(text);
    assert_int_equal(strlen(manifest.apps[0].arguments), MANIFEST_ARGUMENTS_SIZE - 1);
    strcat(text, "x");
    expect_error(text, "manifest line 3: arguments are longer than 1023 bytes");
}

/* --- hostile input --------------------------------------------------------------------------- */

static void control_bytes_are_errors(void **state)
{
    (void)state;
    static const char with_nul[] = "microapp a\nimage a\0.elf\n";
    assert_int_equal(parse_bytes(with_nul, sizeof(with_nul) - 1), ERROR_MALFORMED);
    assert_string_equal(error.message,
                        "manifest line 2: control byte 0x00 at column 8 (only spaces and tabs are allowed)");
    expect_error("microapp a\n# bell \a in a comment\n",
                 "manifest line 2: control byte 0x07 at column 8 (only spaces and tabs are allowed)");
    expect_error("microapp a\rimage a.elf\n",
                 "manifest line 1: control byte 0x0d at column 11 (only spaces and tabs are allowed)");
    expect_error("microapp a\nimage a.elf\r", "manifest line 2: control byte 0x0d at column 12 (only spaces and "
                                              "tabs are allowed)");
    expect_error("microapp a\x7f\n", "manifest line 1: control byte 0x7f at column 11 (only spaces and tabs are "
                                     "allowed)");
}

static void non_ascii_bytes_are_quoted_safely(void **state)
{
    (void)state;
    expect_error("microapp a\n\xff\xfe key\n", "manifest line 2: unknown key '?\?'");
    expect_error("microapp \xc3\xa4pp\n", "manifest line 1: microapp name '??pp' is invalid (a letter, then letters, "
                                          "digits, '_' or '-'; at most 31 bytes)");
}

static void long_tokens_are_shortened_in_messages(void **state)
{
    (void)state;
    char text[256];
    memset(text, 'k', 100);
    text[100] = '\0';
    expect_error(text, "manifest line 1: unknown key 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...'");
}

static void very_long_lines_are_errors(void **state)
{
    (void)state;
    size_t size = 100000;
    char *text = malloc(size + 1);
    assert_non_null(text);
    memset(text, 'x', size);
    text[size] = '\0';
    expect_error(text, "manifest line 1: line is longer than 1088 bytes");
    memcpy(text, "microapp a\nimage a.elf\n# ", 25);
    expect_error(text, "manifest line 3: line is longer than 1088 bytes");
    free(text);
}

static void oversized_manifest_is_an_error(void **state)
{
    (void)state;
    size_t size = MANIFEST_MAX_SIZE + 1;
    char *text = malloc(size);
    assert_non_null(text);
    memset(text, '\n', size);
    assert_int_equal(parse_bytes(text, size), ERROR_MALFORMED);
    assert_string_equal(error.message, "manifest: is larger than 1M");
    free(text);
}

static uint64_t random_state = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(void)
{
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return random_state;
}

/* A parsed app's regions: named, sized as the manifest's region they point to, which others name too. */
static void check_shared(const struct manifest_app *app)
{
    assert_true(app->shared_count <= MANIFEST_MAX_SHARED);
    for (size_t s = 0; s < app->shared_count; s++) {
        const struct manifest_shared *shared = &app->shared[s];
        assert_true(memchr(shared->name, '\0', MANIFEST_SHARED_NAME_SIZE) != NULL);
        assert_true(shared->name[0] != '\0');
        assert_true(shared->size >= MANIFEST_MIN_SHARED_SIZE && shared->size <= MANIFEST_MAX_SHARED_SIZE);
        assert_int_equal(shared->size % MANIFEST_PAGE_SIZE, 0);
        assert_true(shared->region < manifest.region_count);
        assert_string_equal(manifest.regions[shared->region].name, shared->name);
        assert_int_equal(manifest.regions[shared->region].size, shared->size);
        assert_true(manifest.regions[shared->region].users >= 2);
    }
}

/* Whatever the bytes, the parser returns a verdict: success, or an error with a message. */
static void check_verdict(const uint8_t *bytes, size_t size)
{
    enum error result = parse_bytes(bytes, size);
    if (result == ERROR_NONE) {
        assert_true(manifest.app_count >= 1 && manifest.app_count <= MANIFEST_MAX_APPS);
        for (size_t i = 0; i < manifest.app_count; i++) {
            assert_true(memchr(manifest.apps[i].name, '\0', sizeof(manifest.apps[i].name)) != NULL);
            assert_true(memchr(manifest.apps[i].image, '\0', sizeof(manifest.apps[i].image)) != NULL);
            assert_true(manifest.apps[i].image[0] != '\0');
            assert_true(manifest.apps[i].capability_count <= MANIFEST_MAX_CAPABILITIES);
            assert_true(manifest.apps[i].file_count <= MANIFEST_MAX_FILES);
            for (size_t f = 0; f < manifest.apps[i].file_count; f++) {
                assert_true(memchr(manifest.apps[i].files[f].name, '\0', MANIFEST_FILE_SIZE) != NULL);
                assert_true(manifest.apps[i].files[f].name[0] != '\0');
            }
            check_shared(&manifest.apps[i]);
        }
    } else {
        assert_int_equal(result, ERROR_MALFORMED);
        assert_true(strncmp(error.message, "manifest", 8) == 0);
        assert_true(strlen(error.message) < sizeof(error.message));
    }
}

static void random_bytes_get_a_verdict(void **state)
{
    (void)state;
    uint8_t bytes[600];
    for (int round = 0; round < 2000; round++) {
        size_t size = next_random() % sizeof(bytes);
        for (size_t i = 0; i < size; i++) {
            bytes[i] = (uint8_t)next_random();
        }
        check_verdict(bytes, size);
    }
}

/* Mutations of a valid manifest reach deeper than random bytes: flipped, dropped and inserted bytes. */
static void mutated_manifests_get_a_verdict(void **state)
{
    (void)state;
    static const char valid[] = "microapp client\n image c.elf\n priority 10\n quota 1M\n memory 16M\n"
                                " capability log\n capability factory quota=256K\n capability scheduler\n"
                                " capability peer:server\n arguments --verbose\n file bzImage\n file initrd\n"
                                " shared net-ab 64K\n shared ring 4K\n"
                                "microapp server\n image s.elf\n capability peer:client\n shared ring 4K\n"
                                " shared net-ab 64K\n";
    static const char alphabet[] = "microapqtyglfshd:=#0123456789KMG- \t\n\r\0\xff";
    uint8_t bytes[sizeof(valid) + 16];
    for (int round = 0; round < 20000; round++) {
        size_t size = sizeof(valid) - 1;
        memcpy(bytes, valid, size);
        int edits = 1 + (int)(next_random() % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = next_random() % (size + 1);
            uint8_t byte = (uint8_t)alphabet[next_random() % (sizeof(alphabet) - 1)];
            switch (next_random() % 3) {
            case 0:
                if (at < size) {
                    bytes[at] = byte;
                }
                break;
            case 1:
                if (at < size) {
                    memmove(bytes + at, bytes + at + 1, size - at - 1);
                    size--;
                }
                break;
            default:
                if (size < sizeof(bytes)) {
                    memmove(bytes + at + 1, bytes + at, size - at);
                    bytes[at] = byte;
                    size++;
                }
                break;
            }
        }
        check_verdict(bytes, size);
    }
}

/* --- the launcher capability and launch specs (launch_service.h) ------------------------------- */

static void launcher_capability_takes_its_memory(void **state)
{
    (void)state;
    expect_ok("microapp agent\nimage agent.elf\ncapability launcher memory=3G\n");
    assert_int_equal(manifest.apps[0].capabilities[0].type, MANIFEST_CAPABILITY_LAUNCHER);
    assert_int_equal(manifest.apps[0].capabilities[0].memory, 3ull << 30);
    expect_error("microapp agent\nimage agent.elf\ncapability launcher\n",
                 "manifest line 3: capability 'launcher' needs memory=<size>");
    expect_error("microapp agent\nimage agent.elf\ncapability launcher quota=1M\n",
                 "manifest line 3: unknown option 'quota=1M' for capability 'launcher' (known: memory=<size>)");
    expect_error("microapp agent\nimage agent.elf\ncapability launcher memory=1M memory=2M\n",
                 "manifest line 3: option 'memory' is given twice for capability 'launcher'");
    expect_error("microapp agent\nimage agent.elf\ncapability factory memory=1M\n",
                 "manifest line 3: unknown option 'memory=1M' for capability 'factory' (known: quota=<size>)");
}

static struct manifest boot_manifest;

static enum error parse_launch(const char *spec)
{
    return manifest_parse_launch(spec, strlen(spec), &boot_manifest, &manifest, &error);
}

static void launch_specs_name_peers_of_the_boot_manifest(void **state)
{
    (void)state;
    const char *boot = "microapp switch\nimage switch.elf\ncapability peer:agent\n"
                       "microapp agent\nimage agent.elf\ncapability peer:switch\ncapability launcher memory=1G\n";
    assert_int_equal(manifest_parse(boot, strlen(boot), &boot_manifest, &error), ERROR_NONE);
    assert_int_equal(parse_launch("microapp vm-1\nimage uvmm.elf\nmemory 128M\ncapability log\n"
                                  "capability peer:switch\nfile vmlinuz\narguments --kernel vmlinuz\n"),
                     ERROR_NONE);
    assert_int_equal(manifest.app_count, 1);
    assert_string_equal(manifest.apps[0].name, "vm-1");
    assert_int_equal(manifest.apps[0].capabilities[1].peer, 0); /* boot_manifest.apps[0]: the switch */
    assert_int_equal(parse_launch("microapp vm-1\nimage uvmm.elf\ncapability peer:nobody\n"), ERROR_MALFORMED);
    assert_string_equal(error.message, "manifest line 3: peer 'nobody' is not a microapp of the boot manifest");
    assert_int_equal(parse_launch("microapp vm-1\nimage uvmm.elf\nshared net 64K\n"), ERROR_NONE);
    assert_int_equal(manifest.apps[0].shared_count, 1); /* one app alone names it: its launcher supplies it */
    assert_int_equal(manifest.region_count, 0);
    assert_int_equal(parse_launch("microapp a\nimage a.elf\nmicroapp b\nimage b.elf\n"), ERROR_MALFORMED);
    assert_string_equal(error.message, "manifest: a launch spec describes exactly one microapp, not 2");
    assert_int_equal(parse_launch("microapp a\n"), ERROR_MALFORMED);
    assert_string_equal(error.message, "manifest line 1: microapp 'a' has no 'image' line");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_example_is_parsed),
        cmocka_unit_test(defaults_apply_to_optional_keys),
        cmocka_unit_test(several_apps_keep_their_order),
        cmocka_unit_test(missing_newline_at_end_is_fine),
        cmocka_unit_test(crlf_line_ends_and_tabs_are_fine),
        cmocka_unit_test(hash_starts_a_comment_anywhere),
        cmocka_unit_test(sizes_take_suffixes),
        cmocka_unit_test(arguments_keep_inner_blanks),
        cmocka_unit_test(peers_resolve_forward_and_backward),
        cmocka_unit_test(files_are_kept_in_order),
        cmocka_unit_test(files_have_a_limit),
        cmocka_unit_test(file_names_are_checked),
        cmocka_unit_test(shared_regions_are_parsed),
        cmocka_unit_test(shared_sizes_are_checked),
        cmocka_unit_test(shared_lines_are_checked),
        cmocka_unit_test(shared_regions_must_agree_between_apps),
        cmocka_unit_test(shared_regions_have_limits),
        cmocka_unit_test(limits_are_reachable),
        cmocka_unit_test(longest_names_fit),
        cmocka_unit_test(line_of_exactly_the_maximum_length_is_fine),
        cmocka_unit_test(unknown_key_is_named),
        cmocka_unit_test(empty_manifest_is_an_error),
        cmocka_unit_test(keys_before_the_first_microapp_are_errors),
        cmocka_unit_test(missing_image_is_reported_at_its_microapp),
        cmocka_unit_test(duplicates_are_errors),
        cmocka_unit_test(values_are_required_and_single),
        cmocka_unit_test(names_are_checked),
        cmocka_unit_test(numbers_are_checked),
        cmocka_unit_test(capabilities_are_checked),
        cmocka_unit_test(driver_capabilities_are_parsed),
        cmocka_unit_test(dma_memory_is_parsed),
        cmocka_unit_test(factories_must_leave_quota_for_the_app),
        cmocka_unit_test(too_many_apps_is_an_error),
        cmocka_unit_test(arguments_have_a_length_limit),
        cmocka_unit_test(control_bytes_are_errors),
        cmocka_unit_test(non_ascii_bytes_are_quoted_safely),
        cmocka_unit_test(long_tokens_are_shortened_in_messages),
        cmocka_unit_test(very_long_lines_are_errors),
        cmocka_unit_test(oversized_manifest_is_an_error),
        cmocka_unit_test(random_bytes_get_a_verdict),
        cmocka_unit_test(mutated_manifests_get_a_verdict),
        cmocka_unit_test(launcher_capability_takes_its_memory),
        cmocka_unit_test(launch_specs_name_peers_of_the_boot_manifest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
