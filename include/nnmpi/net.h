/* net: a multilayer perceptron with ONE contiguous parameter buffer; the
 * book's three-layer sigmoid network (inputs, one hidden layer, outputs, no
 * biases, squared error) is the default and has its own fast path here.
 *
 * params = [ w0 | b0 | w1 | b1 | ... ] for the L weight layers (b only with
 * biases). w0 is [inputs, n1], the transpose of the book's wih, so that the
 * weights leaving one pixel are one contiguous row (a sparse input then
 * reads only the rows of its lit pixels); w[l > 0] is [n_{l+1}, n_l] as in
 * the book; b[l] is [n_{l+1}]. All row-major. For the book's shape this is
 * [ w_ih_t | w_ho ]. From 64 units in the first hidden layer each row of
 * w0 is padded to whole cache lines (ld0 floats, the pads kept 0): a row
 * then starts a line, and the lit-pixel kernels, which read and write whole
 * rows, never split a load (a third faster at 100 and 200 units, a quarter
 * at 1,000). Any buffer with this
 * layout (an update, a sum over ranks; n_floats long) can be viewed the
 * same way, so one MPI_Allreduce covers the whole model. Checkpoints store
 * the book's orientation without pads (net_to_book_order, n_params floats).
 *
 * Conventions (kept so the book's numbers compare): inputs are
 * pixel/255*0.99+0.01; sigmoid outputs have targets 0.01 with 0.99 at the
 * label (softmax outputs: one-hot 0 and 1); output error e_o = t - o. For
 * the book's net, rule "book" passes e_h = w_ho^T e_o back to the hidden
 * layer (without the output sigmoid's derivative, as the book does); rule
 * "gradient" passes w_ho^T (e_o*o*(1-o)), the exact gradient of the loss
 * 0.5*sum((t-o)^2). Other shapes (mlp.c) always follow the exact gradient
 * of their loss. Updates are lr * (mean over the batch). */
#ifndef NNMPI_NET_H
#define NNMPI_NET_H

#include <stddef.h>
#include <stdint.h>

#include "nnmpi/rng.h"
#include "nnmpi/sparse_batch.h"

#define NET_TARGET_LOW 0.01f
#define NET_TARGET_HIGH 0.99f

typedef enum { NET_RULE_BOOK = 0, NET_RULE_GRADIENT = 1 } net_rule_t;

/* The choices of a shape; the enums index the NULL-terminated name lists
 * below (the configuration's and the files' spellings). */
typedef enum { NET_ACT_SIGMOID = 0, NET_ACT_TANH = 1, NET_ACT_RELU = 2 } net_activation_t;
typedef enum { NET_OUT_SIGMOID = 0, NET_OUT_SOFTMAX = 1 } net_output_t;
typedef enum { NET_LOSS_MSE = 0, NET_LOSS_CROSS_ENTROPY = 1 } net_loss_t;
typedef enum { NET_INIT_BOOK = 0, NET_INIT_GLOROT = 1, NET_INIT_HE = 2 } net_init_t;
extern const char *const net_activation_names[]; /* sigmoid, tanh, relu */
extern const char *const net_output_names[];     /* sigmoid, softmax */
extern const char *const net_loss_names[];       /* mse, cross_entropy */
extern const char *const net_init_names[];       /* book, glorot, he */

#define NET_MAX_LAYERS 8      /* weight layers */
#define NET_MAX_UNITS (1 << 20)  /* units of one layer */

/* A network's shape: sizes[0] inputs, sizes[1..L-1] hidden, sizes[L]
 * outputs (L >= 2 weight layers); activation of the hidden layers; output
 * function, loss, biases. */
typedef struct {
    int n_layers;                    /* L, weight layers */
    int sizes[NET_MAX_LAYERS + 1];
    net_activation_t activation;
    net_output_t output;
    net_loss_t loss;
    int bias;
} net_shape_t;

typedef struct {
    int n_in, n_hidden, n_out;  /* sizes[0], sizes[1] (the first hidden layer), sizes[L] */
    net_shape_t shape;
    size_t n_params;   /* the weights (and biases) of every layer */
    size_t n_floats;   /* the layout's floats: n_params and w0's pads */
    int ld0;           /* floats from one row of w0 to the next (>= n1) */
    size_t n_room;     /* floats of spare room after the parameters */
    float *params;     /* [n_floats + n_room], owned */
    float *w[NET_MAX_LAYERS]; /* views: w[0] [n_in, n1]; w[l] [n_{l+1}, n_l] */
    float *b[NET_MAX_LAYERS]; /* views: b[l] [n_{l+1}], NULL without biases */
    float *w_ih_t;     /* = w[0]: [n_in, ld0], w_ih_t[i*ld0 + j] = wih[j][i] */
    float *w_ho;       /* = w[1] when L = 2: [n_out, n_hidden]; NULL for deeper nets */
} net_t;

