/* Splitting a Micro-App's "arguments" line into argv words (pure logic, unit-tested on the host). */
#ifndef RUNTIME_ARGUMENTS_H
#define RUNTIME_ARGUMENTS_H

/*
 * Splits text in place at runs of spaces: each word is NUL-terminated and
 * stored in words[0..]. No quoting. Stops after max words (the rest of the
 * line is ignored); returns how many were stored.
 */
int arguments_split(char *text, char **words, int max);

#endif
