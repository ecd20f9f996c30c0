/* Factories create every kernel object and charge its memory to a quota; a child factory gets part of it. */
#ifndef KAPSEL_FACTORY_H
#define KAPSEL_FACTORY_H

#include <kapsel/object.h>
#include <stdint.h>

struct factory {
    struct object object;
    uint64_t quota; /* bytes this factory may have outstanding, including child quotas */
    uint64_t used;
    struct factory *parent; /* charged with this factory's quota and its own memory */
};

/* Reserves bytes of the quota; ERROR_QUOTA_EXCEEDED if it would go over. */
enum error factory_charge(struct factory *factory, uint64_t bytes);

void factory_refund(struct factory *factory, uint64_t bytes);

/* The root factory, with a quota of all memory free at boot. */
struct factory *factory_create_root(uint64_t quota);

/* Handles a message sent to a factory capability. */
enum error factory_invoke(struct capability *capability, uint64_t tag, uint64_t *message, unsigned *reply_words);

/* Called by object_destroy; the factory's memory stays until its last charge is refunded. */
void factory_teardown(struct factory *factory);

#endif
