#include "aml_reader.h"

#include <string.h>

struct cursor {
    const uint8_t *at;
    const uint8_t *end;
};

static const char *failure;

static bool fail(const char *why)
{
    if (failure == NULL) {
        failure = why;
    }
    return false;
}

static bool take(struct cursor *cursor, size_t count, const uint8_t **bytes)
{
    if ((size_t)(cursor->end - cursor->at) < count) {
        return fail("AML ends inside an object");
    }
    *bytes = cursor->at;
    cursor->at += count;
    return true;
}

static bool expect(struct cursor *cursor, const void *expected, size_t count, const char *why)
{
    const uint8_t *bytes;
    return take(cursor, count, &bytes) && (memcmp(bytes, expected, count) == 0 || fail(why));
}

static uint64_t little_endian(const uint8_t *bytes, size_t count)
{
    uint64_t value = 0;
    for (size_t i = count; i-- > 0;) {
        value = value << 8 | bytes[i];
    }
    return value;
}

/* Reads a PkgLength; package gets the rest of the package, and cursor moves past it. */
static bool package(struct cursor *cursor, struct cursor *contents)
{
    const uint8_t *start = cursor->at;
    const uint8_t *lead;
    if (!take(cursor, 1, &lead)) {
        return false;
    }
    size_t following = *lead >> 6;
    uint64_t length = *lead & (following ? 0x0f : 0x3f);
    if (following && (*lead & 0x30)) {
        return fail("PkgLength reserved bits set");
    }
    const uint8_t *rest;
    if (!take(cursor, following, &rest)) {
        return false;
    }
    length |= little_endian(rest, following) << 4;
    size_t shortest = length <= 0x3f ? 1 : length < 0x1000 ? 2 : length < 0x100000 ? 3 : 4;
    if (following + 1 != shortest) {
        return fail("PkgLength not in its shortest form");
    }
    if (length < following + 1 || length > (uint64_t)(cursor->end - start)) {
        return fail("PkgLength outside its parent");
    }
    *contents = (struct cursor){cursor->at, start + length};
    cursor->at = start + length;
    return true;
}

static bool name_seg(struct cursor *cursor, char name[5])
{
    const uint8_t *bytes;
    if (!take(cursor, 4, &bytes)) {
        return false;
    }
    memcpy(name, bytes, 4);
    name[4] = 0;
    for (int i = 0; i < 4; i++) {
        bool letter = (name[i] >= 'A' && name[i] <= 'Z') || name[i] == '_';
        if (!letter && !(i > 0 && name[i] >= '0' && name[i] <= '9')) {
            return fail("bad NameSeg character");
        }
    }
    return true;
}

static bool integer(struct cursor *cursor, uint64_t *value)
{
    const uint8_t *prefix;
    if (!take(cursor, 1, &prefix)) {
        return false;
    }
    size_t size;
    switch (*prefix) {
    case 0x00: /* ZeroOp */
    case 0x01: /* OneOp */
        *value = *prefix;
        return true;
    case 0x0a:
        size = 1;
        break;
    case 0x0b:
        size = 2;
        break;
    case 0x0c:
        size = 4;
        break;
    case 0x0e:
        size = 8;
        break;
    default:
        return fail("not an integer");
    }
    const uint8_t *bytes;
    if (!take(cursor, size, &bytes)) {
        return false;
    }
    *value = little_endian(bytes, size);
    return true;
}

static bool string(struct cursor *cursor, char *out, size_t out_size)
{
    if (!expect(cursor, "\x0d", 1, "not a string")) {
        return false;
    }
    for (size_t i = 0; i < out_size; i++) {
        const uint8_t *byte;
        if (!take(cursor, 1, &byte)) {
            return false;
        }
        out[i] = (char)*byte;
        if (*byte == 0) {
            return true;
        }
    }
    return fail("string too long");
}

static bool memory32_fixed(struct cursor *buffer, struct aml_device *device)
{
    const uint8_t *bytes;
    if (device->has_memory) {
        return fail("repeated Memory32Fixed");
    }
    if (!expect(buffer, "\x86\x09\x00", 3, "not Memory32Fixed") || !take(buffer, 9, &bytes)) {
        return false;
    }
    device->has_memory = true;
    device->memory_writable = bytes[0] == 1;
    device->memory_base = (uint32_t)little_endian(bytes + 1, 4);
    device->memory_size = (uint32_t)little_endian(bytes + 5, 4);
    return true;
}

static bool extended_interrupt(struct cursor *buffer, struct aml_device *device)
{
    const uint8_t *bytes;
    if (device->has_interrupt) {
        return fail("repeated Extended Interrupt");
    }
    if (!expect(buffer, "\x89\x06\x00", 3, "not a one-interrupt Extended Interrupt") || !take(buffer, 6, &bytes)) {
        return false;
    }
    device->has_interrupt = true;
    device->interrupt_flags = bytes[0];
    if (bytes[1] != 1) {
        return fail("interrupt table length not 1");
    }
    device->interrupt = (uint32_t)little_endian(bytes + 2, 4);
    return true;
}

