/* lwIP's failed assertions (LWIP_PLATFORM_ASSERT, arch/cc.h): a message on stderr, then abort(). In a Micro-App,
 * abort() ends the app with status 1 (the runtime has no signals); in a host test it fails the test. */
#include "arch/cc.h"

#include <stdio.h>
#include <stdlib.h>

_Noreturn void lwip_port_assert_failed(const char *message, const char *file, int line)
{
    fprintf(stderr, "lwIP assertion failed: %s (%s:%d)\n", message, file, line);
    abort();
}