/* Scratch space for a batch of up to `capacity` samples; one per net user,
 * allocated once so the training loop never allocates. */
typedef struct {
    int capacity;
    float *x;     /* [capacity, n_in]  inputs */
    int ldh;      /* floats from one row of h and e_h (act[1], delta[1]) to the
                   * next: the net's ld0, so that the update's rows of e_h
                   * start cache lines too */
    float *h;     /* [capacity, ldh] hidden outputs */
    float *o;     /* [capacity, n_out] final outputs */
    float *d_o;   /* [capacity, n_out] output deltas e_o*o*(1-o) */
    float *e_h;   /* [capacity, ldh] hidden errors, then deltas */
    /* for net_batch_update_pixels only (net_work_init_pixels): */
    sparse_batch_t lit;  /* the batch's lit pixels */
    float *ones;         /* [max(capacity, n_in)] all 1, for sums by sgemv */
    float *col_sum;      /* [n_hidden] sum over the inputs of w_ih_t's rows */
    float *e_sum;        /* [n_hidden] sum over the batch of the hidden deltas */
    float *offset;       /* [n_hidden] net_loop_*: u, added to every row of w_ih_t */
    /* every layer's outputs and deltas, for other shapes than the book's
     * (mlp.c): act[0] = x, act[1] = h, act[L] = o; delta[1] = e_h,
     * delta[L] = d_o; the layers between in `between` */
    float *act[NET_MAX_LAYERS + 1];   /* act[l]: [capacity, sizes[l]] (l = 1: rows ldh apart) */
    float *delta[NET_MAX_LAYERS + 1]; /* delta[l]: the same, minus dLoss/dz */
    float *between;
    /* Tensor parallelism (tensor.h): the net holds some of the first
     * hidden layer's units only, and this, when set, sums the second
     * layer's products [count] (the book's net: its outputs) over the
     * ranks holding the others, in place, before that layer's biases and
     * function. Training functions call it; net_forward does not. */
    void (*sum_outputs)(float *o, int count, void *ctx);
    void *sum_ctx;
} net_work_t;

/* Per-batch figures returned by the training functions. */
typedef struct {
    double loss_sum;   /* sum over samples of their loss (net_sample_loss) */
    int64_t correct;   /* samples whose largest output was the label */
    int64_t count;     /* samples seen */
} net_stats_t;

size_t net_param_count(int n_in, int n_hidden, int n_out);

/* The book's shape n_in-n_hidden-n_out (sigmoid, squared error, no biases). */
net_shape_t net_book_shape(int n_in, int n_hidden, int n_out);

/* Whether a shape is the book's (any sizes): such nets take the book's own
 * code, bit for bit what it always computed; others take mlp.c's. */
int net_shape_is_book(const net_shape_t *shape);

/* 0 if the shape is one nnmpi trains, else -1 saying why (sizes, depth,
 * softmax without cross-entropy). */
int net_shape_check(const net_shape_t *shape);

/* Parameters of a shape (weights and biases); 0 if it is not valid. */
size_t net_shape_params(const net_shape_t *shape);

/* Floats in a cache line, and a line's bytes. */
#define NET_LINE_FLOATS 16
#define NET_LINE_BYTES 64
/* The layout of a shape's buffer: w0's row stride ld0 (n1, rounded up to
 * whole lines from NET_PAD_FROM units, where the pads cost under a quarter
 * more floats) and its floats (parameters and pads). */
#define NET_PAD_FROM 64
int net_shape_ld0(const net_shape_t *shape);
size_t net_shape_floats(const net_shape_t *shape);

/* n floats, zeroed, starting a cache line (a layout buffer whose rows then
 * start lines too); NULL if out of memory. free() frees it. */
float *net_alloc_floats(size_t n);

/* "784-300-100-10" into buf. */
void net_shape_sizes_text(const net_shape_t *shape, char *buf, size_t size);

/* "784-300-100-10 relu, softmax + cross_entropy, biases" into buf. */
void net_shape_describe(const net_shape_t *shape, char *buf, size_t size);

/* Allocates a net of the shape with zero weights and `room` spare floats
 * after the parameters in the same buffer; 0 or -1. */
int net_init_shape(net_t *net, const net_shape_t *shape, size_t room);

/* Allocates a net of the given sizes with zero weights; 0 or -1. */
int net_init(net_t *net, int n_in, int n_hidden, int n_out);

/* As net_init, with `room` spare floats after the parameters in the same
 * buffer: the trainer's statistics ride there in the same reduction. */
