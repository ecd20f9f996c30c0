/* Column widths in characters (UTF-8 continuation bytes do not count), then the rows. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#define COLUMN_GAP 3

static char *copy_cell(const char *text)
{
    char *copy = strdup(text ? text : "");
    for (char *c = copy; c && *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *c = ' ';
        }
    }
    return copy;
}

static size_t display_width(const char *text)
{
    size_t width = 0;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        width += (*c & 0xc0) != 0x80;
    }
    return width;
}

bool table_init(struct table *table, size_t columns, const char *const headers[])
{
    *table = (struct table){.columns = columns};
    return table_add_row(table, headers);
}

bool table_add_row(struct table *table, const char *const cells[])
{
    if (table->rows == table->capacity) {
        size_t capacity = table->capacity ? table->capacity * 2 : 8;
        char **grown = realloc(table->cells, capacity * table->columns * sizeof(*grown));
        if (grown == NULL) {
            return false;
        }
        table->cells = grown;
        table->capacity = capacity;
    }
    char **row = table->cells + table->rows * table->columns;
    for (size_t column = 0; column < table->columns; column++) {
        row[column] = copy_cell(cells[column]);
        if (row[column] == NULL) {
            for (size_t copied = 0; copied < column; copied++) {
                free(row[copied]);
            }
            return false;
        }
    }
    table->rows++;
    return true;
}

void table_print(const struct table *table, FILE *out)
{
    size_t *widths = calloc(table->columns, sizeof(*widths));
    if (widths == NULL) {
        return;
    }
    for (size_t column = 0; column < table->columns; column++) {
        widths[column] = 0;
        for (size_t row = 0; row < table->rows; row++) {
            size_t width = display_width(table->cells[row * table->columns + column]);
            widths[column] = width > widths[column] ? width : widths[column];
        }
    }
    for (size_t row = 0; row < table->rows; row++) {
        for (size_t column = 0; column < table->columns; column++) {
            const char *cell = table->cells[row * table->columns + column];
            fputs(cell, out);
            if (column + 1 < table->columns) {
                fprintf(out, "%*s", (int)(widths[column] - display_width(cell) + COLUMN_GAP), "");
            }
        }
        fputc('\n', out);
    }
    free(widths);
}

void table_free(struct table *table)
{
    for (size_t i = 0; i < table->rows * table->columns; i++) {
        free(table->cells[i]);
    }
    free(table->cells);
    *table = (struct table){0};
}
