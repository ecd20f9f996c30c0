#include "driver_spec.h"

#include <stdio.h>

size_t driver_spec_write(const struct driver_spec *spec, char *text, size_t size)
{
    if (spec->quota_bytes % 1024 || spec->memory_bytes % 1024 || spec->region_bytes % 1024) {
        return 0;
    }
    int length =
        snprintf(text, size,
                 "microapp %s\nimage %s\nquota %lluK\nmemory %lluK\ncapability log\ncapability dma_memory\n"
                 "capability peer:" DRIVER_SPEC_SWITCH "\nshared " DRIVER_SPEC_REGION " %lluK\n"
                 "arguments --switch-port " DRIVER_SPEC_REGION ":" DRIVER_SPEC_SWITCH "\n",
                 spec->name, spec->image, (unsigned long long)(spec->quota_bytes >> 10),
                 (unsigned long long)(spec->memory_bytes >> 10), (unsigned long long)(spec->region_bytes >> 10));
    return length > 0 && (size_t)length < size ? (size_t)length : 0;
}
