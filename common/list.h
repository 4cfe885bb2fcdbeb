/*
 * One intrusive doubly-linked list for the whole daemon.
 *
 * A struct list_node lives inside the item; a struct list is the head. A node
 * knows whether it is linked: inserting a linked node or removing an unlinked
 * one is an assertion failure, not a corrupted list. An item that can be on
 * two lists at once has two nodes, one per list, so that which lists it is on
 * is explicit.
 *
 * The head holds no pointer into itself (NULL-terminated, not circular), so a
 * struct containing a head may be copied by value to move the list, as long as
 * the old copy is not used again.
 */
#ifndef PGFRONT_COMMON_LIST_H
#define PGFRONT_COMMON_LIST_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *prev, *next;
	bool linked;
};

struct list {
	struct list_node *first, *last;
	size_t count;
};

/* The item that contains node as its member `field`, or NULL for a NULL node. */
#define LIST_ITEM(node, type, field) \
	((type *)list_item_at((node), offsetof(type, field)))

static inline void *list_item_at(const struct list_node *node, size_t offset)
{
	return node ? (char *)node - offset : NULL;
}

static inline bool list_linked(const struct list_node *n)
{
	return n->linked;
}

static inline bool list_empty(const struct list *l)
{
	assert((l->first == NULL) == (l->count == 0));
	return l->first == NULL;
}

static inline void list_push_tail(struct list *l, struct list_node *n)
{
	assert(!n->linked);
	n->prev = l->last;
	n->next = NULL;
	if (l->last)
		l->last->next = n;
	else
		l->first = n;
	l->last = n;
	n->linked = true;
	l->count++;
}

static inline void list_push_head(struct list *l, struct list_node *n)
{
	assert(!n->linked);
	n->prev = NULL;
	n->next = l->first;
	if (l->first)
		l->first->prev = n;
	else
		l->last = n;
	l->first = n;
	n->linked = true;
	l->count++;
}

/* n must be on l (checked as far as the ends go: a node that is first or last
 * anywhere must be first or last of l). */
static inline void list_remove(struct list *l, struct list_node *n)
{
	assert(n->linked && l->count > 0);
	assert(n->prev ? n->prev->next == n : l->first == n);
	assert(n->next ? n->next->prev == n : l->last == n);
	if (n->prev)
		n->prev->next = n->next;
	else
		l->first = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		l->last = n->prev;
	n->prev = n->next = NULL;
	n->linked = false;
	l->count--;
}

#endif
