#include <kapsel/print.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct output {
    char *buf;
    size_t size;
    size_t length; /* bytes the untruncated output needs */
};

static void output_char(struct output *out, char c)
{
    if (out->length + 1 < out->size) {
        out->buf[out->length] = c;
    }
    out->length++;
}

static void output_padding(struct output *out, char pad, size_t count)
{
    while (count--) {
        output_char(out, pad);
    }
}

struct field {
    size_t width;
    bool left_align;
    bool zero_pad;
    bool alternate_form; /* '#': 0x prefix on non-zero hexadecimal numbers */
};

static void output_field(struct output *out, const struct field *field, const char *text, size_t length)
{
    size_t padding = field->width > length ? field->width - length : 0;
    if (!field->left_align) {
        output_padding(out, field->zero_pad ? '0' : ' ', padding);
    }
    for (size_t i = 0; i < length; i++) {
        output_char(out, text[i]);
    }
    if (field->left_align) {
        output_padding(out, ' ', padding);
    }
}

static void output_number(struct output *out, const struct field *field, uint64_t value, unsigned base, bool negative,
                          bool uppercase)
{
    const char *digits = uppercase ? "0123456789ABCDEF" : "0123456789abcdef";
    const char *prefix =
        negative ? "-" : (field->alternate_form && base == 16 && value != 0 ? (uppercase ? "0X" : "0x") : "");
    char text[24];
    size_t length = 0;
    do {
        text[sizeof(text) - 1 - length++] = digits[value % base];
        value /= base;
    } while (value);
    size_t prefix_length = strlen(prefix);
    if (field->zero_pad && !field->left_align) {
        /* The sign or 0x goes before zero padding: "-0042", "0x00ff". */
        for (size_t i = 0; i < prefix_length; i++) {
            output_char(out, prefix[i]);
        }
        struct field rest = *field;
        rest.width = rest.width > prefix_length ? rest.width - prefix_length : 0;
        output_field(out, &rest, text + sizeof(text) - length, length);
        return;
    }
    for (size_t i = prefix_length; i > 0; i--) {
        text[sizeof(text) - 1 - length++] = prefix[i - 1];
    }
    output_field(out, field, text + sizeof(text) - length, length);
}

enum length_modifier { LENGTH_INT, LENGTH_LONG, LENGTH_LONG_LONG, LENGTH_SIZE };

static uint64_t take_unsigned(va_list *args, enum length_modifier length)
{
    switch (length) {
    case LENGTH_LONG:
        return va_arg(*args, unsigned long);
    case LENGTH_LONG_LONG:
        return va_arg(*args, unsigned long long);
    case LENGTH_SIZE:
        return va_arg(*args, size_t);
    default:
        return va_arg(*args, unsigned int);
    }
}

static int64_t take_signed(va_list *args, enum length_modifier length)
{
    switch (length) {
    case LENGTH_LONG:
        return va_arg(*args, long);
    case LENGTH_LONG_LONG:
        return va_arg(*args, long long);
    case LENGTH_SIZE:
        return (int64_t)va_arg(*args, size_t);
    default:
        return va_arg(*args, int);
    }
}

size_t format_string(char *buf, size_t size, const char *format, va_list args_in)
{
    struct output out = {.buf = buf, .size = size, .length = 0};
    va_list args;
    va_copy(args, args_in);

    for (const char *p = format; *p; p++) {
        if (*p != '%') {
            output_char(&out, *p);
            continue;
        }
        p++;
        struct field field = {0};
        for (;; p++) {
            if (*p == '-') {
                field.left_align = true;
            } else if (*p == '0') {
                field.zero_pad = true;
            } else if (*p == '#') {
                field.alternate_form = true;
            } else {
                break;
            }
        }
        while (*p >= '0' && *p <= '9') {
            field.width = field.width * 10 + (size_t)(*p++ - '0');
        }
        enum length_modifier length = LENGTH_INT;
        if (*p == 'l') {
            length = LENGTH_LONG;
            if (*++p == 'l') {
                length = LENGTH_LONG_LONG;
                p++;
            }
        } else if (*p == 'z') {
            length = LENGTH_SIZE;
            p++;
        }

        switch (*p) {
        case 'c': {
            char c = (char)va_arg(args, int);
            output_field(&out, &field, &c, 1);
            break;
        }
        case 's': {
            const char *text = va_arg(args, const char *);
            if (!text) {
                text = "(null)";
            }
            size_t text_length = 0;
            while (text[text_length]) {
                text_length++;
            }
            output_field(&out, &field, text, text_length);
            break;
        }
        case 'd':
        case 'i': {
            int64_t value = take_signed(&args, length);
            uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
            output_number(&out, &field, magnitude, 10, value < 0, false);
            break;
        }
        case 'u':
            output_number(&out, &field, take_unsigned(&args, length), 10, false, false);
            break;
        case 'x':
        case 'X':
            output_number(&out, &field, take_unsigned(&args, length), 16, false, *p == 'X');
            break;
        case 'p': {
            uintptr_t pointer = (uintptr_t)va_arg(args, void *);
            struct field pointer_field = {.width = 16, .zero_pad = true};
            output_char(&out, '0');
            output_char(&out, 'x');
            output_number(&out, &pointer_field, pointer, 16, false, false);
            break;
        }
        case '%':
            output_char(&out, '%');
            break;
        case '\0':
            /* A lone '%' at the end: print it rather than read past the string. */
            output_char(&out, '%');
            p--;
            break;
        default:
            /* Unknown conversion: print it verbatim so the mistake is visible. */
            output_char(&out, '%');
            output_char(&out, *p);
            break;
        }
    }
    if (size > 0) {
        out.buf[out.length < size ? out.length : size - 1] = '\0';
    }
    va_end(args);
    return out.length;
}

size_t format_string_to(char *buf, size_t size, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    size_t length = format_string(buf, size, format, args);
    va_end(args);
    return length;
}
