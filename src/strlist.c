#include "nnmpi/strlist.h"

#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"

int strlist_add(strlist_t *l, const char *s)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return error_set("out of memory");
        l->items = items;
        l->cap = cap;
    }
    if (!(l->items[l->count] = strdup(s)))
        return error_set("out of memory");
    l->count++;
    return 0;
}

int strlist_has(const strlist_t *l, const char *s)
{
    for (size_t i = 0; i < l->count; i++)
        if (!strcmp(l->items[i], s))
            return 1;
    return 0;
}

static int ascending(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int descending(const void *a, const void *b)
{
    return ascending(b, a);
}

void strlist_sort(strlist_t *l, int desc)
{
    if (l->count > 1)
        qsort(l->items, l->count, sizeof *l->items, desc ? descending : ascending);
}

int strlist_append(strlist_t *dst, const strlist_t *src)
{
    for (size_t i = 0; i < src->count; i++)
        if (strlist_add(dst, src->items[i]) < 0)
            return -1;
    return 0;
}

void strlist_free(strlist_t *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}
