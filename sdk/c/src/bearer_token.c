/* The form of API tokens, and the authorization header value that carries one. */
#include "bearer_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BEARER_PREFIX "Bearer "

bool kapsel_token_valid(const char *token)
{
    if (token == NULL) {
        return false;
    }
    size_t length = 0;
    for (; token[length] != '\0'; length++) {
        unsigned char byte = (unsigned char)token[length];
        /* Visible ASCII only: a space or a control byte would change how the header value is split or read. */
        if (length == KAPSEL_TOKEN_MAX_BYTES || byte < 0x21 || byte > 0x7e) {
            return false;
        }
    }
    return length > 0;
}

char *bearer_authorization(const char *token)
{
    size_t size = strlen(BEARER_PREFIX) + strlen(token) + 1;
    char *value = malloc(size);
    if (value) {
        snprintf(value, size, BEARER_PREFIX "%s", token);
    }
    return value;
}
