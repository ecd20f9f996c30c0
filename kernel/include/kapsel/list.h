/* Intrusive circular doubly linked lists (the node lives inside the element). */
#ifndef KAPSEL_LIST_H
#define KAPSEL_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
    struct list_node *next, *prev;
};

#define LIST_INIT(name)                                                                                                \
    {                                                                                                                  \
        &(name), &(name)                                                                                               \
    }
#define container_of(pointer, type, member) ((type *)((char *)(pointer)-offsetof(type, member)))

static inline void list_init(struct list_node *head)
{
    head->next = head->prev = head;
}

static inline bool list_empty(const struct list_node *head)
{
    return head->next == head;
}

/* True if node is linked into some list (nodes are kept self-linked when unlinked). */
static inline bool list_linked(const struct list_node *node)
{
    return node->next != node && node->next != NULL;
}

static inline void list_add_tail(struct list_node *head, struct list_node *node)
{
    node->prev = head->prev;
    node->next = head;
    head->prev->next = node;
    head->prev = node;
}

static inline void list_add_head(struct list_node *head, struct list_node *node)
{
    node->next = head->next;
    node->prev = head;
    head->next->prev = node;
    head->next = node;
}

static inline void list_remove(struct list_node *node)
{
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->next = node->prev = node;
}

#define list_for_each_safe(cursor, next_cursor, head)                                                                  \
    for ((cursor) = (head)->next, (next_cursor) = (cursor)->next; (cursor) != (head);                                  \
         (cursor) = (next_cursor), (next_cursor) = (cursor)->next)

#endif
