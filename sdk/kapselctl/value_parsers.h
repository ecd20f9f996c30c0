/* The values of kapselctl's options and operands: numbers, sizes, durations, labels, disks, resource names. Each
 * returns false for a value it does not take (the caller names the option). */
#ifndef KAPSELCTL_VALUE_PARSERS_H
#define KAPSELCTL_VALUE_PARSERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest name: "images/" and 64 hex digits, or "vms/" and an id; with room for ids the host would refuse. */
#define RESOURCE_NAME_BYTES 128

/* A decimal integer in [min, max], nothing else around it. */
bool parse_uint32(const char *text, uint32_t min, uint32_t max, uint32_t *value);

/* Guest memory in MiB: "512", "512M", "512Mi", "512MiB", "2G", "2Gi", "2GiB" (binary units); at least 1 MiB. */
bool parse_memory_mib(const char *text, uint32_t *mib);

/* Seconds with up to three decimals ("30", "0.5") as milliseconds, 0 to 86400 s. */
bool parse_seconds_ms(const char *text, uint32_t *milliseconds);

/* "key=value" with a key of at least one byte; *key and *value point into text, key_length is the key's length. */
bool parse_label(const char *text, size_t *key_length, const char **value);

/* "IMAGE", "IMAGE:ro" or "IMAGE:rw": *reference_length is IMAGE's length. */
bool parse_disk(const char *text, size_t *reference_length, bool *read_only);

/* A VM operand, "web-1" or "vms/web-1", as the name "vms/web-1". */
bool vm_name_from_operand(const char *text, char name[RESOURCE_NAME_BYTES]);

/* An image operand, "images/<sha256>" or the bare 64 lowercase hex digits, as "images/<sha256>". */
bool image_name_from_operand(const char *text, char name[RESOURCE_NAME_BYTES]);

#endif
