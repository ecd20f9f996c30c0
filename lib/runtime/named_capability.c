#include "named_capability.h"

#include <stdbool.h>
#include <string.h>

static bool name_matches(const char field[APP_CAPABILITY_NAME_SIZE], const char *name)
{
    size_t length = strnlen(name, APP_CAPABILITY_NAME_SIZE + 1);
    if (length == 0 || length > APP_CAPABILITY_NAME_SIZE) {
        return false;
    }
    return memcmp(field, name, length) == 0 && (length == APP_CAPABILITY_NAME_SIZE || field[length] == '\0');
}

uint64_t named_capability_slot(const struct app_environment *environment, const char *name)
{
    uint64_t count = environment->named_count;
    if (count > APP_MAX_NAMED_CAPABILITIES) {
        count = APP_MAX_NAMED_CAPABILITIES;
    }
    for (uint64_t i = 0; i < count; i++) {
        if (name_matches(environment->named[i].name, name)) {
            return environment->named[i].slot;
        }
    }
    return 0;
}
