/* Images named on the command line: an image name, or a local file that is pushed (unless the host has its content
 * already: the SHA-256 is computed here and asked for with GetImage first). */
#ifndef KAPSELCTL_IMAGE_PUSH_H
#define KAPSELCTL_IMAGE_PUSH_H

#include "cli.h"
#include "value_parsers.h"

#define IMAGE_REFERENCE_BYTES 1024
#define DISPLAY_NAME_MAX 63

struct image_reference {
    char text[IMAGE_REFERENCE_BYTES]; /* as given */
    bool is_file;                     /* a local file still to push */
    char name[RESOURCE_NAME_BYTES];   /* "images/<sha256>" once known */
};

/* length bytes of text: "images/<sha256>", the bare 64-digit digest, or the path of a readable regular file. false
 * if it is neither (or too long). */
bool image_reference_parse(const char *text, size_t length, struct image_reference *reference);

/* The outcome of a push: the call's status, and whether the failure is this side's (the file). */
struct push_outcome {
    struct kapsel_status status;
    bool local_failure;
    bool uploaded; /* false: the host had it */
};

/* Pushes path as an image (display name: display_name, else the file's base name cut to 63 bytes); progress on
 * cli->err if show_progress. Returns the status code; *image (may be NULL) is the host's image. */
int image_push_file(const struct cli *cli, struct kapsel_client *client, const char *path, const char *display_name,
                    bool show_progress, Kapsel__V1__Image **image, struct push_outcome *outcome);

/* Makes the reference a name: pushes it if it is a file. Returns the status code. */
int image_reference_resolve(const struct cli *cli, struct kapsel_client *client, struct image_reference *reference,
                            bool show_progress, struct push_outcome *outcome);

#endif
