/* Unit tests for the ELF64 executable checks (kernel/core/elf.c). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <kapsel/elf.h>
#include <stdlib.h>
#include <string.h>

/* ELF-64 file layouts and constants from the System V ABI, independent of the code under test. */
struct elf64_ehdr {
    unsigned char e_ident[16];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};

struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header is 64 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header is 56 bytes");

enum {
    EI_CLASS = 4,
    EI_DATA = 5,
    EI_VERSION = 6,
    ELFCLASS32 = 1,
    ELFCLASS64 = 2,
    ELFDATA2LSB = 1,
    ELFDATA2MSB = 2,
    EV_CURRENT = 1,
    ET_REL = 1,
    ET_EXEC = 2,
    ET_DYN = 3,
    EM_X86_64 = 62,
    EM_AARCH64 = 183,
    PT_LOAD = 1,
    PT_DYNAMIC = 2,
    PT_INTERP = 3,
    PT_NOTE = 4,
    PT_PHDR = 6,
    PT_GNU_STACK = 0x6474e551,
    PF_X = 1,
    PF_W = 2,
    PF_R = 4,
};

#define USER_LIMIT 0x0000800000000000ull
#define FILE_SIZE 0x3000
#define MAX_PROGRAMS (ELF_MAX_SEGMENTS + 2)

/* The valid image: text at file 0x1000 / 0x400000 (R+X), data + bss at file 0x2000 / 0x600000 (R+W). */
#define TEXT_OFFSET 0x1000
#define TEXT_VADDR 0x400000
#define TEXT_SIZE 0x234
#define ENTRY (TEXT_VADDR + 0x10)
#define DATA_OFFSET 0x2000
#define DATA_VADDR 0x600000
#define DATA_FILE_SIZE 0x80
#define DATA_MEMORY_SIZE 0x1800

/*
 * An ELF file under construction: header and program headers as structs, written to bytes by serialize().
 * The program headers are written at program_offset, which tests may make disagree with e_phoff.
 */
struct elf_file {
    struct elf64_ehdr header;
    struct elf64_phdr programs[MAX_PROGRAMS];
    size_t program_offset;
    _Alignas(8) uint8_t bytes[FILE_SIZE];
};

/* Indices of the valid image's program headers. */
enum { TEXT, DATA, STACK };

static void make_valid(struct elf_file *elf)
{
    memset(elf, 0, sizeof(*elf));
    static const unsigned char ident[16] = {0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT};
    memcpy(elf->header.e_ident, ident, sizeof(ident));
    elf->header.e_type = ET_EXEC;
    elf->header.e_machine = EM_X86_64;
    elf->header.e_version = EV_CURRENT;
    elf->header.e_entry = ENTRY;
    elf->program_offset = sizeof(struct elf64_ehdr);
    elf->header.e_phoff = elf->program_offset;
    elf->header.e_ehsize = sizeof(struct elf64_ehdr);
    elf->header.e_phentsize = sizeof(struct elf64_phdr);
    elf->header.e_phnum = 3;
    elf->programs[TEXT] = (struct elf64_phdr){
        .p_type = PT_LOAD,
        .p_flags = PF_R | PF_X,
        .p_offset = TEXT_OFFSET,
        .p_vaddr = TEXT_VADDR,
        .p_paddr = TEXT_VADDR,
        .p_filesz = TEXT_SIZE,
        .p_memsz = TEXT_SIZE,
        .p_align = 0x1000,
    };
    elf->programs[DATA] = (struct elf64_phdr){
        .p_type = PT_LOAD,
        .p_flags = PF_R | PF_W,
        .p_offset = DATA_OFFSET,
        .p_vaddr = DATA_VADDR,
        .p_paddr = DATA_VADDR,
        .p_filesz = DATA_FILE_SIZE,
        .p_memsz = DATA_MEMORY_SIZE,
        .p_align = 0x1000,
    };
    /* Linkers emit PT_GNU_STACK with all sizes 0; it is not loaded and must be ignored. */
    elf->programs[STACK] = (struct elf64_phdr){.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W, .p_align = 16};
    memset(elf->bytes + TEXT_OFFSET, 0x90, TEXT_SIZE);
    memset(elf->bytes + DATA_OFFSET, 0xab, DATA_FILE_SIZE);
}

