/* Hexadecimal text. */
#include "hex.h"

#include <string.h>

void hex_print(FILE *out, const uint8_t *data, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        fprintf(out, "%02x", data[i]);
    }
}

/* The value of a hex digit; -1 for another character. */
static int digit_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool hex_decode(const char *text, uint8_t *data, size_t max, size_t *length)
{
    size_t digits = text ? strlen(text) : 0;
    if (text == NULL || digits % 2 != 0 || digits / 2 > max) {
        return false;
    }
    for (size_t i = 0; i < digits / 2; i++) {
        int high = digit_value(text[2 * i]);
        int low = digit_value(text[2 * i + 1]);
        if (high < 0 || low < 0) {
            return false;
        }
        data[i] = (uint8_t)(high << 4 | low);
    }
    *length = digits / 2;
    return true;
}
