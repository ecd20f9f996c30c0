#include "options.h"

#include "guest_ram.h"
#include "net/mac_address.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_RAM_SIZE (2ull << 20)
#define MAX_RAM_SIZE (1ull << 30)

/* Joins the words after "--" with spaces; false if they do not fit. */
static bool join_command_line(int argc, char **argv, int first, char *line)
{
    size_t used = 0;
    line[0] = '\0';
    for (int i = first; i < argc; i++) {
        size_t length = strlen(argv[i]);
        if (used + length + 2 > COMMAND_LINE_SIZE) {
            return false;
        }
        if (used) {
            line[used++] = ' ';
        }
        memcpy(line + used, argv[i], length + 1);
        used += length;
    }
    return true;
}

static bool add_disk_option(struct options *options, const char *file, bool read_only)
{
    struct virtio_devices_config *virtio = &options->virtio;
    if (virtio->disk_count == VIRTIO_DEVICES_MAX_DISKS) {
        fprintf(stderr, "uvmm: at most %d disks\n", VIRTIO_DEVICES_MAX_DISKS);
        return false;
    }
    virtio->disks[virtio->disk_count++] = (struct virtio_disk_option){.file = file, .read_only = read_only};
    return true;
}

/* A guest CID: 3 and above (0..2 are reserved), 32 bits, not the wildcard 0xffffffff. */
static bool parse_cid(const char *text, uint64_t *cid)
{
    char *end;
    unsigned long long value = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || value < 3 || value >= 0xffffffffull) {
        return false;
    }
    *cid = value;
    return true;
}

/* "<region>:<end>", end 0 or 1. */
static bool parse_net_link(char *text, struct virtio_devices_config *virtio)
{
    char *colon = strrchr(text, ':');
    if (!colon || colon == text || (strcmp(colon, ":0") != 0 && strcmp(colon, ":1") != 0)) {
        return false;
    }
    *colon = '\0';
    virtio->net_region = text;
    virtio->net_end = (unsigned)(colon[1] - '0');
    return true;
}

/* Decimal bytes with an optional K, M or G suffix. */
static bool parse_size(const char *text, uint64_t *bytes)
{
    char *end;
    unsigned long long value = strtoull(text, &end, 10);
    unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
    if (end == text || (shift && end[1] != '\0') || (!shift && *end != '\0') || value > (MAX_RAM_SIZE >> shift)) {
        return false;
    }
    *bytes = (uint64_t)value << shift;
    return true;
}

bool parse_options(int argc, char **argv, struct options *options)
{
    *options = (struct options){.name = argv[0], .ram_size = DEFAULT_RAM_SIZE};
    bool has_mac = false;
    for (int i = 1; i < argc; i += 2) {
        const char *key = argv[i];
        if (strcmp(key, "--") == 0) {
            if (!join_command_line(argc, argv, i + 1, options->command_line)) {
                fprintf(stderr, "uvmm: the command line is longer than %d bytes\n", COMMAND_LINE_SIZE - 1);
                return false;
            }
            break;
        }
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!value) {
            fprintf(stderr, "uvmm: %s needs a value\n", key);
            return false;
        }
        if (strcmp(key, "--name") == 0) {
            options->name = value;
        } else if (strcmp(key, "--guest") == 0) {
            options->guest = value;
        } else if (strcmp(key, "--scenario") == 0) {
            options->scenario = value;
        } else if (strcmp(key, "--kernel") == 0) {
            options->kernel = value;
        } else if (strcmp(key, "--initrd") == 0) {
            options->initrd = value;
        } else if (strcmp(key, "--disk") == 0 || strcmp(key, "--disk-ro") == 0) {
            if (!add_disk_option(options, value, strcmp(key, "--disk-ro") == 0)) {
                return false;
            }
        } else if (strcmp(key, "--vsock-cid") == 0) {
            if (!parse_cid(value, &options->virtio.vsock_cid)) {
                fprintf(stderr, "uvmm: --vsock-cid %s: not a guest CID (3 to 4294967294)\n", value);
                return false;
            }
        } else if (strcmp(key, "--net-link") == 0) {
            if (!parse_net_link(argv[i + 1], &options->virtio)) {
                fprintf(stderr, "uvmm: --net-link %s: not <shared region>:<0 or 1>\n", value);
                return false;
            }
        } else if (strcmp(key, "--net-peer") == 0) {
            options->virtio.net_peer = value;
        } else if (strcmp(key, "--mac") == 0) {
            if (!mac_address_parse(value, options->virtio.mac)) {
                fprintf(stderr, "uvmm: --mac %s: not six hexadecimal bytes like 52:54:00:12:34:56\n", value);
                return false;
            }
            has_mac = true;
        } else if (strcmp(key, "--shutdown-after-line") == 0) {
            if (value[0] == '\0') {
                fprintf(stderr, "uvmm: --shutdown-after-line needs a text to look for\n");
                return false;
            }
            options->shutdown_after_line = value;
        } else if (strcmp(key, "--ram") == 0) {
            if (!parse_size(value, &options->ram_size) || options->ram_size == 0 ||
                options->ram_size % GUEST_PAGE_SIZE != 0) {
                fprintf(stderr, "uvmm: --ram %s: not a multiple of 4K between 4K and 1G\n", value);
                return false;
            }
        } else {
            fprintf(stderr,
                    "uvmm: unknown option %s (usage: --guest <image> [--scenario <name>] [--ram <size>] "
                    "[--name <vm name>] [--kernel <file>] [--initrd <file>] [--disk <file>] [--disk-ro <file>] "
                    "[--vsock-cid <cid>] [--net-link <region>:<end> --mac <mac> [--net-peer <app>]] "
                    "[--shutdown-after-line <text>] [-- <command line>])\n",
                    key);
            return false;
        }
    }
    if (!options->guest) {
        fprintf(stderr, "uvmm: --guest <image> is required\n");
        return false;
    }
    if (options->virtio.net_region && !has_mac) {
        fprintf(stderr, "uvmm: --net-link needs --mac\n");
        return false;
    }
    return true;
}
