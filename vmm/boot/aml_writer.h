/*
 * A small writer of ACPI Machine Language (ACPI 6.5, chapter 20 "ACPI Machine
 * Language Specification", and 6.4 "Resource Data Types"): just what a DSDT
 * that names platform devices needs.
 *
 * Bytes go to a caller's buffer of fixed capacity; a writer without a buffer
 * only counts them, so the same code measures a table before writing it.
 * Running out of room (or a package too long to encode) sets failed and stops
 * further writes; the caller checks failed once at the end.
 */
#ifndef VMM_BOOT_AML_WRITER_H
#define VMM_BOOT_AML_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml_writer {
    uint8_t *bytes; /* NULL: measure only */
    size_t capacity;
    size_t length;
    bool failed;
};

/* Extended Interrupt descriptor flags (6.4.3.6). */
#define AML_INTERRUPT_CONSUMER 0x01u
#define AML_INTERRUPT_EDGE 0x02u       /* clear: level-triggered */
#define AML_INTERRUPT_ACTIVE_LOW 0x04u /* clear: active-high */
#define AML_INTERRUPT_SHARED 0x08u     /* clear: exclusive */

/* A writer into bytes[0, capacity); bytes NULL for one that only measures. */
void aml_writer_init(struct aml_writer *writer, uint8_t *bytes, size_t capacity);

/* A NameSeg: exactly four characters, e.g. "_HID" or "VR00". */
void aml_name_seg(struct aml_writer *writer, const char name[4]);

/* The smallest encoding of value: ZeroOp, OneOp, or a Byte/Word/DWord/QWord prefix. */
void aml_integer(struct aml_writer *writer, uint64_t value);

/* A String object: StringPrefix, the ASCII characters, NUL. */
void aml_string(struct aml_writer *writer, const char *string);

/* Name(name, ...): NameOp and the NameSeg; the object (integer, string, buffer) must follow. */
void aml_name(struct aml_writer *writer, const char name[4]);

/* Buffer() { bytes }: BufferOp, PkgLength, BufferSize, the bytes (e.g. a resource template's). */
void aml_buffer(struct aml_writer *writer, const uint8_t *bytes, size_t count);

/* Scope(\name) {: ScopeOp and a root-relative name; returns the package for aml_package_end. */
size_t aml_scope_begin(struct aml_writer *writer, const char name[4]);

/* Device(name) {: ExtOpPrefix DeviceOp; returns the package for aml_package_end. */
size_t aml_device_begin(struct aml_writer *writer, const char name[4]);

/* Package() { ...: PackageOp and NumElements (then element_count objects); returns the package for aml_package_end. */
size_t aml_package_begin(struct aml_writer *writer, uint8_t element_count);

/* }: inserts the PkgLength of everything written since the matching *_begin. Close inner packages first. */
void aml_package_end(struct aml_writer *writer, size_t package);

/* Resource descriptors, for a resource template built in its own writer. */
void aml_memory32_fixed(struct aml_writer *writer, bool writable, uint32_t base, uint32_t size);
void aml_extended_interrupt(struct aml_writer *writer, uint8_t flags, uint32_t interrupt);
/* IO(Decode16, port, port, 1, length): a fixed range of I/O ports with 16-bit decoding. */
void aml_io_ports(struct aml_writer *writer, uint16_t port, uint8_t length);
/* IRQNoFlags() { irq }: one ISA interrupt (0..15), edge-triggered, active-high, exclusive. */
void aml_isa_irq(struct aml_writer *writer, unsigned irq);
/* The End Tag, with checksum 0 ("treat as valid"), which ends every resource template. */
void aml_end_tag(struct aml_writer *writer);

#endif
