#include <kapsel/elf.h>
#include <string.h>

/* On-disk layouts from the System V ABI (ELF-64 Object File Format). */
struct elf64_header {
    unsigned char ident[16];
    uint16_t type;
    uint16_t machine;
    uint32_t version;
    uint64_t entry;
    uint64_t program_header_offset;
    uint64_t section_header_offset;
    uint32_t flags;
    uint16_t header_size;
    uint16_t program_header_size;
    uint16_t program_header_count;
    uint16_t section_header_size;
    uint16_t section_header_count;
    uint16_t section_name_index;
};

struct elf64_program_header {
    uint32_t type;
    uint32_t flags;
    uint64_t offset;
    uint64_t vaddr;
    uint64_t paddr;
    uint64_t file_size;
    uint64_t memory_size;
    uint64_t align;
};

enum {
    ELF_CLASS_64 = 2,
    ELF_DATA_LITTLE_ENDIAN = 1,
    ELF_VERSION_CURRENT = 1,
    ELF_TYPE_EXECUTABLE = 2,
    ELF_PROGRAM_LOAD = 1,
    ELF_PROGRAM_DYNAMIC = 2,
    ELF_PROGRAM_INTERPRETER = 3,
};

static const unsigned char elf_magic[4] = {0x7f, 'E', 'L', 'F'};

bool elf_has_magic(const void *data, size_t size)
{
    return size >= sizeof(elf_magic) && memcmp(data, elf_magic, sizeof(elf_magic)) == 0;
}

static enum error refuse(const char **reason, const char *why)
{
    *reason = why;
    return ERROR_MALFORMED;
}

static enum error check_header(const struct elf64_header *header, size_t size, uint16_t machine, const char **reason)
{
    if (header->ident[4] != ELF_CLASS_64) {
        return refuse(reason, "not a 64-bit ELF file");
    }
    if (header->ident[5] != ELF_DATA_LITTLE_ENDIAN) {
        return refuse(reason, "not a little-endian ELF file");
    }
    if (header->ident[6] != ELF_VERSION_CURRENT || header->version != ELF_VERSION_CURRENT) {
        return refuse(reason, "unknown ELF version");
    }
    if (header->type != ELF_TYPE_EXECUTABLE) {
        return refuse(reason, "not an executable (ET_EXEC) ELF file");
    }
    if (header->machine != machine) {
        return refuse(reason, "ELF file is for another machine");
    }
    if (header->program_header_size != sizeof(struct elf64_program_header)) {
        return refuse(reason, "unexpected ELF program header size");
    }
    if (header->program_header_count == 0) {
        return refuse(reason, "ELF file has no program headers");
    }
    uint64_t table_size = (uint64_t)header->program_header_count * sizeof(struct elf64_program_header);
    if (header->program_header_offset > size || table_size > size - header->program_header_offset) {
        return refuse(reason, "ELF program headers extend past the end of the file");
    }
    return ERROR_NONE;
}

static enum error check_segment(const struct elf64_program_header *program, size_t size, uint64_t address_limit,
                                const char **reason)
{
    if (program->file_size > program->memory_size) {
        return refuse(reason, "ELF segment has more file bytes than memory bytes");
    }
    if (program->offset > size || program->file_size > size - program->offset) {
        return refuse(reason, "ELF segment extends past the end of the file");
    }
    if (program->memory_size == 0) {
        return refuse(reason, "ELF segment is empty");
    }
    if (program->vaddr >= address_limit || program->memory_size > address_limit - program->vaddr) {
        return refuse(reason, "ELF segment lies outside the allowed address range");
    }
    return ERROR_NONE;
}

static bool segments_overlap(const struct elf_segment *a, const struct elf_segment *b)
{
    return a->vaddr < b->vaddr + b->memory_size && b->vaddr < a->vaddr + a->memory_size;
}

enum error elf_image_parse(const void *data, size_t size, uint16_t machine, uint64_t address_limit,
                           struct elf_image *image, const char **reason)
{
    struct elf64_header header;
    if (!elf_has_magic(data, size)) {
        return refuse(reason, "not an ELF file");
    }
    if (size < sizeof(header)) {
        return refuse(reason, "ELF file is truncated (shorter than its header)");
    }
    memcpy(&header, data, sizeof(header));
    enum error error = check_header(&header, size, machine, reason);
    if (error != ERROR_NONE) {
        return error;
    }

    image->segment_count = 0;
    image->entry = header.entry;
    bool entry_is_executable = false;
    for (uint16_t i = 0; i < header.program_header_count; i++) {
        struct elf64_program_header program;
        memcpy(&program, (const unsigned char *)data + header.program_header_offset + i * sizeof(program),
               sizeof(program));
        if (program.type == ELF_PROGRAM_DYNAMIC || program.type == ELF_PROGRAM_INTERPRETER) {
            return refuse(reason, "dynamically linked ELF files are not supported");
        }
        if (program.type != ELF_PROGRAM_LOAD) {
            continue;
        }
        error = check_segment(&program, size, address_limit, reason);
        if (error != ERROR_NONE) {
            return error;
        }
        if (image->segment_count == ELF_MAX_SEGMENTS) {
            return refuse(reason, "ELF file has too many loadable segments");
        }
        struct elf_segment segment = {
            .vaddr = program.vaddr,
            .memory_size = program.memory_size,
            .file_offset = program.offset,
            .file_size = program.file_size,
            .flags = program.flags & (ELF_SEGMENT_READ | ELF_SEGMENT_WRITE | ELF_SEGMENT_EXECUTE),
        };
        for (size_t j = 0; j < image->segment_count; j++) {
            if (segments_overlap(&segment, &image->segments[j])) {
                return refuse(reason, "ELF segments overlap");
            }
        }
        if ((segment.flags & ELF_SEGMENT_EXECUTE) && header.entry >= segment.vaddr &&
            header.entry - segment.vaddr < segment.memory_size) {
            entry_is_executable = true;
        }
        image->segments[image->segment_count++] = segment;
    }
    if (image->segment_count == 0) {
        return refuse(reason, "ELF file has no loadable segments");
    }
    if (!entry_is_executable) {
        return refuse(reason, "ELF entry point is not in an executable segment");
    }
    return ERROR_NONE;
}
