/* net: the book's three-layer sigmoid network (inputs, one hidden layer,
 * outputs, no biases) with ONE contiguous parameter buffer.
 *
 * params = [ w_ih_t | w_ho ]: w_ih_t is [inputs, hidden], the transpose of
 * the book's wih, so that the weights leaving one pixel are one contiguous
 * row (a sparse input then reads only the rows of its lit pixels); w_ho is
 * [outputs, hidden] as in the book. Both row-major. Any buffer with this
 * layout (an update, a sum over ranks) can be viewed the same way, so one
 * MPI_Allreduce covers the whole model. Checkpoints store the book's
 * orientation (net_to_book_order).
 *
 * Conventions (kept so the book's numbers compare): inputs are
 * pixel/255*0.99+0.01, targets 0.01 with 0.99 at the label, output error
 * e_o = t - o. Rule "book" passes e_h = w_ho^T e_o back to the hidden layer
 * (without the output sigmoid's derivative, as the book does); rule
 * "gradient" passes w_ho^T (e_o*o*(1-o)), the exact gradient of the loss
 * 0.5*sum((t-o)^2). Updates are lr * (mean over the batch). */
#ifndef NNMPI_NET_H
#define NNMPI_NET_H

#include <stddef.h>
#include <stdint.h>

#include "nnmpi/rng.h"
#include "nnmpi/sparse_batch.h"

#define NET_TARGET_LOW 0.01f
#define NET_TARGET_HIGH 0.99f

typedef enum { NET_RULE_BOOK = 0, NET_RULE_GRADIENT = 1 } net_rule_t;

typedef struct {
    int n_in, n_hidden, n_out;
    size_t n_params;   /* n_hidden*n_in + n_out*n_hidden */
    size_t n_room;     /* floats of spare room after the parameters */
    float *params;     /* [n_params + n_room], owned */
    float *w_ih_t;     /* view: [n_in, n_hidden], w_ih_t[i*n_hidden + j] = wih[j][i] */
    float *w_ho;       /* view: [n_out, n_hidden] */
} net_t;

/* Scratch space for a batch of up to `capacity` samples; one per net user,
 * allocated once so the training loop never allocates. */
typedef struct {
    int capacity;
    float *x;     /* [capacity, n_in]  inputs */
    float *h;     /* [capacity, n_hidden] hidden outputs */
    float *o;     /* [capacity, n_out] final outputs */
    float *d_o;   /* [capacity, n_out] output deltas e_o*o*(1-o) */
    float *e_h;   /* [capacity, n_hidden] hidden errors, then deltas */
    /* for net_batch_update_pixels only (net_work_init_pixels): */
    sparse_batch_t lit;  /* the batch's lit pixels */
    float *ones;         /* [max(capacity, n_in)] all 1, for sums by sgemv */
    float *col_sum;      /* [n_hidden] sum over the inputs of w_ih_t's rows */
    float *e_sum;        /* [n_hidden] sum over the batch of the hidden deltas */
    float *offset;       /* [n_hidden] net_loop_*: u, added to every row of w_ih_t */
    /* Tensor parallelism (tensor.h): the net holds some of the hidden units
     * only, and this, when set, sums the output layer's pre-activations
     * [count] over the ranks holding the others, in place, before the
     * sigmoid. Training functions call it; net_forward does not. */
    void (*sum_outputs)(float *o, int count, void *ctx);
    void *sum_ctx;
} net_work_t;

/* Per-batch figures returned by the training functions. */
typedef struct {
    double loss_sum;   /* sum over samples of 0.5*sum_k (t_k - o_k)^2 */
    int64_t correct;   /* samples whose largest output was the label */
    int64_t count;     /* samples seen */
} net_stats_t;

size_t net_param_count(int n_in, int n_hidden, int n_out);

/* Allocates a net of the given sizes with zero weights; 0 or -1. */
int net_init(net_t *net, int n_in, int n_hidden, int n_out);

/* As net_init, with `room` spare floats after the parameters in the same
 * buffer: the trainer's statistics ride there in the same reduction. */
int net_init_room(net_t *net, int n_in, int n_hidden, int n_out, size_t room);

/* Frees the buffer; safe on a zeroed struct. */
void net_free(net_t *net);

/* The book's initialisation: w_ih ~ N(0, n_in^-1/2), w_ho ~ N(0, n_hidden^-1/2). */
void net_init_weights(net_t *net, rng_t *rng);

