#include <kapsel/console.h>
#include <kapsel/console_object.h>

static struct object console = {.type = OBJECT_CONSOLE, .permanent = true};

struct object *console_object(void)
{
    return &console;
}

enum error console_object_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words)
{
    (void)reply_words;
    if (MESSAGE_TAG_LABEL(tag) != CONSOLE_WRITE) {
        return ERROR_INVALID_OPERATION;
    }
    if (!(capability->rights & RIGHT_WRITE)) {
        return ERROR_MISSING_RIGHTS;
    }
    unsigned words = MESSAGE_TAG_WORDS(tag);
    if (words < 1 || message[0] > (uint64_t)(words - 1) * sizeof(uint64_t)) {
        return ERROR_INVALID_ARGUMENT;
    }
    console_write((const char *)&message[1], (size_t)message[0]);
    return ERROR_NONE;
}
