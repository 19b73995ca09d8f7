/* checkpoint: the model file (`model.h5`) and training checkpoints, one
 * format for both, readable by any HDF5 tool.
 *
 * Layout (format "nnmpi-checkpoint", version 1):
 *   /net/w_ih float32 [H, 784]   /net/w_ho float32 [10, H]
 *   /net attributes: n_in, n_hidden, n_out, activation ("sigmoid"), rule
 *   /train attributes: epoch (completed), step (within the next epoch),
 *     seed, world_size, config (resolved INI text)
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
#define CKPT_VERSION 1

typedef struct {
    int epoch;            /* epochs completed */
    int64_t step;         /* steps completed within epoch `epoch`+1 */
    uint64_t seed;
    int world_size;       /* ranks that wrote it */
    net_rule_t rule;
    char *config_text;    /* resolved config, malloc'd */
    metrics_t metrics;
    char weights_sha256[65];
} ckpt_meta_t;

/* Writes net and meta to path atomically. meta->weights_sha256 is computed
 * here (the caller's value is ignored). */
int ckpt_write(const char *path, const net_t *net, const ckpt_meta_t *meta);

/* Reads a checkpoint: allocates net with the file's sizes, fills meta, and
 * verifies the format, the shapes and the weights' checksum. */
int ckpt_read(const char *path, net_t *net, ckpt_meta_t *meta);

void ckpt_meta_free(ckpt_meta_t *meta);

#endif
