#include <kapsel/mapping_tree.h>
#include <stddef.h>

void mapping_tree_insert_root(struct mapping_tree *tree, struct mapping_node *node)
{
    node->depth = 0;
    node->next = NULL;
    if (!tree->first) {
        node->prev = NULL;
        tree->first = node;
        return;
    }
    struct mapping_node *last = tree->first;
    while (last->next) {
        last = last->next;
    }
    last->next = node;
    node->prev = last;
}

void mapping_tree_insert_child(struct mapping_node *parent, struct mapping_node *child)
{
    child->depth = parent->depth + 1;
    child->prev = parent;
    child->next = parent->next;
    if (parent->next) {
        parent->next->prev = child;
    }
    parent->next = child;
}

void mapping_tree_replace(struct mapping_tree *tree, struct mapping_node *node, struct mapping_node *replacement)
{
    *replacement = *node;
    if (node->prev) {
        node->prev->next = replacement;
    } else {
        tree->first = replacement;
    }
    if (node->next) {
        node->next->prev = replacement;
    }
    node->next = node->prev = NULL;
}

static void unlink(struct mapping_tree *tree, struct mapping_node *node)
{
    if (node->prev) {
        node->prev->next = node->next;
    } else {
        tree->first = node->next;
    }
    if (node->next) {
        node->next->prev = node->prev;
    }
    node->next = node->prev = NULL;
}

unsigned mapping_tree_revoke(struct mapping_tree *tree, struct mapping_node *node, bool include_self,
                             void (*visit)(struct mapping_node *removed, void *context), void *context)
{
    unsigned removed = 0;
    while (node->next && node->next->depth > node->depth) {
        struct mapping_node *descendant = node->next;
        unlink(tree, descendant);
        removed++;
        visit(descendant, context);
    }
    if (include_self) {
        unlink(tree, node);
        removed++;
        visit(node, context);
    }
    return removed;
}