/* Writes the header at offset 0 and up to MAX_PROGRAMS program headers at program_offset. */
static const uint8_t *serialize(struct elf_file *elf)
{
    size_t count = elf->header.e_phnum < MAX_PROGRAMS ? elf->header.e_phnum : MAX_PROGRAMS;
    assert_true(elf->program_offset + count * sizeof(elf->programs[0]) <= FILE_SIZE);
    memcpy(elf->bytes, &elf->header, sizeof(elf->header));
    memcpy(elf->bytes + elf->program_offset, elf->programs, count * sizeof(elf->programs[0]));
    return elf->bytes;
}

/* Parses a heap copy of the first size bytes, so that AddressSanitizer reports any read past the end of the file. */
static enum error parse_sized(struct elf_file *elf, size_t size, uint64_t limit, struct elf_image *image,
                              const char **reason)
{
    assert_true(size <= FILE_SIZE);
    uint8_t *copy = malloc(size > 0 ? size : 1);
    assert_non_null(copy);
    memcpy(copy, serialize(elf), size);
    enum error error = elf_image_parse(copy, size, EM_X86_64, limit, image, reason);
    free(copy);
    return error;
}

static void assert_parses(struct elf_file *elf, struct elf_image *image)
{
    const char *reason = NULL;
    enum error error = parse_sized(elf, FILE_SIZE, USER_LIMIT, image, &reason);
    if (error != ERROR_NONE) {
        fail_msg("refused a valid image: %s", reason ? reason : "(no reason)");
    }
}

/* The image is refused as malformed, with a reason that mentions keyword. */
static void assert_refused_sized(struct elf_file *elf, size_t size, uint64_t limit, const char *keyword)
{
    struct elf_image image;
    const char *reason = NULL;
    assert_int_equal(parse_sized(elf, size, limit, &image, &reason), ERROR_MALFORMED);
    assert_non_null(reason);
    if (!strstr(reason, keyword)) {
        fail_msg("reason \"%s\" does not mention \"%s\"", reason, keyword);
    }
}

static void assert_refused(struct elf_file *elf, const char *keyword)
{
    assert_refused_sized(elf, FILE_SIZE, USER_LIMIT, keyword);
}

static void assert_segment(const struct elf_segment *segment, uint64_t vaddr, uint64_t memory_size,
                           uint64_t file_offset, uint64_t file_size, uint32_t flags)
{
    assert_int_equal(segment->vaddr, vaddr);
    assert_int_equal(segment->memory_size, memory_size);
    assert_int_equal(segment->file_offset, file_offset);
    assert_int_equal(segment->file_size, file_size);
    assert_int_equal(segment->flags, flags);
}

/* Gives the image count PT_LOAD segments of one page each, the first one executable and holding the entry. */
static void make_with_loads(struct elf_file *elf, size_t count)
{
    make_valid(elf);
    assert_true(count <= MAX_PROGRAMS);
    for (size_t i = 0; i < count; i++) {
        elf->programs[i] = (struct elf64_phdr){
            .p_type = PT_LOAD,
            .p_flags = i == 0 ? PF_R | PF_X : PF_R,
            .p_offset = TEXT_OFFSET,
            .p_vaddr = TEXT_VADDR + i * 0x1000,
            .p_filesz = 0x100,
            .p_memsz = 0x1000,
        };
    }
    elf->header.e_phnum = (uint16_t)count;
}

static void test_valid_image(void **state)
{
    (void)state;
    struct elf_file elf;
    struct elf_image image;
    make_valid(&elf);
    assert_parses(&elf, &image);
    assert_int_equal(image.entry, ENTRY);
    assert_int_equal(image.segment_count, 2);
    assert_segment(&image.segments[0], TEXT_VADDR, TEXT_SIZE, TEXT_OFFSET, TEXT_SIZE,
                   ELF_SEGMENT_READ | ELF_SEGMENT_EXECUTE);
    assert_segment(&image.segments[1], DATA_VADDR, DATA_MEMORY_SIZE, DATA_OFFSET, DATA_FILE_SIZE,
                   ELF_SEGMENT_READ | ELF_SEGMENT_WRITE);
}

/* PF_R/PF_W/PF_X map onto ELF_SEGMENT_*; processor- and OS-specific flag bits are dropped. */
static void test_segment_flags(void **state)
{
    (void)state;
    struct elf_file elf;
    struct elf_image image;
    make_valid(&elf);
    elf.programs[TEXT].p_flags = PF_X | 0xf0000000u | 0x0ff00000u;
    elf.programs[DATA].p_flags = PF_W;
    assert_parses(&elf, &image);
    assert_int_equal(image.segments[0].flags, ELF_SEGMENT_EXECUTE);
    assert_int_equal(image.segments[1].flags, ELF_SEGMENT_WRITE);
}

