/* Output captured in memory for the tests: a FILE * and, once closed, its text. */
#ifndef KAPSELCTL_TEST_CAPTURE_H
#define KAPSELCTL_TEST_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>

struct capture {
    FILE *file;
    char *text;
    size_t length;
};

static inline void capture_open(struct capture *capture)
{
    capture->text = NULL;
    capture->length = 0;
    capture->file = open_memstream(&capture->text, &capture->length);
}

/* Closes the stream: capture->text holds everything written (free it with capture_free). */
static inline const char *capture_close(struct capture *capture)
{
    fclose(capture->file);
    capture->file = NULL;
    return capture->text;
}

static inline void capture_free(struct capture *capture)
{
    free(capture->text);
    capture->text = NULL;
}

#endif
