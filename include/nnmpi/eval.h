/* eval: accuracy and confusion matrix of a net on a labelled image set. */
#ifndef NNMPI_EVAL_H
#define NNMPI_EVAL_H

#include <stdint.h>
#include <stdio.h>

#include "nnmpi/imageset.h"
#include "nnmpi/net.h"

typedef struct {
    int n_classes;              /* the net's outputs */
    int64_t *confusion;         /* [n_classes, n_classes]: [true label][predicted] */
    int64_t correct, count;
    double loss_sum;            /* sum of the net's loss (net_sample_loss) */
} eval_result_t;

/* Runs the whole set through the net in batches; 0 or -1 (a label the net
 * has no output for is refused). res is allocated here: eval_result_free. */
int eval_run(const net_t *net, const imageset_t *set, eval_result_t *res);

/* The same for share `share` of `shares` (0 <= share < shares): the
 * batches share, share + shares, ... Every batch is computed as eval_run
 * computes it, so the shares of all ranks add up to eval_run's counts
 * exactly. */
int eval_run_share(const net_t *net, const imageset_t *set, int share, int shares,
                   eval_result_t *res);

/* Frees the matrix; safe on a zeroed result and twice. */
void eval_result_free(eval_result_t *res);

/* Images of class `label` that the net called `guess`. */
static inline int64_t eval_count(const eval_result_t *res, int label, int guess)
{
    return res->confusion[(size_t)label * res->n_classes + guess];
}

static inline double eval_accuracy(const eval_result_t *res)
{
    return res->count ? (double)res->correct / (double)res->count : 0.0;
}

/* The confusion matrix as a table with per-class recall; a row's class
 * named after its number when class_names (classnames.h) has names. */
void eval_print_confusion(FILE *out, const eval_result_t *res, const char *class_names);

#endif
