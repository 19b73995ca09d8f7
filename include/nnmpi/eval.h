/* eval: accuracy and confusion matrix of a net on a labelled image set. */
#ifndef NNMPI_EVAL_H
#define NNMPI_EVAL_H

#include <stdint.h>
#include <stdio.h>

#include "nnmpi/imageset.h"
#include "nnmpi/net.h"

typedef struct {
    int64_t confusion[10][10];  /* [true label][predicted] */
    int64_t correct, count;
    double loss_sum;            /* sum of the net's loss (net_sample_loss) */
} eval_result_t;

/* Runs the whole set through the net in batches; 0 or -1. */
int eval_run(const net_t *net, const imageset_t *set, eval_result_t *res);

static inline double eval_accuracy(const eval_result_t *res)
{
    return res->count ? (double)res->correct / (double)res->count : 0.0;
}

/* The confusion matrix as a table with per-class recall. */
void eval_print_confusion(FILE *out, const eval_result_t *res);

#endif
