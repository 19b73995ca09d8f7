/* idx: reading the MNIST IDX files (LeCun's format: big-endian magic
 * 0x00000803 for images [n, rows, cols] of uint8, 0x00000801 for labels). */
#ifndef NNMPI_IDX_H
#define NNMPI_IDX_H

#include "nnmpi/imageset.h"

/* Reads an images file and the matching labels file into set (allocated
 * here). Refuses a wrong magic, a header that promises more bytes than the
 * file holds, absurd dimensions, counts that differ between the two files,
 * and labels outside 0..9, with a message naming the file. */
int idx_read(const char *images_path, const char *labels_path, imageset_t *set);

/* The four standard MNIST file names inside dir, for split "train" or "test";
 * writes the two paths into the given buffers. */
int idx_mnist_paths(const char *dir, const char *split, char *images_path,
                    char *labels_path, int path_size);

#endif
