/* strlist: a growable list of malloc'd strings (file names, paths,
 * messages). Free is safe on a zeroed or freed list. */
#ifndef NNMPI_STRLIST_H
#define NNMPI_STRLIST_H

#include <stddef.h>

typedef struct {
    char **items; /* [count] malloc'd strings */
    size_t count, cap;
} strlist_t;

/* Appends a copy of s; -1 (out of memory) with the message set. */
int strlist_add(strlist_t *l, const char *s);

/* 1 if the list holds exactly s. */
int strlist_has(const strlist_t *l, const char *s);

/* Sorts by strcmp, ascending, or descending when descending is set. */
void strlist_sort(strlist_t *l, int descending);

/* Appends copies of src's strings to dst. */
int strlist_append(strlist_t *dst, const strlist_t *src);

void strlist_free(strlist_t *l);

#endif
