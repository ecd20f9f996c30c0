/* The boot archive the test harness passes: its files are found and its ELF fixture parses. */
#include <arch/elf_machine.h>
#include <kapsel/boot_files.h>
#include <kapsel/elf.h>
#include <kapsel/kernel.h>
#include <kapsel/ktest.h>
#include <kapsel/memory.h>
#include <string.h>

struct fixture_search {
    size_t files;
    const struct boot_file *fixture;
    struct boot_file fixture_copy;
};

static bool find_fixture(const struct boot_file *file, void *context)
{
    struct fixture_search *search = context;
    search->files++;
    if (strcmp(file->name, "fixture.elf") == 0) {
        search->fixture_copy = *file;
        search->fixture = &search->fixture_copy;
    }
    return true;
}

KTEST(boot_files_include_the_fixture_image)
{
    struct fixture_search search = {0, NULL, {0}};
    const char *reason = NULL;
    KTEST_EXPECT(boot_files_for_each(kernel_boot_info(), find_fixture, &search, &reason) == ERROR_NONE);
    KTEST_EXPECT(search.files >= 2);
    KTEST_EXPECT(search.fixture != NULL);
    if (!search.fixture) {
        return;
    }
    struct elf_image image;
    KTEST_EXPECT(elf_image_parse(search.fixture->data, search.fixture->size, ARCH_ELF_MACHINE, USER_ADDRESS_LIMIT,
                                 &image, &reason) == ERROR_NONE);
    KTEST_EXPECT(image.entry == 0x400000);
    KTEST_EXPECT(image.segment_count >= 1);
}

KTEST(boot_command_line_is_parsed)
{
    char value[32];
    KTEST_EXPECT(boot_command_line_has(kernel_boot_info(), "ktest"));
    KTEST_EXPECT(!boot_command_line_has(kernel_boot_info(), "ktes"));
    KTEST_EXPECT(boot_command_line_value(kernel_boot_info(), "no.such.key", value, sizeof(value)) == ERROR_NOT_FOUND);
}