static bool io(struct cursor *buffer, struct aml_device *device)
{
    const uint8_t *bytes;
    if (device->io_count == AML_DEVICE_MAX_IO_RANGES) {
        return fail("more IO descriptors than expected");
    }
    if (!expect(buffer, "\x47\x01", 2, "not IO with 16-bit decoding") || !take(buffer, 6, &bytes)) {
        return false;
    }
    uint16_t minimum = (uint16_t)little_endian(bytes, 2), maximum = (uint16_t)little_endian(bytes + 2, 2);
    if (minimum != maximum) {
        return fail("IO range with a movable base");
    }
    device->io[device->io_count++] = (struct aml_io_range){minimum, bytes[4], bytes[5]};
    return true;
}

static bool irq_no_flags(struct cursor *buffer, struct aml_device *device)
{
    const uint8_t *bytes;
    if (device->isa_irq_mask != 0) {
        return fail("repeated IRQNoFlags");
    }
    if (!expect(buffer, "\x22", 1, "not IRQNoFlags") || !take(buffer, 2, &bytes)) {
        return false;
    }
    device->isa_irq_mask = (uint16_t)little_endian(bytes, 2);
    return device->isa_irq_mask != 0 || fail("IRQNoFlags without an interrupt");
}

static bool resources(struct cursor *buffer, struct aml_device *device)
{
    while (buffer->at < buffer->end && *buffer->at != 0x79) {
        bool read;
        switch (*buffer->at) {
        case 0x86:
            read = memory32_fixed(buffer, device);
            break;
        case 0x89:
            read = extended_interrupt(buffer, device);
            break;
        case 0x47:
            read = io(buffer, device);
            break;
        case 0x22:
            read = irq_no_flags(buffer, device);
            break;
        default:
            read = fail("unexpected resource descriptor");
            break;
        }
        if (!read) {
            return false;
        }
    }
    if (!expect(buffer, "\x79\x00", 2, "no End Tag with checksum 0")) {
        return false;
    }
    return buffer->at == buffer->end || fail("bytes after the End Tag");
}

static bool crs_buffer(struct cursor *cursor, struct aml_device *device)
{
    struct cursor contents;
    uint64_t size;
    if (!expect(cursor, "\x11", 1, "_CRS is not a Buffer") || !package(cursor, &contents) ||
        !integer(&contents, &size)) {
        return false;
    }
    if (size != (uint64_t)(contents.end - contents.at)) {
        return fail("BufferSize differs from the bytes in the buffer");
    }
    return resources(&contents, device);
}

static bool device(struct cursor *cursor, struct aml_device *out)
{
    *out = (struct aml_device){0};
    struct cursor contents;
    if (!expect(cursor, "\x5b\x82", 2, "not a Device") || !package(cursor, &contents) ||
        !name_seg(&contents, out->name)) {
        return false;
    }
    bool hid = false, uid = false, crs = false;
    while (contents.at < contents.end) {
        char name[5];
        if (!expect(&contents, "\x08", 1, "not a Name in a Device") || !name_seg(&contents, name)) {
            return false;
        }
        if (strcmp(name, "_HID") == 0 && !hid) {
            hid = string(&contents, out->hid, sizeof out->hid);
        } else if (strcmp(name, "_UID") == 0 && !uid) {
            uid = out->has_uid = integer(&contents, &out->uid);
        } else if (strcmp(name, "_CRS") == 0 && !crs) {
            crs = crs_buffer(&contents, out);
        } else {
            return fail("unexpected or repeated Name");
        }
        if (failure != NULL) {
            return false;
        }
    }
    return (hid && crs) || fail("Device lacks _HID or _CRS");
}

/* Name(_S5_, Package(2) { integer, integer }), the whole package consumed. */
static bool sleep_types(struct cursor *cursor, uint64_t s5[2])
{
    struct cursor contents;
    if (!expect(cursor, "\x08_S5_\x12", 6, "not Name(_S5_, Package") || !package(cursor, &contents) ||
        !expect(&contents, "\x02", 1, "_S5_ has not two elements") || !integer(&contents, &s5[0]) ||
        !integer(&contents, &s5[1])) {
        return false;
    }
    return contents.at == contents.end || fail("bytes after _S5_'s elements");
}

int aml_read_devices(const uint8_t *aml, size_t length, uint64_t s5[2], struct aml_device *devices, int max_devices,
                     const char **error)
{
    failure = NULL;
    struct cursor cursor = {aml, aml + length};
    struct cursor scope;
    int count = 0;
    if (sleep_types(&cursor, s5) && expect(&cursor, "\x10", 1, "not a Scope") && package(&cursor, &scope) &&
        expect(&scope, "\\_SB_", 5, "Scope is not \\_SB_")) {
        while (scope.at < scope.end && failure == NULL) {
            if (count == max_devices) {
                fail("more devices than expected");
            } else if (device(&scope, &devices[count])) {
                count++;
            }
        }
        if (cursor.at != cursor.end) {
            fail("bytes after the Scope");
        }
    }
    *error = failure;
    return failure == NULL ? count : -1;
}
