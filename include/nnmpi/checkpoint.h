/* checkpoint: the model file (`model.h5`) and training checkpoints, one
 * format for both, readable by any HDF5 tool.
 *
 * Layout (format "nnmpi-checkpoint"): the book's net as version 1,
 *   /net/w_ih float32 [H, 784]   /net/w_ho float32 [10, H]
 *   /net attributes: n_in, n_hidden, n_out, activation ("sigmoid"), rule;
 * other networks as version 2, one dataset per layer in the book's
 * orientation, /net/w1 [n1, 784], /net/w2 [n2, n1] ... and with biases
 * /net/b1 [n1], /net/b2 ..., and these attributes besides the above
 * (n_hidden: the first hidden layer; activation: the hidden layers'):
 *   layers ("784,300,100,10"), output, loss, bias (0 or 1);
 *   either version may hold image_height, image_width and class_names
 *   (the data's; older files lack them)
 *   /train attributes: epoch (completed), step (within the next epoch),
 *     seed, world_size, tensor_parallel (ranks per sample; absent: 1),
 *     config (resolved INI text), the figures of the epoch
 *     in progress (epoch_loss_sum, epoch_correct, epoch_count,
 *     epoch_train_s), elapsed_s, the dataset it was trained on
 *     (data_rows, data_id), and its lineage: run_id (made when the run
 *     started afresh), parent (the checkpoint this session continued from,
 *     "" for a fresh start) and lineage (one line per session of the run);
 *     files written before run ids lack the last three (read as "")
 *   /metrics compound table of metrics_row_t
 *   root attributes: format, format_version, weights_sha256, created_by
 * Written to a temporary name in the same directory, fsync'ed and renamed,
 * so a crash never leaves a damaged file under the final name. */
#ifndef NNMPI_CHECKPOINT_H
#define NNMPI_CHECKPOINT_H

#include <stdint.h>

#include "nnmpi/metrics.h"
#include "nnmpi/net.h"

#define CKPT_FORMAT "nnmpi-checkpoint"
#define CKPT_VERSION 2       /* the newest this code reads and writes */
#define CKPT_VERSION_BOOK 1  /* what the book's net is written as, as ever */
#define CKPT_RUN_ID_LEN 16   /* hex digits of a run id */

typedef struct {
    int epoch;            /* epochs completed */
    int64_t step;         /* steps completed within epoch `epoch`+1 */
    uint64_t seed;
    int world_size;       /* ranks that wrote it */
    int tensor_parallel;  /* of them, ranks per sample (tensor.h); 1 in older files */
    net_rule_t rule;
    char *config_text;    /* resolved config, malloc'd */
    metrics_t metrics;
    char weights_sha256[65];
    /* the epoch in progress (step > 0), so that a resumed run reports the
     * figures of the whole epoch */
    double epoch_loss_sum;
    int64_t epoch_correct, epoch_count;
    double epoch_train_s;
    double elapsed_s;     /* wall seconds of the run so far, over all sessions */
    int64_t data_rows;    /* training rows of the dataset */
    char *data_id;        /* the dataset's identity (augmentation, order seed,
                             source checksums), malloc'd */
    char run_id[CKPT_RUN_ID_LEN + 1]; /* "" in files older than run ids */
    char *parent;         /* "NAME sha256:PREFIX" of the checkpoint this session
                             resumed, "" for a fresh start; malloc'd */
    char *lineage;        /* the run's sessions, one line each; malloc'd */
    /* the data it was trained on: its images' size (28x28 in files older
     * than the attributes when n_in is 784, else 0) and the classes' names
     * (classnames.h; NULL for none, malloc'd) */
    int image_height, image_width;
    char *class_names;
    /* sync mode with momentum (optimizer.h): the last step of every weight,
     * [n_params] in the weights' book order, malloc'd; NULL: none. Written
     * as /optimizer, beside /net, so that a resume takes the same steps. */
    float *velocity;
} ckpt_meta_t;

/* Writes net and meta to path atomically. meta->weights_sha256 is computed
 * here (the caller's value is ignored). */
int ckpt_write(const char *path, const net_t *net, const ckpt_meta_t *meta);

/* Reads a checkpoint: allocates net with the file's sizes, fills meta, and
 * verifies the format, the shapes and the weights' checksum. */
int ckpt_read(const char *path, net_t *net, ckpt_meta_t *meta);

/* As ckpt_read, but a checksum mismatch is not an error: *checksum_ok says
 * whether the weights verify (for nnmpi info, which shows a damaged file). */
int ckpt_inspect(const char *path, net_t *net, ckpt_meta_t *meta, int *checksum_ok);

/* Reads only the training state and lineage (/train, /metrics), not the
 * weights, and verifies nothing beyond the format: cheap, for listing a run
 * directory. net sizes and weights_sha256 are left empty. */
int ckpt_peek(const char *path, ckpt_meta_t *meta);

void ckpt_meta_free(ckpt_meta_t *meta);

#endif