/* Boundaries that are still valid: entry at the last text byte, adjacent segments, a segment ending at the limit. */
static void test_valid_boundaries(void **state)
{
    (void)state;
    struct elf_file elf;
    struct elf_image image;

    make_valid(&elf);
    elf.header.e_entry = TEXT_VADDR + TEXT_SIZE - 1;
    assert_parses(&elf, &image);

    make_valid(&elf);
    elf.programs[DATA].p_vaddr = TEXT_VADDR + TEXT_SIZE;
    assert_parses(&elf, &image);
    assert_int_equal(image.segments[1].vaddr, TEXT_VADDR + TEXT_SIZE);

    make_valid(&elf);
    elf.programs[DATA].p_vaddr = TEXT_VADDR - DATA_MEMORY_SIZE;
    assert_parses(&elf, &image);

    make_valid(&elf);
    elf.programs[DATA].p_vaddr = USER_LIMIT - DATA_MEMORY_SIZE;
    assert_parses(&elf, &image);

    /* A segment whose file bytes end exactly at the end of the file. */
    make_valid(&elf);
    elf.programs[DATA].p_offset = FILE_SIZE - DATA_FILE_SIZE;
    assert_parses(&elf, &image);
}

/* Program headers may sit anywhere in the file, not only right after the ELF header. */
static void test_program_headers_elsewhere(void **state)
{
    (void)state;
    struct elf_file elf;
    struct elf_image image;
    make_valid(&elf);
    elf.program_offset = 0x800;
    elf.header.e_phoff = 0x800;
    assert_parses(&elf, &image);
    assert_int_equal(image.segment_count, 2);
    assert_int_equal(image.segments[1].vaddr, DATA_VADDR);
}

static void test_exactly_max_segments(void **state)
{
    (void)state;
    struct elf_file elf;
    struct elf_image image;
    make_with_loads(&elf, ELF_MAX_SEGMENTS);
    assert_parses(&elf, &image);
    assert_int_equal(image.segment_count, ELF_MAX_SEGMENTS);
    assert_int_equal(image.segments[ELF_MAX_SEGMENTS - 1].vaddr, TEXT_VADDR + (ELF_MAX_SEGMENTS - 1) * 0x1000);
}

static void test_has_magic(void **state)
{
    (void)state;
    assert_true(elf_has_magic("\177ELF", 4));
    assert_false(elf_has_magic("\177ELF", 3));
    assert_false(elf_has_magic("\177ELG", 4));
    assert_false(elf_has_magic("", 0));
    assert_false(elf_has_magic("070701", 6));
}

static void test_too_small(void **state)
{
    (void)state;
    struct elf_file elf;
    make_valid(&elf);
    assert_refused_sized(&elf, sizeof(struct elf64_ehdr) - 1, USER_LIMIT, "ELF");
    assert_refused_sized(&elf, 4, USER_LIMIT, "ELF");
    assert_refused_sized(&elf, 0, USER_LIMIT, "ELF");
}

static void test_bad_magic(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        struct elf_file elf;
        make_valid(&elf);
        elf.header.e_ident[i] ^= 0x20;
        assert_refused(&elf, "ELF");
    }
}

static void test_32_bit_class(void **state)
{
    (void)state;
    struct elf_file elf;
    make_valid(&elf);
    elf.header.e_ident[EI_CLASS] = ELFCLASS32;
    assert_refused(&elf, "64-bit");
}

static void test_big_endian(void **state)
{
    (void)state;
    struct elf_file elf;
    make_valid(&elf);
    elf.header.e_ident[EI_DATA] = ELFDATA2MSB;
    assert_refused(&elf, "little-endian");
}

/* Both version fields, e_ident[EI_VERSION] and e_version, must be EV_CURRENT. */
static void test_wrong_version(void **state)
{
    (void)state;
    struct elf_file elf;
    make_valid(&elf);
    elf.header.e_ident[EI_VERSION] = 0;
    assert_refused(&elf, "version");
    make_valid(&elf);
    elf.header.e_version = 2;
    assert_refused(&elf, "version");
}

static void test_not_an_executable(void **state)
{
    (void)state;
    static const uint16_t types[] = {ET_DYN, ET_REL, 0, 4};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        struct elf_file elf;
        make_valid(&elf);
        elf.header.e_type = types[i];
        assert_refused(&elf, "executable");
    }
}

