/*
 * Kernel objects and the capabilities that name them. Every object keeps the
 * derivation tree of all capabilities to it; removing the last one, or
 * deleting the object through a capability with RIGHT_DELETE, destroys it and
 * refunds the factory it was charged to.
 */
#ifndef KAPSEL_OBJECT_H
#define KAPSEL_OBJECT_H

#include <kapsel/abi.h>
#include <kapsel/mapping_tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct factory;
struct task;

struct object {
    enum object_type type;
    uint32_t id;    /* sequence number, for messages people read */
    bool permanent; /* boot-time singletons (scheduler, memory, console) are never destroyed */
    bool dying;     /* destruction in progress: no new capabilities, no second destroy */
    struct mapping_tree capabilities;
    struct factory *charged_to;
    size_t charged_bytes;
};

struct capability {
    struct object *object; /* NULL: empty slot */
    struct task *owner;    /* the task whose table holds this slot */
    uint32_t rights;       /* RIGHT_* */
    struct mapping_node derivation;
};

/* Allocates a zeroed object of size bytes, charged to factory (NULL: uncharged, for boot objects). */
enum error object_allocate(struct factory *factory, enum object_type type, size_t size, struct object **object);

/* Revokes every capability to the object, tears it down and frees it (refunding its factory). */
void object_destroy(struct object *object);

/* The slot at index in the task's table; NULL if the index is outside the table (0 is never valid). */
struct capability *capability_slot(struct task *task, uint64_t index);

/*
 * The capability at index, checked: ERROR_INVALID_CAPABILITY (bad index or
 * empty), ERROR_WRONG_OBJECT_TYPE (unless type is OBJECT_NONE), ERROR_MISSING_RIGHTS.
 */
enum error capability_lookup(struct task *task, uint64_t index, enum object_type type, uint32_t rights,
                             struct capability **capability);

/*
 * The checks every invocation of an object with operations first..last makes
 * before acting: the operation (the tag's label) exists, the capability has
 * the right it needs (read for read_only_operation, write for the others), and
 * the message has at least minimum_words[operation] words.
 */
enum error capability_check_invocation(const struct capability *capability, uint64_t tag, uint64_t first, uint64_t last,
                                       uint64_t read_only_operation, const unsigned *minimum_words);

/* Puts the first capability to a new object into an empty slot. */
void capability_install(struct capability *slot, struct object *object, uint32_t rights);

/*
 * Copies (or with grant, moves) 2^order consecutive capabilities from one task
 * to another, with rights reduced to rights. Sources need RIGHT_GRANT; empty
 * sources are skipped; destinations must be empty (ERROR_SLOT_OCCUPIED).
 */
enum error capability_map(struct task *from, uint64_t from_index, unsigned order, uint32_t rights, bool grant,
                          struct task *to, uint64_t to_index);

/* Empties every slot that names the object (its destruction). */
void capability_revoke_all(struct object *object);

/* Removes every capability derived from slot (and slot itself if include_self). */
void capability_revoke(struct capability *slot, bool include_self);

#endif
