/* dataset: the HDF5 training file written by `nnmpi prepare` and read by
 * `nnmpi train` and `nnmpi eval`.
 *
 * Layout (format "nnmpi-dataset"; version 1 for MNIST's shape, 28x28 images
 * of 10 classes, which older readers take; version 2 for any other):
 *   /train/images  uint8 [N, H, W] chunked      /train/labels uint8 [N]
 *   /train/origin  int32 [N] index of the source image in the original set
 *   /train/angle   float32 [N] rotation applied, degrees (0 = original)
 *   /train/augment uint8 [N] kind of copy: 0 original, 1 rotation, 2 shift,
 *                  3 elastic, 4 thickness, 5 scale, 6 gaps, 7 noise
 *                  (augment_kind_t; absent in older files)
 *   /test/images   uint8 [M, H, W]              /test/labels  uint8 [M]
 *   root attributes: format, format_version, source, source_sha256,
 *   augmentation, shuffle_seed, created_by, classes (labels are
 *   0..classes-1; absent in older files: 10), class_names (classnames.h;
 *   absent or "": none).
 * The training rows are stored pre-shuffled, so any lane or contiguous range
 * is a fair sample of the whole. */
#ifndef NNMPI_DATASET_H
#define NNMPI_DATASET_H

#include <stdint.h>

#include "nnmpi/imageset.h"
#include "nnmpi/shard.h"

#define DATASET_FORMAT "nnmpi-dataset"
#define DATASET_VERSION 2        /* the newest this code reads and writes */
#define DATASET_VERSION_MNIST 1  /* 28x28 images of 10 classes, as ever */
#define DATASET_MAX_CLASSES 256  /* labels are bytes */

/* What prepare writes. */
typedef struct {
    const imageset_t *train;   /* N training images with labels */
    const int32_t *origin;     /* [N] */
    const float *angle;        /* [N] */
    const uint8_t *augment;    /* [N] augment_kind_t, or NULL for none */
    const imageset_t *test;    /* M test images with labels */
    const char *source;        /* e.g. "mnist-idx:data/mnist" */
    const char *source_sha256; /* "name=hex;name=hex..." */
    const char *augmentation;  /* e.g. "rotations=-10,10;shifts=1;elastic=2,alpha=34,sigma=4" */
    uint64_t shuffle_seed;
    int classes;               /* labels are 0..classes-1; 0: MNIST's 10 */
    const char *class_names;   /* "T-shirt,Trouser,..." or NULL */
} dataset_contents_t;

/* What a file says about itself (no pixel data). */
typedef struct {
    int64_t version;
    int64_t n_train, n_test;
    int height, width;
    char *source, *source_sha256, *augmentation;  /* malloc'd, may be NULL */
    int64_t shuffle_seed;
    int classes;        /* 10 in files older than the attribute */
    char *class_names;  /* malloc'd, NULL without names */
} dataset_info_t;

/* Writes the file atomically (the temporary fs_tmp_name(path), then
 * rename). */
int dataset_write(const char *path, const dataset_contents_t *contents);

/* Reads and checks the header and shapes of a dataset file. */
int dataset_info(const char *path, dataset_info_t *info);
void dataset_info_free(dataset_info_t *info);

/* SHA-256 of a sample of the file's rows (first, middle and last of each
 * split, images and labels): a cheap check that two copies of a dataset
 * hold the same data, which the header alone cannot tell. */
int dataset_sample_sha256(const char *path, const dataset_info_t *info, char hex[65]);

/* Reads this rank's rows of /train (the shard's hyperslab) into set. */
int dataset_read_shard(const char *path, const shard_t *shard, imageset_t *set);

/* The same into buffers the caller made: set's count, height and width
 * say their shape (the shard's rows, the file's image size: refused
 * otherwise); they stay the caller's, also on failure. */
int dataset_read_shard_into(const char *path, const shard_t *shard, imageset_t *set);

/* Reads training rows [first, first + count) into set (one row for a
 * preview); rows the file does not have are refused, naming it and its
 * count. */
int dataset_read_train_rows(const char *path, int64_t first, int64_t count, imageset_t *set);

/* Reads a whole split ("train" or "test") into set. */
int dataset_read_split(const char *path, const char *split, imageset_t *set);

#endif
