/* Bytes as hexadecimal text, both ways: nonces, keys and signatures on the command line and in the output. */
#ifndef KAPSELCTL_HEX_H
#define KAPSELCTL_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Prints length bytes as 2 * length lowercase hex digits. */
void hex_print(FILE *out, const uint8_t *data, size_t length);

/* Hex digits (either case, an even number of them, nothing else) as bytes: false for other text or more than max
 * bytes. */
bool hex_decode(const char *text, uint8_t *data, size_t max, size_t *length);

#endif