int net_work_init(net_work_t *work, const net_t *net, int capacity);
/* As net_work_init, with room for net_batch_update_pixels. */
int net_work_init_pixels(net_work_t *work, const net_t *net, int capacity);
void net_work_free(net_work_t *work);

/* The book's layout <-> this one: book = [wih [H,I] | who], I*H + O*H
 * floats, as checkpoints store them. */
void net_to_book_order(const net_t *net, float *book);
void net_from_book_order(net_t *net, const float *book);

/* x[i] = pixels[i]/255*0.99 + 0.01 for n values. */
void net_scale_input(const uint8_t *pixels, float *x, size_t n);
/* The 256 input values of the pixel values 0..255 (table[0] = 0.01). */
const float *net_input_table(void);

/* Forward pass of B <= capacity samples from work->x into work->h, work->o. */
void net_forward(const net_t *net, net_work_t *work, int B);

/* Forward and backward for the B >= 1 samples in work->x with the given
 * labels: writes into delta (layout of params, overwritten) the SUM over the
 * batch of the per-sample updates WITHOUT the learning rate, e.g.
 * delta_w_ho = sum_b (e_o*o*(1-o)) h^T. The weights are not changed; stats
 * (may be NULL) accumulate loss and accuracy measured before the update. */
void net_batch_delta(const net_t *net, net_work_t *work, const uint8_t *labels,
                     int B, net_rule_t rule, float *delta, net_stats_t *stats);

/* The same update U, combined in place: out = alpha*U + beta*out (layout of
 * params). out may be net->params itself (alpha = lr/B, beta = 1 is a plain
 * SGD step, with no separate buffer): every weight is read before it is
 * written. */
void net_batch_update(const net_t *net, net_work_t *work, const uint8_t *labels, int B,
                      net_rule_t rule, float alpha, float beta, float *out, net_stats_t *stats);

/* net_batch_update from the B images' 8-bit pixels (pixels[b], n_in each)
 * rather than work->x, on a work made by net_work_init_pixels: products over
 * the lit pixels only (sparse_batch.h), or the dense products when more
 * than NET_DENSE_ABOVE of the batch's pixels are lit. Same results up to
 * float rounding. */
#define NET_DENSE_ABOVE 0.4
void net_batch_update_pixels(const net_t *net, net_work_t *work, const uint8_t *const *pixels,
                             const uint8_t *labels, int B, net_rule_t rule, float alpha,
                             float beta, float *out, net_stats_t *stats);

/* params += scale * delta (the caller passes scale = lr / batch). */
void net_apply_delta(net_t *net, const float *delta, float scale);

/* The book's train(): one sample (x = work->x row 0), weights updated in
 * place with learning rate lr. stats may be NULL. Dense and plain: the
 * reference net_loop_sample (what local mode runs) is tested against. */
void net_train_sample(net_t *net, net_work_t *work, int label, float lr,
                      net_rule_t rule, net_stats_t *stats);

/* The book's per-sample loop over the lit pixels only (local mode), the
 * same updates as net_train_sample up to float rounding. Between
 * net_loop_begin and net_loop_end the input weights are held as
 * w_ih_t + 1.u^T, u in work->offset: a sample's update lr.x.e_h^T with
 * x = 0.01 + v adds lr.v_i.e_h to the rows of its lit pixels i only, and
 * its background share lr.0.01.e_h, the same for every row, to u. So a
 * sample costs its lit rows, not all 784; net_loop_end folds u into the
 * weights, which nothing else may read or write in between. The work
 * must come from net_work_init_pixels. */
void net_loop_begin(const net_t *net, net_work_t *work);
void net_loop_sample(net_t *net, net_work_t *work, const uint8_t *pixels, int label, float lr,
                     net_rule_t rule, net_stats_t *stats);
void net_loop_end(net_t *net, net_work_t *work);

/* Index of the largest of n outputs (the first on ties). */
int net_argmax(const float *o, int n);

/* The book's back-query: from a target output vector [n_out] back to an
 * input image [n_in] with values in 0.01..0.99 (logit, w^T, rescale per
 * layer). Returns 0, or -1 if a target is outside (0, 1). */
int net_backquery(const net_t *net, const float *target, float *image);

/* 1 if every parameter is finite. */
int net_is_finite(const net_t *net);

#endif
