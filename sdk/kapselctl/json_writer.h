/* A streaming JSON emitter: commas, nesting, indentation and string escaping (invalid UTF-8 becomes U+FFFD), so
 * that what kapselctl prints with --output json is always valid JSON. */
#ifndef KAPSELCTL_JSON_WRITER_H
#define KAPSELCTL_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
    FILE *out;
    bool pretty; /* indented by two spaces; else one line (JSON Lines for streams) */
    int depth;
    bool has_members[JSON_MAX_DEPTH + 1];
    bool after_key;
};

void json_init(struct json_writer *writer, FILE *out, bool pretty);

/* Containers; a top-level value ends with a newline. Nesting deeper than JSON_MAX_DEPTH is a programming error. */
void json_begin_object(struct json_writer *writer);
void json_end_object(struct json_writer *writer);
void json_begin_array(struct json_writer *writer);
void json_end_array(struct json_writer *writer);

/* A member's key inside an object; its value comes next. */
void json_key(struct json_writer *writer, const char *key);

void json_string(struct json_writer *writer, const char *value);
void json_bytes_string(struct json_writer *writer, const uint8_t *data, size_t length);
/* Bytes as a string of lowercase hex digits, two per byte. */
void json_hex_string(struct json_writer *writer, const uint8_t *data, size_t length);
void json_uint(struct json_writer *writer, uint64_t value);
void json_bool(struct json_writer *writer, bool value);

#endif
