/* idx: reading IDX files (LeCun's format: big-endian magic 0x00000803 for
 * images [n, rows, cols] of uint8, 0x00000801 for labels), as MNIST,
 * Fashion-MNIST, Kuzushiji-MNIST and EMNIST ship them, plain or gzip. */
#ifndef NNMPI_IDX_H
#define NNMPI_IDX_H

#include "nnmpi/imageset.h"

/* Reads an images file and the matching labels file, each plain or .gz,
 * into set (allocated here). Refuses a wrong magic or data type, a header
 * that promises more bytes than the file holds (or, for .gz, can hold),
 * absurd dimensions, counts that differ between the two files, and a body
 * cut short or followed by more bytes, with a message naming the file.
 * Labels may be 0..255: the caller checks them against its classes. */
int idx_read(const char *images_path, const char *labels_path, imageset_t *set);

/* The four standard file names inside dir (train-images-idx3-ubyte, ...,
 * t10k-labels-idx1-ubyte), for split "train" or "test"; each NAME.gz when
 * only that exists. Writes the two paths into the given buffers. */
int idx_mnist_paths(const char *dir, const char *split, char *images_path,
                    char *labels_path, int path_size);

#endif
