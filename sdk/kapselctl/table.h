/* Aligned text tables as kubectl prints them: a header row in capitals, columns three spaces apart, no trailing
 * blanks. Cells are copied; control characters in them become spaces so that a row stays one line. */
#ifndef KAPSELCTL_TABLE_H
#define KAPSELCTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct table {
    size_t columns;
    size_t rows; /* the header included */
    size_t capacity;
    char **cells; /* rows * columns */
};

/* false if out of memory. */
bool table_init(struct table *table, size_t columns, const char *const headers[]);
bool table_add_row(struct table *table, const char *const cells[]);

/* Prints the header and the rows; nothing but the header if there are no rows. */
void table_print(const struct table *table, FILE *out);

void table_free(struct table *table);

#endif