int net_init_room(net_t *net, int n_in, int n_hidden, int n_out, size_t room);

/* Frees the buffer; safe on a zeroed struct. */
void net_free(net_t *net);

static inline int net_is_book_shape(const net_t *net)
{
    return net_shape_is_book(&net->shape);
}

/* The book's initialisation: w_ih ~ N(0, n_in^-1/2), w_ho ~ N(0, n_hidden^-1/2). */
void net_init_weights(net_t *net, rng_t *rng);

/* Every layer's weights drawn as `init` says (fan_in, fan_out: the layer's
 * inputs and outputs): book normal(0, fan_in^-1/2), glorot
 * uniform(+-sqrt(6/(fan_in+fan_out))), he normal(0, sqrt(2/fan_in));
 * biases 0. Drawn layer by layer in the book's orientation ([out, in],
 * output-major), so a seed gives the same net whatever the layout in
 * memory; book on the book's shape is net_init_weights. */
void net_init_weights_as(net_t *net, net_init_t init, rng_t *rng);

int net_work_init(net_work_t *work, const net_t *net, int capacity);
/* As net_work_init, with room for net_batch_update_pixels. */
int net_work_init_pixels(net_work_t *work, const net_t *net, int capacity);
void net_work_free(net_work_t *work);

/* The book's layout <-> this one: book = [wih [H,I] | who], I*H + O*H
 * floats, as checkpoints store them; for other shapes the same layout as
 * params with w0 as [n1, n_in] ([w1 | b1 | w2 | b2 ...] in the files'
 * 1-based names). */
void net_to_book_order(const net_t *net, float *book);
void net_from_book_order(net_t *net, const float *book);

/* Part of net_to_book_order without the whole copy: rows [r0, r1) of w0
 * in the book's orientation (units r0..r1-1, n_in floats each) into out,
 * and where the parameters after w0 lie, already in the book's order
 * (n_params - n_in * n1 floats). */
void net_book_rows(const net_t *net, int r0, int r1, float *out);
const float *net_book_rest(const net_t *net);

/* The weight matrices and bias vectors of a shape in the book's
 * orientation, as files store them: the book's net as w_ih [H, I] and
 * w_ho [O, H]; other shapes w1..wL [n_l, n_{l-1}] and, with biases,
 * b1..bL [n_l] (cols 0: a vector). `offset` is where each lies in the
 * book-order buffer (net_to_book_order). One list for every file format
 * (checkpoint.c's writer, shape check and reader; the exports, which use
 * the names of the book's Python code, wih and who, for its net). */
typedef struct {
    char name[16];     /* in checkpoints */
    char py_name[16];  /* in .npz and ONNX files: wih, who; else as name */
    uint64_t rows, cols;
    size_t offset;
} net_array_t;
#define NET_MAX_ARRAYS (2 * NET_MAX_LAYERS)

/* Fills a[NET_MAX_ARRAYS]; returns how many arrays. */
int net_arrays(const net_shape_t *shape, net_array_t *a);

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

/* net_forward from the B images' 8-bit pixels, on a work made by
 * net_work_init_pixels: the book's net over the lit pixels only, as
 * net_batch_update_pixels computes it (other nets, and dense batches, with
 * net_forward's dense products). With work->sum_outputs set, the partial
 * sums are summed as in training. */
void net_forward_pixels(const net_t *net, net_work_t *work, const uint8_t *const *pixels, int B);

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
 * must come from net_work_init_pixels. Other shapes than the book's run
 * the same for their first layer's weights, the exact gradient above it. */
void net_loop_begin(const net_t *net, net_work_t *work);
void net_loop_sample(net_t *net, net_work_t *work, const uint8_t *pixels, int label, float lr,
                     net_rule_t rule, net_stats_t *stats);
void net_loop_end(net_t *net, net_work_t *work);

/* Index of the largest of n outputs (the first on ties). */
int net_argmax(const float *o, int n);

/* The loss of one sample's outputs o [n_out] with its label: squared error
 * 0.5*sum (t-o)^2, softmax cross-entropy -log o_label, sigmoid
 * cross-entropy -sum (t log o + (1-t) log(1-o)). */
double net_sample_loss(const net_t *net, const float *o, int label);

/* The book's back-query: from a target output vector [n_out] back to an
 * input image [n_in] with values in 0.01..0.99 (logit, w^T, rescale per
 * layer; other shapes through every layer, mlp.h). Returns 0, or -1 if a
 * target is outside (0, 1) or the net has ReLU layers (not invertible). */
int net_backquery(const net_t *net, const float *target, float *image);

/* 1 if every parameter is finite. */
int net_is_finite(const net_t *net);

#endif
