/* classnames: the names of a data set's classes ("T-shirt,Trouser,..."),
 * kept as one comma-separated string in the data file and the model file,
 * so a name holds no comma. "" or NULL: no names, classes go by number. */
#ifndef NNMPI_CLASSNAMES_H
#define NNMPI_CLASSNAMES_H

#include <stddef.h>

#define CLASSNAMES_MAX_NAME 64 /* bytes of one name */

/* Checks that joined names exactly `classes` classes, each 1..64 printable
 * bytes without leading or trailing blanks; 0, or -1 with the message. */
int classnames_check(const char *joined, int classes);

/* The name of class i into buf ("" when there are no names or too few);
 * returns buf. */
const char *classnames_get(const char *joined, int i, char *buf, size_t size);

#endif