static void test_wrong_machine(void **state)
{
    (void)state;
    struct elf_file elf;
    struct elf_image image;
    const char *reason = NULL;
    make_valid(&elf);
    elf.header.e_machine = EM_AARCH64;
    assert_refused(&elf, "machine");
    /* The same image is valid when the caller asks for that machine. */
    assert_int_equal(elf_image_parse(serialize(&elf), FILE_SIZE, ELF_MACHINE_AARCH64, USER_LIMIT, &image, &reason),
                     ERROR_NONE);
}

static void test_wrong_program_header_size(void **state)
{
    (void)state;
    static const uint16_t sizes[] = {0, 32, 55, 57, 64};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct elf_file elf;
        make_valid(&elf);
        elf.header.e_phentsize = sizes[i];
        assert_refused(&elf, "program header");
    }
}

static void test_no_program_headers(void **state)
{
    (void)state;
    struct elf_file elf;
    make_valid(&elf);
    elf.header.e_phnum = 0;
    assert_refused(&elf, "program headers");
}

/* The program header table starts past the end, ends past the end, or its offset is near UINT64_MAX. */
static void test_program_headers_past_end(void **state)
{
    (void)state;
    static const uint64_t offsets[] = {FILE_SIZE + 8, FILE_SIZE - 3 * sizeof(struct elf64_phdr) + 1, UINT64_MAX - 8,
                                       UINT64_MAX - 3 * 56 + 1, UINT64_MAX};
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        struct elf_file elf;
        make_valid(&elf);
        elf.header.e_phoff = offsets[i];
        assert_refused(&elf, "past the end");
    }
    struct elf_file elf;
    make_valid(&elf);
    elf.header.e_phnum = UINT16_MAX;
    assert_refused(&elf, "past the end");
}

static void test_file_size_above_memory_size(void **state)
{
    (void)state;
    struct elf_file elf;
    make_valid(&elf);
    elf.programs[DATA].p_filesz = DATA_MEMORY_SIZE + 1;
    assert_refused(&elf, "file bytes");
}

static void test_segment_data_past_end(void **state)
{
    (void)state;
    struct elf_file elf;
    make_valid(&elf);
    elf.programs[DATA].p_offset = FILE_SIZE - DATA_FILE_SIZE + 1;
    assert_refused(&elf, "past the end");
    make_valid(&elf);
    elf.programs[DATA].p_offset = FILE_SIZE + 0x1000;
    assert_refused(&elf, "past the end");
    /* The same image cut short by one byte. */
    make_valid(&elf);
    elf.programs[DATA].p_offset = FILE_SIZE - DATA_FILE_SIZE;
    assert_refused_sized(&elf, FILE_SIZE - 1, USER_LIMIT, "past the end");
}

/* p_offset + p_filesz wraps around 2^64 to a small number that would look in bounds. */
static void test_segment_offset_overflow(void **state)
{
    (void)state;
    struct elf_file elf;
    make_valid(&elf);
    elf.programs[DATA].p_offset = UINT64_MAX - 0x10;
    elf.programs[DATA].p_filesz = 0x20;
    elf.programs[DATA].p_memsz = 0x20;
    assert_refused(&elf, "past the end");
    make_valid(&elf);
    elf.programs[DATA].p_offset = DATA_OFFSET;
    elf.programs[DATA].p_filesz = UINT64_MAX - DATA_OFFSET + 0x11;
    elf.programs[DATA].p_memsz = UINT64_MAX - DATA_OFFSET + 0x11;
    assert_refused(&elf, "past the end");
}

static void test_empty_segment(void **state)
{
    (void)state;
    struct elf_file elf;
    make_valid(&elf);
    elf.programs[DATA].p_filesz = 0;
    elf.programs[DATA].p_memsz = 0;
    assert_refused(&elf, "empty");
}

static void test_segment_above_limit(void **state)
{
    (void)state;
    struct elf_file elf;
    make_valid(&elf);
    elf.programs[DATA].p_vaddr = USER_LIMIT;
    assert_refused(&elf, "address range");
    make_valid(&elf);
    elf.programs[DATA].p_vaddr = 0xffff800000000000ull;
    assert_refused(&elf, "address range");
}

/* The segment starts below the limit but its end crosses it, or wraps around 2^64 with no limit at all. */
static void test_segment_end_above_limit(void **state)
{
    (void)state;
    struct elf_file elf;
    make_valid(&elf);
    elf.programs[DATA].p_vaddr = USER_LIMIT - DATA_MEMORY_SIZE + 1;
    assert_refused(&elf, "address range");
    make_valid(&elf);
    elf.programs[DATA].p_memsz = UINT64_MAX - DATA_VADDR + 2;
    assert_refused_sized(&elf, FILE_SIZE, UINT64_MAX, "address range");
}

