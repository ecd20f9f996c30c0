/* The fleet file of --fleet: one host per line, "name address" ("alpha 10.0.0.5:50051"), separated by blanks;
 * '#' starts a comment (a whole line or the rest of one); blank lines are skipped. Names are unique. */
#ifndef KAPSELCTL_HOSTS_FILE_H
#define KAPSELCTL_HOSTS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define FLEET_MAX_HOSTS 256
#define FLEET_NAME_BYTES 64
#define FLEET_ADDRESS_BYTES 256

struct fleet_host {
    char name[FLEET_NAME_BYTES];
    char address[FLEET_ADDRESS_BYTES];
};

struct fleet {
    struct fleet_host hosts[FLEET_MAX_HOSTS];
    size_t count;
};

/* Parses the file's text; false with "<source>:<line>: <what>" printed to err for a malformed line, a duplicate name,
 * too many hosts, or no host at all. */
bool hosts_parse(const char *text, const char *source, struct fleet *fleet, FILE *err);

/* Reads and parses the file; false (printed) if it cannot be read or does not parse. */
bool hosts_load(const char *path, struct fleet *fleet, FILE *err);

#endif
