/*
 * Who an API call acts for (--api-tokens): a table of bearer tokens, each known only by its SHA-256, so that the
 * token file grants nothing to whoever reads it. The file's lines:
 *
 *     # a comment; blank lines are ignored too
 *     <SHA-256 of the token, 64 lowercase hex digits> <tenant>   a tenant's token: it acts for that tenant only
 *     <SHA-256 of the token, 64 lowercase hex digits> *          an operator's token: every tenant, and the images
 *
 * A call names its token in the header "authorization: Bearer <token>" (RFC 6750); api_tokens_authenticate is the
 * gRPC server's authenticate callback (kapsel/grpc_server.h) and the principal it returns is what the services ask
 * (api_call_tenant in api_call.h). The tokens travel in clear text: the API has no TLS yet.
 */
#ifndef AGENT_API_TOKENS_H
#define AGENT_API_TOKENS_H

#include "api_status.h"
#include "vm_registry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define API_TOKENS_MAX 64
#define API_TOKEN_MAX_BYTES 512 /* a token is 1 to this many bytes of visible ASCII (0x21..0x7e) */
#define API_TOKEN_SHA256_BYTES 32

struct api_principal {
    char tenant[VM_TENANT_MAX_LENGTH + 1]; /* "": an operator */
};

struct api_token {
    uint8_t sha256[API_TOKEN_SHA256_BYTES];
    struct api_principal principal;
};

struct api_tokens {
    struct api_token tokens[API_TOKENS_MAX];
    size_t count;
};

/*
 * Fills tokens from a token file's text (length bytes; a NUL ends it early). INVALID_ARGUMENT "line N: ..." for a
 * line that is not a hash and a tenant or "*", a hash given twice, more than API_TOKENS_MAX tokens, or none at all.
 */
enum api_status api_tokens_parse(struct api_tokens *tokens, const char *text, size_t length, struct api_error *error);

/*
 * grpc_authenticate_callback over the struct api_tokens at context: the principal of the header's Bearer token, or
 * NULL and *refusal when the header is missing, not "Bearer <token>", or names no token of the table. Every entry
 * is compared, in time that does not depend on where a hash first differs.
 */
const void *api_tokens_authenticate(void *context, const char *authorization, const char **refusal);

#endif
