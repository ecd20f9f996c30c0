/* API tokens on the wire: the header value "Bearer <token>" (RFC 6750) that every call sends as "authorization". */
#ifndef KAPSEL_BEARER_TOKEN_H
#define KAPSEL_BEARER_TOKEN_H

#include "kapsel/client.h"

/* "Bearer <token>" in a new string for free(), or NULL when memory runs out; token must be kapsel_token_valid. */
char *bearer_authorization(const char *token);

#endif
