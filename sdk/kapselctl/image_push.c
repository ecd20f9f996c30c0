/* Pushing local files as images, skipping content the host has. */
#include "image_push.h"

#include "progress.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool image_reference_parse(const char *text, size_t length, struct image_reference *reference)
{
    *reference = (struct image_reference){0};
    if (length == 0 || length >= sizeof(reference->text)) {
        return false;
    }
    memcpy(reference->text, text, length);
    reference->text[length] = '\0';
    if (image_name_from_operand(reference->text, reference->name)) {
        return true;
    }
    struct stat facts;
    reference->is_file =
        stat(reference->text, &facts) == 0 && S_ISREG(facts.st_mode) && access(reference->text, R_OK) == 0;
    return reference->is_file;
}

static void default_display_name(const char *path, char name[DISPLAY_NAME_MAX + 1])
{
    const char *slash = strrchr(path, '/');
    snprintf(name, DISPLAY_NAME_MAX + 1, "%s", slash ? slash + 1 : path);
}

int image_push_file(const struct cli *cli, struct kapsel_client *client, const char *path, const char *display_name,
                    bool show_progress, Kapsel__V1__Image **image, struct push_outcome *outcome)
{
    *outcome = (struct push_outcome){0};
    char sha256[KAPSEL_SHA256_HEX_BYTES];
    uint64_t size;
    if (kapsel_sha256_file(path, sha256, &size, &outcome->status) != KAPSEL_OK) {
        outcome->local_failure = true;
        return outcome->status.code;
    }
    char name[RESOURCE_NAME_BYTES];
    snprintf(name, sizeof(name), "images/%s", sha256);
    Kapsel__V1__GetImageRequest get = KAPSEL__V1__GET_IMAGE_REQUEST__INIT;
    get.name = name;
    struct kapsel_call_options call_options = cli_call_options(cli);
    Kapsel__V1__Image *existing = NULL;
    int code = kapsel_get_image(client, &get, &call_options, &existing, &outcome->status);
    if (code != KAPSEL_NOT_FOUND) {
        if (image) {
            *image = existing;
        } else if (existing) {
            kapsel__v1__image__free_unpacked(existing, NULL);
        }
        return code;
    }
    char default_name[DISPLAY_NAME_MAX + 1];
    default_display_name(path, default_name);
    struct upload_progress progress;
    upload_progress_init(&progress, cli->err, cli->err_is_tty, display_name ? display_name : default_name);
    struct kapsel_upload_options upload_options = {
        .display_name = display_name ? display_name : default_name,
        .progress = show_progress ? upload_progress_update : NULL,
        .progress_context = &progress,
    };
    struct kapsel_call_options long_options = cli_long_call_options(cli);
    Kapsel__V1__Image *uploaded = NULL;
    code = kapsel_upload_image_file(client, path, &upload_options, &long_options, &uploaded, &outcome->status);
    upload_progress_finish(&progress);
    outcome->uploaded = code == KAPSEL_OK;
    if (image) {
        *image = uploaded;
    } else if (uploaded) {
        kapsel__v1__image__free_unpacked(uploaded, NULL);
    }
    return code;
}

int image_reference_resolve(const struct cli *cli, struct kapsel_client *client, struct image_reference *reference,
                            bool show_progress, struct push_outcome *outcome)
{
    *outcome = (struct push_outcome){0};
    if (!reference->is_file) {
        return KAPSEL_OK;
    }
    Kapsel__V1__Image *image = NULL;
    int code = image_push_file(cli, client, reference->text, NULL, show_progress, &image, outcome);
    if (code == KAPSEL_OK) {
        snprintf(reference->name, sizeof(reference->name), "%s", image->name);
        reference->is_file = false;
        kapsel__v1__image__free_unpacked(image, NULL);
    }
    return code;
}
