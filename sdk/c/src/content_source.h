/* What an upload sends: a caller's buffer or a file, read in chunks, with its SHA-256. */
#ifndef KAPSEL_CONTENT_SOURCE_H
#define KAPSEL_CONTENT_SOURCE_H

#include "kapsel/client.h"

#include <stdint.h>

struct content_source {
    const uint8_t *buffer; /* a buffer source; NULL for a file */
    int fd;                /* a file source; -1 for a buffer */
    const char *path;
    uint64_t size;
    uint64_t position;
    size_t chunk_bytes;
    uint8_t *chunk; /* a file source's read buffer, chunk_bytes long */
};

/* chunk_bytes: 1 to KAPSEL_UPLOAD_CHUNK_MAX. */
int content_source_from_buffer(struct content_source *source, const void *data, size_t size, size_t chunk_bytes,
                               struct kapsel_status *status);

/* A regular file; NOT_FOUND, PERMISSION_DENIED or INVALID_ARGUMENT (naming the path) when it cannot be read. */
int content_source_from_file(struct content_source *source, const char *path, size_t chunk_bytes,
                             struct kapsel_status *status);

/* Reads everything from the start for its SHA-256 (lowercase hex), then rewinds. */
int content_source_sha256(struct content_source *source, char hex[KAPSEL_SHA256_HEX_BYTES],
                          struct kapsel_status *status);

/* The next chunk (*length 0 at the end), valid until the next call. ABORTED when a file changed size. */
int content_source_next(struct content_source *source, const uint8_t **data, size_t *length,
                        struct kapsel_status *status);

void content_source_close(struct content_source *source);

#endif
