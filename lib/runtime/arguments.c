#include "arguments.h"

int arguments_split(char *text, char **words, int max)
{
    int count = 0;
    char *cursor = text;
    while (count < max) {
        while (*cursor == ' ') {
            cursor++;
        }
        if (*cursor == '\0') {
            break;
        }
        words[count++] = cursor;
        while (*cursor != ' ' && *cursor != '\0') {
            cursor++;
        }
        if (*cursor == ' ') {
            *cursor++ = '\0';
        }
    }
    return count;
}
