/* The uvmm's command line (main.c documents it): parsed and checked before anything is built. */
#ifndef VMM_OPTIONS_H
#define VMM_OPTIONS_H

#include "virtio_devices.h"

#include <stdbool.h>
#include <stdint.h>

#define COMMAND_LINE_SIZE 1024 /* the guest's command line, after "--" */

struct options {
    const char *name;
    const char *guest;
    const char *scenario;
    const char *kernel;
    const char *initrd;
    const char *shutdown_after_line; /* for tests: a shutdown request once a serial line contains it, or NULL */
    char command_line[COMMAND_LINE_SIZE];
    uint64_t ram_size;
    struct virtio_devices_config virtio;
};

/* Fills options from argv; false (with the reason on stderr) for anything unknown, missing or malformed. */
bool parse_options(int argc, char **argv, struct options *options);

#endif
