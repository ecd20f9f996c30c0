/* Rendering images. */
#include "render_image.h"

#include "human_format.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define DETAIL_FORMAT "%-14s%s\n"

void image_json(struct json_writer *writer, const Kapsel__V1__Image *image)
{
    json_begin_object(writer);
    json_key(writer, "name");
    json_string(writer, image->name);
    json_key(writer, "sha256");
    json_string(writer, image->sha256);
    json_key(writer, "size_bytes");
    json_uint(writer, image->size_bytes);
    json_key(writer, "display_name");
    json_string(writer, image->display_name);
    json_key(writer, "create_time_unix_ms");
    json_uint(writer, image->create_time_unix_ms);
    json_key(writer, "used_by");
    json_begin_array(writer);
    for (size_t i = 0; i < image->n_used_by; i++) {
        json_string(writer, image->used_by[i]);
    }
    json_end_array(writer);
    json_end_object(writer);
}

bool image_table_init(struct table *table, bool with_host)
{
    static const char *const headers[] = {"HOST", "NAME", "SIZE", "DISPLAY-NAME", "AGE", "USED-BY"};
    return with_host ? table_init(table, 6, headers) : table_init(table, 5, headers + 1);
}

/* The VMs that use the image, comma-separated, or "-"; NULL if out of memory. */
static char *used_by_text(const Kapsel__V1__Image *image)
{
    size_t length = 2;
    for (size_t i = 0; i < image->n_used_by; i++) {
        length += strlen(image->used_by[i]) + 1;
    }
    char *text = malloc(length);
    if (text == NULL) {
        return NULL;
    }
    strcpy(text, image->n_used_by ? "" : "-");
    for (size_t i = 0; i < image->n_used_by; i++) {
        if (i) {
            strcat(text, ",");
        }
        strcat(text, image->used_by[i]);
    }
    return text;
}

bool image_table_add(struct table *table, const char *host, const Kapsel__V1__Image *image, uint64_t now_ms)
{
    char size[HUMAN_TEXT_BYTES];
    char age[HUMAN_TEXT_BYTES];
    format_bytes(image->size_bytes, size);
    format_age(image->create_time_unix_ms, now_ms, age);
    char *used_by = used_by_text(image);
    if (used_by == NULL) {
        return false;
    }
    const char *display_name = image->display_name[0] ? image->display_name : "-";
    const char *row[] = {host, image->name, size, display_name, age, used_by};
    bool added = host ? table_add_row(table, row) : table_add_row(table, row + 1);
    free(used_by);
    return added;
}

void image_detail(FILE *out, const Kapsel__V1__Image *image)
{
    char created[HUMAN_TEXT_BYTES];
    char size[HUMAN_TEXT_BYTES];
    format_time_utc(image->create_time_unix_ms, created);
    format_bytes(image->size_bytes, size);
    fprintf(out, DETAIL_FORMAT, "Name:", image->name);
    fprintf(out, "%-14s%s (%" PRIu64 " bytes)\n", "Size:", size, image->size_bytes);
    fprintf(out, DETAIL_FORMAT, "Display name:", image->display_name[0] ? image->display_name : "-");
    fprintf(out, DETAIL_FORMAT, "Created:", created);
    for (size_t i = 0; i < image->n_used_by; i++) {
        fprintf(out, DETAIL_FORMAT, i ? "" : "Used by:", image->used_by[i]);
    }
    if (image->n_used_by == 0) {
        fprintf(out, DETAIL_FORMAT, "Used by:", "-");
    }
}
