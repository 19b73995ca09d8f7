/* csv: reading the book's CSV format: one image per line, the label then the
 * pixel values 0..255 row by row (784 for MNIST's 28x28), comma separated
 * (mnist_train.csv, mnist_test.csv); and writing the one CSV field that
 * needs care, text (file names, run names), for every table nnmpi prints. */
#ifndef NNMPI_CSV_H
#define NNMPI_CSV_H

#include <stdio.h>

#include "nnmpi/imageset.h"

/* Reads every line of path into set (height x width images, each side
 * 1..1024, allocated here). A line with another number of values, a
 * non-number, or a label or pixel outside 0..255 is refused with a message
 * naming file and line (the caller checks labels against its classes).
 * Empty lines are skipped; a Windows line end (CR LF) is accepted. */
int csv_read(const char *path, int height, int width, imageset_t *set);

/* Writes s as one CSV field, quoted (RFC 4180) when it holds a comma, a
 * quote or a line break. */
void csv_write_field(FILE *out, const char *s);

#endif
