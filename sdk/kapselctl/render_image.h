/* Images as JSON objects, table rows and detail views. */
#ifndef KAPSELCTL_RENDER_IMAGE_H
#define KAPSELCTL_RENDER_IMAGE_H

#include "json_writer.h"
#include "table.h"

#include <kapsel/client.h>

void image_json(struct json_writer *writer, const Kapsel__V1__Image *image);

/* The image table: NAME SIZE DISPLAY-NAME AGE USED-BY, after a HOST column if with_host. */
bool image_table_init(struct table *table, bool with_host);
bool image_table_add(struct table *table, const char *host, const Kapsel__V1__Image *image, uint64_t now_ms);

void image_detail(FILE *out, const Kapsel__V1__Image *image);

#endif