static void test_overlapping_segments(void **state)
{
    (void)state;
    static const uint64_t data_vaddrs[] = {TEXT_VADDR, TEXT_VADDR + TEXT_SIZE - 1, TEXT_VADDR - DATA_MEMORY_SIZE + 1,
                                           TEXT_VADDR + 0x10};
    for (size_t i = 0; i < sizeof(data_vaddrs) / sizeof(data_vaddrs[0]); i++) {
        struct elf_file elf;
        make_valid(&elf);
        elf.programs[DATA].p_vaddr = data_vaddrs[i];
        assert_refused(&elf, "overlap");
    }
}

/* A later segment that encloses an earlier one entirely. */
static void test_enclosing_segment_overlaps(void **state)
{
    (void)state;
    struct elf_file elf;
    make_valid(&elf);
    elf.programs[DATA].p_vaddr = TEXT_VADDR - 0x100;
    elf.programs[DATA].p_memsz = TEXT_SIZE + 0x200;
    assert_refused(&elf, "overlap");
}

static void test_dynamic_linking_refused(void **state)
{
    (void)state;
    static const uint32_t types[] = {PT_INTERP, PT_DYNAMIC};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        struct elf_file elf;
        make_valid(&elf);
        elf.programs[STACK] = (struct elf64_phdr){
            .p_type = types[i], .p_offset = DATA_OFFSET, .p_filesz = 0x10, .p_memsz = 0x10, .p_vaddr = DATA_VADDR};
        assert_refused(&elf, "dynamic");
    }
}

static void test_entry_not_executable(void **state)
{
    (void)state;
    static const uint64_t entries[] = {
        DATA_VADDR, DATA_VADDR + DATA_MEMORY_SIZE - 1, TEXT_VADDR + TEXT_SIZE, TEXT_VADDR - 1, 0, UINT64_MAX};
    for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
        struct elf_file elf;
        make_valid(&elf);
        elf.header.e_entry = entries[i];
        assert_refused(&elf, "entry");
    }
}

/* The entry lies in a readable, writable but not executable text segment. */
static void test_entry_in_non_executable_text(void **state)
{
    (void)state;
    struct elf_file elf;
    make_valid(&elf);
    elf.programs[TEXT].p_flags = PF_R | PF_W;
    assert_refused(&elf, "entry");
}

static void test_no_loadable_segment(void **state)
{
    (void)state;
    struct elf_file elf;
    make_valid(&elf);
    elf.programs[TEXT].p_type = PT_NOTE;
    elf.programs[DATA].p_type = PT_PHDR;
    assert_refused(&elf, "loadable");
}

static void test_too_many_segments(void **state)
{
    (void)state;
    struct elf_file elf;
    make_with_loads(&elf, ELF_MAX_SEGMENTS + 1);
    assert_refused(&elf, "too many");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_image),
        cmocka_unit_test(test_segment_flags),
        cmocka_unit_test(test_valid_boundaries),
        cmocka_unit_test(test_program_headers_elsewhere),
        cmocka_unit_test(test_exactly_max_segments),
        cmocka_unit_test(test_has_magic),
        cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_32_bit_class),
        cmocka_unit_test(test_big_endian),
        cmocka_unit_test(test_wrong_version),
        cmocka_unit_test(test_not_an_executable),
        cmocka_unit_test(test_wrong_machine),
        cmocka_unit_test(test_wrong_program_header_size),
        cmocka_unit_test(test_no_program_headers),
        cmocka_unit_test(test_program_headers_past_end),
        cmocka_unit_test(test_file_size_above_memory_size),
        cmocka_unit_test(test_segment_data_past_end),
        cmocka_unit_test(test_segment_offset_overflow),
        cmocka_unit_test(test_empty_segment),
        cmocka_unit_test(test_segment_above_limit),
        cmocka_unit_test(test_segment_end_above_limit),
        cmocka_unit_test(test_overlapping_segments),
        cmocka_unit_test(test_enclosing_segment_overlaps),
        cmocka_unit_test(test_dynamic_linking_refused),
        cmocka_unit_test(test_entry_not_executable),
        cmocka_unit_test(test_entry_in_non_executable_text),
        cmocka_unit_test(test_no_loadable_segment),
        cmocka_unit_test(test_too_many_segments),
    };
    return cmocka_run_group_tests_name("elf_test", tests, NULL, NULL);
}
