/* From argv to a command: global options, the group and the command, --help at every level, --fleet. */
#ifndef KAPSELCTL_DISPATCH_H
#define KAPSELCTL_DISPATCH_H

#include <stdbool.h>
#include <stdio.h>

/* Runs kapselctl with argv; returns the exit code (exit_codes.h). */
int kapselctl_main(int argc, char **argv, FILE *out, FILE *err, bool err_is_tty);

#endif
