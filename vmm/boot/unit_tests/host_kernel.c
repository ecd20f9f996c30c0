#include "host_kernel.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *host_kernel_read(size_t *size, char *path, size_t path_size)
{
    glob_t found;
    if (glob(HOST_KERNEL_PATTERN, 0, NULL, &found) != 0) {
        return NULL;
    }
    /* Any one will do; glob sorts its matches, so the choice is stable. */
    snprintf(path, path_size, "%s", found.gl_pathv[found.gl_pathc - 1]);
    globfree(&found);

    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        return NULL;
    }
    uint8_t *bytes = NULL;
    long length = -1;
    if (fseek(file, 0, SEEK_END) == 0 && (length = ftell(file)) > 0 && fseek(file, 0, SEEK_SET) == 0) {
        bytes = malloc((size_t)length);
        if (bytes != NULL && fread(bytes, 1, (size_t)length, file) != (size_t)length) {
            free(bytes);
            bytes = NULL;
        }
    }
    fclose(file);
    *size = (size_t)length;
    return bytes;
}
