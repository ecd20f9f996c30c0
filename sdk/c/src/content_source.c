/* Buffers and files as upload content, hashed with OpenSSL's SHA-256. */
#include "content_source.h"

#include "client_status.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_chunk_bytes(size_t chunk_bytes, struct kapsel_status *status)
{
    if (chunk_bytes == 0 || chunk_bytes > KAPSEL_UPLOAD_CHUNK_MAX) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "the chunk size is %zu bytes, not 1 to %u", chunk_bytes,
                          KAPSEL_UPLOAD_CHUNK_MAX);
    }
    return status_ok(status);
}

int content_source_from_buffer(struct content_source *source, const void *data, size_t size, size_t chunk_bytes,
                               struct kapsel_status *status)
{
    *source = (struct content_source){.buffer = data, .fd = -1, .size = size, .chunk_bytes = chunk_bytes};
    if (data == NULL && size != 0) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "the buffer is NULL");
    }
    return check_chunk_bytes(chunk_bytes, status);
}

static int file_error(const char *path, int error, struct kapsel_status *status)
{
    int code = error == ENOENT                     ? KAPSEL_NOT_FOUND
               : error == EACCES || error == EPERM ? KAPSEL_PERMISSION_DENIED
                                                   : KAPSEL_INVALID_ARGUMENT;
    return status_set(status, code, "%s: %s", path, strerror(error));
}

int content_source_from_file(struct content_source *source, const char *path, size_t chunk_bytes,
                             struct kapsel_status *status)
{
    *source = (struct content_source){.fd = -1, .path = path, .chunk_bytes = chunk_bytes};
    int checked = check_chunk_bytes(chunk_bytes, status);
    if (checked != KAPSEL_OK) {
        return checked;
    }
    if (path == NULL) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "the path is NULL");
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return file_error(path, errno, status);
    }
    struct stat facts;
    if (fstat(fd, &facts) != 0) {
        int error = errno;
        close(fd);
        return file_error(path, error, status);
    }
    if (!S_ISREG(facts.st_mode)) {
        close(fd);
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "%s: not a regular file", path);
    }
    source->chunk = malloc(chunk_bytes);
    if (source->chunk == NULL) {
        close(fd);
        return status_set(status, KAPSEL_RESOURCE_EXHAUSTED, "%s: out of memory for a %zu byte chunk", path,
                          chunk_bytes);
    }
    source->fd = fd;
    source->size = (uint64_t)facts.st_size;
    return status_ok(status);
}

/* Fills the read buffer from the file's current position: exactly want bytes, or ABORTED. */
static int read_exactly(struct content_source *source, size_t want, struct kapsel_status *status)
{
    size_t filled = 0;
    while (filled < want) {
        ssize_t got = read(source->fd, source->chunk + filled, want - filled);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            return file_error(source->path, errno, status);
        }
        if (got == 0) {
            return status_set(status, KAPSEL_ABORTED, "%s: the file became shorter while it was read", source->path);
        }
        filled += (size_t)got;
    }
    return status_ok(status);
}

int content_source_next(struct content_source *source, const uint8_t **data, size_t *length,
                        struct kapsel_status *status)
{
    uint64_t left = source->size - source->position;
    size_t want = left < source->chunk_bytes ? (size_t)left : source->chunk_bytes;
    *length = 0;
    *data = source->buffer ? source->buffer + source->position : source->chunk;
    if (source->buffer == NULL && want > 0) {
        int read_result = read_exactly(source, want, status);
        if (read_result != KAPSEL_OK) {
            return read_result;
        }
    }
    source->position += want;
    *length = want;
    return status_ok(status);
}

static int rewind_source(struct content_source *source, struct kapsel_status *status)
{
    source->position = 0;
    if (source->fd >= 0 && lseek(source->fd, 0, SEEK_SET) != 0) {
        return file_error(source->path, errno, status);
    }
    return status_ok(status);
}

int content_source_sha256(struct content_source *source, char hex[KAPSEL_SHA256_HEX_BYTES],
                          struct kapsel_status *status)
{
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    if (context == NULL || EVP_DigestInit_ex(context, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(context);
        return status_set(status, KAPSEL_INTERNAL, "OpenSSL's SHA-256 is not available");
    }
    int result = rewind_source(source, status);
    for (;;) {
        const uint8_t *data = NULL;
        size_t length = 0;
        if (result != KAPSEL_OK || (result = content_source_next(source, &data, &length, status)) != KAPSEL_OK ||
            length == 0) {
            break;
        }
        EVP_DigestUpdate(context, data, length);
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    EVP_DigestFinal_ex(context, digest, &digest_length);
    EVP_MD_CTX_free(context);
    if (result != KAPSEL_OK) {
        return result;
    }
    for (unsigned int i = 0; i < digest_length && i < (KAPSEL_SHA256_HEX_BYTES - 1) / 2; i++) {
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    return rewind_source(source, status);
}

void content_source_close(struct content_source *source)
{
    if (source->fd >= 0) {
        close(source->fd);
    }
    free(source->chunk);
    *source = (struct content_source){.fd = -1};
}

int kapsel_sha256_file(const char *path, char hex[KAPSEL_SHA256_HEX_BYTES], uint64_t *size,
                       struct kapsel_status *status)
{
    if (hex == NULL) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "kapsel_sha256_file: hex is NULL");
    }
    struct content_source source;
    int result = content_source_from_file(&source, path, KAPSEL_UPLOAD_CHUNK_MAX, status);
    if (result == KAPSEL_OK) {
        result = content_source_sha256(&source, hex, status);
    }
    if (result == KAPSEL_OK && size) {
        *size = source.size;
    }
    content_source_close(&source);
    return result;
}

int kapsel_sha256_buffer(const void *data, size_t size, char hex[KAPSEL_SHA256_HEX_BYTES], struct kapsel_status *status)
{
    if (hex == NULL) {
        return status_set(status, KAPSEL_INVALID_ARGUMENT, "kapsel_sha256_buffer: hex is NULL");
    }
    struct content_source source;
    int result = content_source_from_buffer(&source, data, size, KAPSEL_UPLOAD_CHUNK_MAX, status);
    if (result == KAPSEL_OK) {
        result = content_source_sha256(&source, hex, status);
    }
    content_source_close(&source);
    return result;
}
