#include "aml_writer.h"

#include "little_endian.h"
#include <string.h>

/* Opcodes and prefixes (ACPI 6.5, 20.3 "AML Byte Stream Byte Values"). */
enum {
    ZERO_OP = 0x00,
    ONE_OP = 0x01,
    NAME_OP = 0x08,
    BYTE_PREFIX = 0x0a,
    WORD_PREFIX = 0x0b,
    DWORD_PREFIX = 0x0c,
    STRING_PREFIX = 0x0d,
    QWORD_PREFIX = 0x0e,
    SCOPE_OP = 0x10,
    BUFFER_OP = 0x11,
    PACKAGE_OP = 0x12,
    EXT_OP_PREFIX = 0x5b,
    DEVICE_OP = 0x82, /* after ExtOpPrefix */
    ROOT_CHAR = '\\',
};

/* Resource descriptor tags (6.4): large items carry a 16-bit length after the tag byte. */
enum {
    MEMORY32_FIXED_TAG = 0x86, /* large item 0x06 */
    MEMORY32_FIXED_LENGTH = 9,
    EXTENDED_INTERRUPT_TAG = 0x89, /* large item 0x09 */
    IRQ_NO_FLAGS_TAG = 0x22,       /* small item 0x04, a 16-bit mask of ISA interrupts */
    IO_TAG = 0x47,                 /* small item 0x08, seven data bytes */
    END_TAG = 0x79,                /* small item 0x0f, one data byte */
};

#define IO_DECODE_16 0x01 /* the device decodes all 16 address bits */
#define ISA_IRQ_COUNT 16

/* PkgLength (20.2.4) takes 1 to 4 bytes. */
#define PKG_LENGTH_MAX_BYTES 4

void aml_writer_init(struct aml_writer *writer, uint8_t *bytes, size_t capacity)
{
    *writer = (struct aml_writer){
        .bytes = bytes,
        .capacity = bytes != NULL ? capacity : SIZE_MAX,
        .length = 0,
        .failed = false,
    };
}

/* True if count more bytes fit; otherwise the writer has failed. */
static bool reserve(struct aml_writer *writer, size_t count)
{
    if (writer->failed || count > writer->capacity - writer->length) {
        writer->failed = true;
        return false;
    }
    return true;
}

static void aml_bytes(struct aml_writer *writer, const void *bytes, size_t count)
{
    if (!reserve(writer, count)) {
        return;
    }
    if (writer->bytes != NULL) {
        memcpy(writer->bytes + writer->length, bytes, count);
    }
    writer->length += count;
}

static void aml_byte(struct aml_writer *writer, uint8_t byte)
{
    aml_bytes(writer, &byte, 1);
}

static void aml_le(struct aml_writer *writer, uint64_t value, size_t size)
{
    uint8_t bytes[8];
    store_le64(bytes, value);
    aml_bytes(writer, bytes, size);
}

void aml_name_seg(struct aml_writer *writer, const char name[4])
{
    aml_bytes(writer, name, 4);
}

void aml_integer(struct aml_writer *writer, uint64_t value)
{
    if (value == 0) {
        aml_byte(writer, ZERO_OP);
    } else if (value == 1) {
        aml_byte(writer, ONE_OP);
    } else if (value <= UINT8_MAX) {
        aml_byte(writer, BYTE_PREFIX);
        aml_le(writer, value, 1);
    } else if (value <= UINT16_MAX) {
        aml_byte(writer, WORD_PREFIX);
        aml_le(writer, value, 2);
    } else if (value <= UINT32_MAX) {
        aml_byte(writer, DWORD_PREFIX);
        aml_le(writer, value, 4);
    } else {
        aml_byte(writer, QWORD_PREFIX);
        aml_le(writer, value, 8);
    }
}

void aml_string(struct aml_writer *writer, const char *string)
{
    aml_byte(writer, STRING_PREFIX);
    aml_bytes(writer, string, strlen(string) + 1);
}

void aml_name(struct aml_writer *writer, const char name[4])
{
    aml_byte(writer, NAME_OP);
    aml_name_seg(writer, name);
}

