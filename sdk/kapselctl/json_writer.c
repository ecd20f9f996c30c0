/* JSON output with escaping and UTF-8 validation. */
#include "json_writer.h"

#include "hex.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

void json_init(struct json_writer *writer, FILE *out, bool pretty)
{
    *writer = (struct json_writer){.out = out, .pretty = pretty};
}

static void newline_and_indent(struct json_writer *writer, int depth)
{
    if (writer->pretty) {
        fputc('\n', writer->out);
        for (int i = 0; i < depth; i++) {
            fputs("  ", writer->out);
        }
    }
}

/* What comes before a value or a key: nothing after a key, else the comma and the indentation. */
static void before_item(struct json_writer *writer)
{
    if (writer->after_key) {
        writer->after_key = false;
        return;
    }
    if (writer->depth > 0) {
        if (writer->has_members[writer->depth]) {
            fputc(',', writer->out);
        }
        newline_and_indent(writer, writer->depth);
    }
    writer->has_members[writer->depth] = true;
}

static void after_value(struct json_writer *writer)
{
    if (writer->depth == 0) {
        fputc('\n', writer->out);
    }
}

static void begin(struct json_writer *writer, char opening)
{
    before_item(writer);
    fputc(opening, writer->out);
    assert(writer->depth < JSON_MAX_DEPTH);
    writer->depth++;
    writer->has_members[writer->depth] = false;
}

static void end(struct json_writer *writer, char closing)
{
    assert(writer->depth > 0);
    bool had_members = writer->has_members[writer->depth];
    writer->depth--;
    if (had_members) {
        newline_and_indent(writer, writer->depth);
    }
    fputc(closing, writer->out);
    after_value(writer);
}

void json_begin_object(struct json_writer *writer)
{
    begin(writer, '{');
}

void json_end_object(struct json_writer *writer)
{
    end(writer, '}');
}

void json_begin_array(struct json_writer *writer)
{
    begin(writer, '[');
}

void json_end_array(struct json_writer *writer)
{
    end(writer, ']');
}

/* The length of the valid UTF-8 sequence at data (1 to 4), or 0 if it is not one. */
static size_t utf8_sequence_length(const uint8_t *data, size_t left)
{
    uint8_t lead = data[0];
    size_t length;
    uint32_t minimum;
    uint32_t code_point;
    if (lead < 0x80) {
        return 1;
    } else if ((lead & 0xe0) == 0xc0) {
        length = 2;
        minimum = 0x80;
        code_point = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
        length = 3;
        minimum = 0x800;
        code_point = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
        length = 4;
        minimum = 0x10000;
        code_point = lead & 0x07;
    } else {
        return 0;
    }
    if (left < length) {
        return 0;
    }
    for (size_t i = 1; i < length; i++) {
        if ((data[i] & 0xc0) != 0x80) {
            return 0;
        }
        code_point = (code_point << 6) | (data[i] & 0x3f);
    }
    bool surrogate = code_point >= 0xd800 && code_point <= 0xdfff;
    return code_point < minimum || code_point > 0x10ffff || surrogate ? 0 : length;
}

static void write_escaped(FILE *out, const uint8_t *data, size_t length)
{
    fputc('"', out);
    size_t i = 0;
    while (i < length) {
        uint8_t byte = data[i];
        size_t sequence = utf8_sequence_length(data + i, length - i);
        if (sequence == 0) {
            fputs("\\ufffd", out);
            i++;
        } else if (sequence > 1) {
            fwrite(data + i, 1, sequence, out);
            i += sequence;
        } else {
            switch (byte) {
            case '"':
                fputs("\\\"", out);
                break;
            case '\\':
                fputs("\\\\", out);
                break;
            case '\n':
                fputs("\\n", out);
                break;
            case '\r':
                fputs("\\r", out);
                break;
            case '\t':
                fputs("\\t", out);
                break;
            default:
                if (byte < 0x20) {
                    fprintf(out, "\\u%04x", byte);
                } else {
                    fputc(byte, out);
                }
            }
            i++;
        }
    }
    fputc('"', out);
}

void json_key(struct json_writer *writer, const char *key)
{
    before_item(writer);
    write_escaped(writer->out, (const uint8_t *)key, strlen(key));
    fputs(writer->pretty ? ": " : ":", writer->out);
    writer->after_key = true;
}

void json_bytes_string(struct json_writer *writer, const uint8_t *data, size_t length)
{
    before_item(writer);
    write_escaped(writer->out, data, length);
    after_value(writer);
}

void json_hex_string(struct json_writer *writer, const uint8_t *data, size_t length)
{
    before_item(writer);
    fputc('"', writer->out);
    hex_print(writer->out, data, length);
    fputc('"', writer->out);
    after_value(writer);
}

void json_string(struct json_writer *writer, const char *value)
{
    json_bytes_string(writer, (const uint8_t *)(value ? value : ""), value ? strlen(value) : 0);
}

void json_uint(struct json_writer *writer, uint64_t value)
{
    before_item(writer);
    fprintf(writer->out, "%" PRIu64, value);
    after_value(writer);
}

void json_bool(struct json_writer *writer, bool value)
{
    before_item(writer);
    fputs(value ? "true" : "false", writer->out);
    after_value(writer);
}
