/* csv: reading the book's CSV format: one image per line, the label then the
 * 784 pixel values 0..255, comma separated (mnist_train.csv, mnist_test.csv). */
#ifndef NNMPI_CSV_H
#define NNMPI_CSV_H

#include "nnmpi/imageset.h"

/* Reads every line of path into set (28x28 images, allocated here). A line
 * with another number of values, a non-number, a label outside 0..9 or a
 * pixel outside 0..255 is refused with a message naming file and line. Empty
 * lines are skipped; a Windows line end (CR LF) is accepted. */
int csv_read(const char *path, imageset_t *set);

#endif
