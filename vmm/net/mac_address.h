/* Ethernet MAC addresses as the manifests write them: six two-digit hexadecimal bytes separated by colons. */
#ifndef VMM_NET_MAC_ADDRESS_H
#define VMM_NET_MAC_ADDRESS_H

#include <stdbool.h>
#include <stdint.h>

#define MAC_ADDRESS_BYTES 6

/* "52:54:00:12:34:56" into mac; false (mac unchanged) for anything else. */
bool mac_address_parse(const char *text, uint8_t mac[MAC_ADDRESS_BYTES]);

#endif
