/* Filling struct kapsel_status (status may be NULL everywhere: the code is still returned). */
#ifndef KAPSEL_CLIENT_STATUS_H
#define KAPSEL_CLIENT_STATUS_H

#include "kapsel/client.h"

/* Sets code and a printf-formatted message; returns code. */
int status_set(struct kapsel_status *status, int code, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* Sets KAPSEL_OK and an empty message; returns KAPSEL_OK. */
int status_ok(struct kapsel_status *status);

#endif
