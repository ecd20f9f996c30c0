/* Finding a named capability in a Micro-App's environment (pure logic, unit-tested on the host). */
#ifndef RUNTIME_NAMED_CAPABILITY_H
#define RUNTIME_NAMED_CAPABILITY_H

#include <kapsel/environment.h>

/*
 * The slot of the capability the manifest named name, or 0 if there is none.
 * Tolerates a table filled by a careless writer: at most
 * APP_MAX_NAMED_CAPABILITIES entries are read, and a name that fills its
 * whole field without a NUL still matches exactly.
 */
uint64_t named_capability_slot(const struct app_environment *environment, const char *name);

#endif