void aml_buffer(struct aml_writer *writer, const uint8_t *bytes, size_t count)
{
    aml_byte(writer, BUFFER_OP);
    size_t package = writer->length;
    aml_integer(writer, count);
    aml_bytes(writer, bytes, count);
    aml_package_end(writer, package);
}

size_t aml_scope_begin(struct aml_writer *writer, const char name[4])
{
    aml_byte(writer, SCOPE_OP);
    size_t package = writer->length;
    aml_byte(writer, ROOT_CHAR);
    aml_name_seg(writer, name);
    return package;
}

size_t aml_device_begin(struct aml_writer *writer, const char name[4])
{
    aml_byte(writer, EXT_OP_PREFIX);
    aml_byte(writer, DEVICE_OP);
    size_t package = writer->length;
    aml_name_seg(writer, name);
    return package;
}

size_t aml_package_begin(struct aml_writer *writer, uint8_t element_count)
{
    aml_byte(writer, PACKAGE_OP);
    size_t package = writer->length;
    aml_byte(writer, element_count);
    return package;
}

/*
 * The largest PkgLength that encoding bytes hold: one byte has 6 bits; a
 * longer one has a lead byte with 4 bits and 8 more bits per following byte.
 */
static size_t pkg_length_max(size_t encoding)
{
    return encoding == 1 ? 0x3f : ((size_t)1 << (4 + 8 * (encoding - 1))) - 1;
}

/*
 * The package's length is known only now, and counts its own encoding, so
 * the smallest encoding that fits content plus itself is chosen and the
 * content moved up to make room for it.
 */
void aml_package_end(struct aml_writer *writer, size_t package)
{
    if (writer->failed) {
        return;
    }
    size_t content = writer->length - package;
    size_t encoding = 1;
    while (content + encoding > pkg_length_max(encoding)) {
        if (encoding == PKG_LENGTH_MAX_BYTES) {
            writer->failed = true;
            return;
        }
        encoding++;
    }
    if (!reserve(writer, encoding)) {
        return;
    }
    if (writer->bytes != NULL) {
        uint8_t *at = writer->bytes + package;
        size_t total = content + encoding;
        memmove(at + encoding, at, content);
        if (encoding == 1) {
            at[0] = (uint8_t)total;
        } else {
            /* Bits 7-6: how many bytes follow; bits 3-0: the low nibble; then the rest, low byte first. */
            at[0] = (uint8_t)((encoding - 1) << 6 | (total & 0x0f));
            for (size_t i = 1; i < encoding; i++) {
                at[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
            }
        }
    }
    writer->length += encoding;
}

void aml_memory32_fixed(struct aml_writer *writer, bool writable, uint32_t base, uint32_t size)
{
    aml_byte(writer, MEMORY32_FIXED_TAG);
    aml_le(writer, MEMORY32_FIXED_LENGTH, 2);
    aml_byte(writer, writable ? 1 : 0); /* information: bit 0 is read/write */
    aml_le(writer, base, 4);
    aml_le(writer, size, 4);
}

void aml_extended_interrupt(struct aml_writer *writer, uint8_t flags, uint32_t interrupt)
{
    aml_byte(writer, EXTENDED_INTERRUPT_TAG);
    aml_le(writer, 2 + 4, 2); /* flags, table length, one 32-bit interrupt number */
    aml_byte(writer, flags);
    aml_byte(writer, 1);
    aml_le(writer, interrupt, 4);
}

void aml_io_ports(struct aml_writer *writer, uint16_t port, uint8_t length)
{
    aml_byte(writer, IO_TAG);
    aml_byte(writer, IO_DECODE_16);
    aml_le(writer, port, 2); /* the lowest base */
    aml_le(writer, port, 2); /* the highest base: the same, the range is fixed */
    aml_byte(writer, 1);     /* base alignment */
    aml_byte(writer, length);
}

void aml_isa_irq(struct aml_writer *writer, unsigned irq)
{
    if (irq >= ISA_IRQ_COUNT) {
        writer->failed = true;
        return;
    }
    aml_byte(writer, IRQ_NO_FLAGS_TAG);
    aml_le(writer, 1u << irq, 2);
}

void aml_end_tag(struct aml_writer *writer)
{
    aml_byte(writer, END_TAG);
    aml_byte(writer, 0);
}
