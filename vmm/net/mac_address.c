#include "mac_address.h"

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

bool mac_address_parse(const char *text, uint8_t mac[MAC_ADDRESS_BYTES])
{
    uint8_t parsed[MAC_ADDRESS_BYTES];
    for (int i = 0; i < MAC_ADDRESS_BYTES; i++) {
        int high = hex_digit(text[0]);
        int low = high < 0 ? -1 : hex_digit(text[1]);
        char separator = text[low < 0 ? 0 : 2];
        if (low < 0 || separator != (i < MAC_ADDRESS_BYTES - 1 ? ':' : '\0')) {
            return false;
        }
        parsed[i] = (uint8_t)(high << 4 | low);
        text += 3;
    }
    for (int i = 0; i < MAC_ADDRESS_BYTES; i++) {
        mac[i] = parsed[i];
    }
    return true;
}
