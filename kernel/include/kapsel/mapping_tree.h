/*
 * Derivation trees of mappings, for memory pages and for capabilities alike.
 * Each tree is kept as a list in preorder with depths (as in Fiasco's mapping
 * database): a node's descendants are exactly the nodes after it with greater
 * depth, so revoking a subtree is one forward walk and needs no recursion.
 */
#ifndef KAPSEL_MAPPING_TREE_H
#define KAPSEL_MAPPING_TREE_H

#include <stdbool.h>
#include <stdint.h>

struct mapping_node {
    struct mapping_node *next, *prev;
    uint32_t depth;
};

struct mapping_tree {
    struct mapping_node *first;
};

static inline bool mapping_tree_empty(const struct mapping_tree *tree)
{
    return tree->first == 0;
}

/* Adds an underived node (depth 0) at the end of the tree. */
void mapping_tree_insert_root(struct mapping_tree *tree, struct mapping_node *node);

/* Adds child as the first child of parent (derived from it). */
void mapping_tree_insert_child(struct mapping_node *parent, struct mapping_node *child);

/* Puts replacement where node was (same depth, same descendants): a grant moves a mapping. */
void mapping_tree_replace(struct mapping_tree *tree, struct mapping_node *node, struct mapping_node *replacement);

/*
 * Unlinks the descendants of node (deepest-first order is not guaranteed; each
 * is unlinked before visit is called, so visit may free it), then node itself
 * if include_self. Returns the number of nodes removed.
 */
unsigned mapping_tree_revoke(struct mapping_tree *tree, struct mapping_node *node, bool include_self,
                             void (*visit)(struct mapping_node *removed, void *context), void *context);

#endif
