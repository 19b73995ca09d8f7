/* Tests of the tensor module that one process can run (MPI as a singleton:
 * a group of one rank): how the hidden units are cut into slices, which T
 * fits the ranks and which shapes auto slices, the riders that travel with
 * the output sums, the slices of a deep net with biases taken and put back
 * (gather's placement), and the slices' training step, their partial sums
 * added here as the group would, against the whole net's. The sums over
 * several ranks are e2e_tensor_parallel's (and the stop, timer and failure
 * flags riding them, e2e_preemption's and e2e_faults'). */
#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/rng.h"
#include "nnmpi/tensor.h"
#include "testutil.h"

static void test_slices_tile_the_hidden_units(void)
{
    for (int H = 1; H <= 40; H++)
        for (int T = 1; T <= H; T++) {
            int next = 0, smallest = H, largest = 0;
            for (int t = 0; t < T; t++) {
                int h0, h1;
                tensor_slice_range(H, T, t, &h0, &h1);
                CU_ASSERT_EQUAL(h0, next);
                next = h1;
                smallest = h1 - h0 < smallest ? h1 - h0 : smallest;
                largest = h1 - h0 > largest ? h1 - h0 : largest;
            }
            CU_ASSERT_EQUAL(next, H);
            CU_ASSERT(largest - smallest <= 1);
        }
}

static void test_fit_divides_the_ranks_and_keeps_slices_wide(void)
{
    CU_ASSERT_EQUAL(tensor_fit(2, 2, 200, 16), 2);
    CU_ASSERT_EQUAL(tensor_fit(4, 6, 200, 16), 3);  /* 4 does not divide 6 */
    CU_ASSERT_EQUAL(tensor_fit(8, 8, 100, 16), 4);  /* 100/8 < 16 */
    CU_ASSERT_EQUAL(tensor_fit(2, 3, 200, 16), 1);
    CU_ASSERT_EQUAL(tensor_fit(0, 4, 200, 16), 1);
    CU_ASSERT_EQUAL(tensor_fit(3, 3, 3, 0), 3);     /* one unit each is enough */
    CU_ASSERT_EQUAL(tensor_fit(3, 3, 2, 0), 1);     /* but not none */
}

static void test_riders_travel_with_the_output_sums(void)
{
    tensor_t tp;
    CU_ASSERT_FATAL(tensor_init(&tp, 1, 10) == 0);
    CU_ASSERT_FATAL(tensor_reserve(&tp, 300) == 0);
    CU_ASSERT(tensor_reserve(&tp, (size_t)INT_MAX) < 0); /* more than one MPI message */
    float o[5] = {1, 2, 3, 4, 5}, flags[3] = {1, 0, 2}, got[3] = {-1, -1, -1};

    /* no outputs summed since they were set: the caller sums them itself */
    tensor_set_riders(&tp, flags, 3);
    CU_ASSERT_EQUAL(tensor_take_riders(&tp, got), 0);
    CU_ASSERT_EQUAL(got[0], -1);

    /* summed once with the outputs (over a group of one: unchanged), which
     * stay as they were; then gone */
    tensor_set_riders(&tp, flags, 3);
    tensor_sum_outputs(o, 5, &tp);
    CU_ASSERT_EQUAL(o[0], 1);
    CU_ASSERT_EQUAL(o[4], 5);
    CU_ASSERT_EQUAL(tensor_take_riders(&tp, got), 1);
    CU_ASSERT_EQUAL(got[0], 1);
    CU_ASSERT_EQUAL(got[1], 0);
    CU_ASSERT_EQUAL(got[2], 2);
    CU_ASSERT_EQUAL(tensor_take_riders(&tp, got), 0);

    /* a second sum in the same step carries them only once */
    float big[300] = {0};
    big[299] = 7;
    tensor_set_riders(&tp, flags, 3);
    tensor_sum_outputs(big, 300, &tp);
    tensor_sum_outputs(o, 5, &tp);
    CU_ASSERT_EQUAL(big[299], 7);
    CU_ASSERT_EQUAL(tensor_take_riders(&tp, got), 1);
    CU_ASSERT_EQUAL(got[2], 2);

    /* more outputs than reserved: summed on their own, the riders are
     * left to the caller */
    static float huge[400];
    huge[399] = 3;
    tensor_set_riders(&tp, flags, 3);
    tensor_sum_outputs(huge, 400, &tp);
    CU_ASSERT_EQUAL(huge[399], 3);
    CU_ASSERT_EQUAL(tensor_take_riders(&tp, got), 0);
    tensor_free(&tp);
}

/* A net of the shape with every parameter drawn from [-1, 1). */
static void random_net(net_t *net, const net_shape_t *shape, uint64_t seed)
{
    rng_t rng;
    rng_seed(&rng, seed, 0);
    CU_ASSERT_FATAL(net_init_shape(net, shape, 0) == 0);
    float *book = malloc(net->n_params * sizeof *book);
    CU_ASSERT_FATAL(book != NULL);
    for (size_t i = 0; i < net->n_params; i++)
        book[i] = (float)(2.0 * rng_uniform(&rng) - 1.0);
    net_from_book_order(net, book); /* w0's pads, if any, stay 0 */
    free(book);
}

/* Slice t of T of the first hidden layer, as tensor_init would cut it. */
static tensor_t slice_of(int H, int T, int t)
{
    tensor_t tp = {.T = T, .t = t, .G = 1, .H = H};
    tensor_slice_range(H, T, t, &tp.h0, &tp.h1);
    return tp;
}

/* An empty net of the slice's shape. */
static void slice_net(net_t *slice, const net_shape_t *shape, const tensor_t *tp)
{
    net_shape_t mine = *shape;
    mine.sizes[1] = tp->h1 - tp->h0;
    CU_ASSERT_FATAL(net_init_shape(slice, &mine, 0) == 0);
}

/* Every slice taken and put back (the replicated rest from slice 0's only,
 * as tensor_gather does) rebuilds the net bit for bit; each slice holds
 * its columns of w0 and w1, its biases b0 and the rest whole. */
static void round_trip(const net_shape_t *shape, int T)
{
    net_t full, back;
    random_net(&full, shape, 7);
    CU_ASSERT_FATAL(net_init_shape(&back, shape, 0) == 0);
    const size_t cut = tensor_sliced_floats(&full);
    for (int t = 0; t < T; t++) {
        tensor_t tp = slice_of(shape->sizes[1], T, t);
        net_t slice;
        slice_net(&slice, shape, &tp);
        tensor_take_slice(&tp, &full, &slice);
        const int n = tp.h1 - tp.h0, H = shape->sizes[1];
        CU_ASSERT_EQUAL(slice.w[0][(size_t)2 * slice.ld0 + n - 1],
                        full.w[0][(size_t)2 * full.ld0 + tp.h1 - 1]);
        CU_ASSERT_EQUAL(slice.w[1][n], full.w[1][H + tp.h0]); /* row 1, the slice's first */
        if (shape->bias)
            CU_ASSERT_EQUAL(slice.b[0][0], full.b[0][tp.h0]);
        CU_ASSERT_EQUAL(slice.n_floats - tensor_sliced_floats(&slice), full.n_floats - cut);
        CU_ASSERT(memcmp(slice.params + tensor_sliced_floats(&slice), full.params + cut,
                         (full.n_floats - cut) * sizeof(float)) == 0);
        tensor_place_slice(&back, slice.params, T, t, t == 0);
        net_free(&slice);
    }
    CU_ASSERT(memcmp(back.params, full.params, full.n_floats * sizeof(float)) == 0);
    net_free(&full);
    net_free(&back);
}

static void test_slices_of_a_deep_net_go_back_whole(void)
{
    net_shape_t deep = {.n_layers = 4, .sizes = {12, 7, 5, 4, 3}, .activation = NET_ACT_RELU,
                        .output = NET_OUT_SOFTMAX, .loss = NET_LOSS_CROSS_ENTROPY, .bias = 1};
    for (int T = 1; T <= 7; T++) /* 3, 4, 5, 6 do not divide 7 */
        round_trip(&deep, T);
    net_shape_t three = deep; /* layer 2 is the output layer: nothing above it but b1 */
    three.n_layers = 2;
    three.sizes[2] = 3;
    round_trip(&three, 3);
    net_shape_t book = net_book_shape(12, 7, 3); /* nothing replicated */
    net_t net;
    CU_ASSERT_FATAL(net_init_shape(&net, &book, 0) == 0);
    CU_ASSERT_EQUAL(tensor_sliced_floats(&net), net.n_params);
    net_free(&net);
    round_trip(&book, 3);
    /* rows padded to whole lines (net.h): the whole net's (150 -> 160)
     * and slices' (75 -> 80) or unpadded slices (50, under 64) */
    net_shape_t padded = net_book_shape(12, 150, 3);
    CU_ASSERT_FATAL(net_init_shape(&net, &padded, 0) == 0);
    CU_ASSERT_EQUAL(net.ld0, 160);
    CU_ASSERT_EQUAL(tensor_sliced_floats(&net), net.n_floats);
    net_free(&net);
    for (int T = 1; T <= 3; T++)
        round_trip(&padded, T);
}

static void test_auto_slices_where_the_first_layer_dominates(void)
{
    net_shape_t s = {.n_layers = 3, .sizes = {784, 1000, 500, 10}, .bias = 1};
    CU_ASSERT(tensor_splits_well(&s));
    net_shape_t book = net_book_shape(784, 200, 10);
    CU_ASSERT(tensor_splits_well(&book));
    net_shape_t wide_top = {.n_layers = 4, .sizes = {784, 100, 1000, 1000, 10}, .bias = 1};
    CU_ASSERT(!tensor_splits_well(&wide_top)); /* w3 [1000, 1000] on every rank */
}

/* Where the measured crossovers lie (tensor.c): the book's net between a
 * group's batch of 256 and 384, 784-1000-500-10 between 1,024 and 2,048. */
static void test_auto_shares_large_batches(void)
{
    net_shape_t book = net_book_shape(784, 200, 10);
    CU_ASSERT(tensor_slices_pay(&book, 32));
    CU_ASSERT(tensor_slices_pay(&book, 256));
    CU_ASSERT(!tensor_slices_pay(&book, 384));
    CU_ASSERT(!tensor_slices_pay(&book, 512));
    net_shape_t deep = {.n_layers = 3, .sizes = {784, 1000, 500, 10}, .bias = 1};
    CU_ASSERT(tensor_slices_pay(&deep, 128));
    CU_ASSERT(tensor_slices_pay(&deep, 1024));
    CU_ASSERT(!tensor_slices_pay(&deep, 2048));
}

/* The group, simulated: a first pass records each slice's partial sums of
 * the second layer, the second pass hands every slice their total. */
typedef struct {
    float *partial; /* pass 1: where this slice's partial sums go */
    const float *total;
    int count;
} group_sim_t;

static void group_sim_sum(float *z, int count, void *ctx)
{
    group_sim_t *sim = ctx;
    CU_ASSERT_EQUAL_FATAL(count, sim->count);
    if (sim->partial)
        memcpy(sim->partial, z, (size_t)count * sizeof *z);
    else
        memcpy(z, sim->total, (size_t)count * sizeof *z);
}

/* B images of n pixels, about `lit` of them lit (the step takes the lit
 * pixels' path below 0.4, the dense one above). */
static void images(uint8_t *px, const uint8_t **rows, int B, int n, double lit, rng_t *rng)
{
    for (int b = 0; b < B; b++) {
        rows[b] = px + (size_t)b * n;
        for (int i = 0; i < n; i++)
            px[(size_t)b * n + i] =
                rng_uniform(rng) < lit ? (uint8_t)(1 + 254 * rng_uniform(rng)) : 0;
    }
}

enum { SIM_B = 5, SIM_T = 3 };

/* One slice's step (alpha 1, beta 0: the update alone) into out; with
 * sim.partial its partial sums recorded, else the total used. */
static void slice_step(const net_t *slice, group_sim_t *sim, const uint8_t **rows,
                       const uint8_t *labels, float *out, float *o)
{
    net_work_t work;
    CU_ASSERT_FATAL(net_work_init_pixels(&work, slice, SIM_B) == 0);
    work.sum_outputs = group_sim_sum;
    work.sum_ctx = sim;
    net_batch_update_pixels(slice, &work, rows, labels, SIM_B, NET_RULE_GRADIENT, 1.0f, 0.0f, out,
                            NULL);
    memcpy(o, work.o, (size_t)SIM_B * slice->n_out * sizeof *o);
    net_work_free(&work);
}

/* The slices' updates, put together as tensor_gather would, against the
 * whole net's (within float rounding: the sums are added in another
 * order); every slice computes the same outputs and replicated update. */
static void sliced_step_is_whole(const net_shape_t *shape, double lit)
{
    net_t full;
    random_net(&full, shape, 11);
    for (size_t i = 0; i < full.n_floats; i++)
        full.params[i] *= 0.5f;
    rng_t rng;
    rng_seed(&rng, 5, 0);
    uint8_t px[SIM_B * 12], labels[SIM_B] = {0, 2, 1, 2, 0};
    const uint8_t *rows[SIM_B];
    images(px, rows, SIM_B, shape->sizes[0], lit, &rng);

    net_work_t work;
    float *want = calloc(full.n_floats, sizeof *want), o_want[SIM_B * 3]; /* pads 0 */
    CU_ASSERT_FATAL(want && net_work_init_pixels(&work, &full, SIM_B) == 0);
    net_batch_update_pixels(&full, &work, rows, labels, SIM_B, NET_RULE_GRADIENT, 1.0f, 0.0f,
                            want, NULL);
    memcpy(o_want, work.o, sizeof o_want);
    net_work_free(&work);

    const int count = SIM_B * shape->sizes[2];
    float *partial = calloc((size_t)SIM_T * count, sizeof *partial);
    float *total = calloc((size_t)count, sizeof *total), o[SIM_B * 3];
    net_t got, slice[SIM_T];
    CU_ASSERT_FATAL(partial && total && net_init_shape(&got, shape, 0) == 0);
    for (int t = 0; t < SIM_T; t++) { /* pass 1: the partial sums */
        tensor_t tp = slice_of(shape->sizes[1], SIM_T, t);
        slice_net(&slice[t], shape, &tp);
        tensor_take_slice(&tp, &full, &slice[t]);
        float *scratch = calloc(slice[t].n_floats, sizeof *scratch);
        group_sim_t sim = {partial + (size_t)t * count, NULL, count};
        slice_step(&slice[t], &sim, rows, labels, scratch, o);
        for (int i = 0; i < count; i++)
            total[i] += partial[(size_t)t * count + i];
        free(scratch);
    }
    const size_t rest = full.n_floats - tensor_sliced_floats(&full);
    float *first_rest = malloc((rest + 1) * sizeof *first_rest); /* + 1: never malloc(0) */
    CU_ASSERT_FATAL(first_rest != NULL);
    for (int t = 0; t < SIM_T; t++) { /* pass 2: the group's sums */
        float *out = calloc(slice[t].n_floats, sizeof *out);
        group_sim_t sim = {NULL, total, count};
        slice_step(&slice[t], &sim, rows, labels, out, o);
        for (int i = 0; i < SIM_B * 3; i++)
            CU_ASSERT_DOUBLE_EQUAL(o[i], o_want[i], 1e-5);
        const float *mine = out + tensor_sliced_floats(&slice[t]);
        if (t == 0)
            memcpy(first_rest, mine, rest * sizeof *mine);
        else /* the same code on the same sums: the same bits */
            CU_ASSERT(memcmp(mine, first_rest, rest * sizeof *mine) == 0);
        tensor_place_slice(&got, out, SIM_T, t, t == 0);
        free(out);
        net_free(&slice[t]);
    }
    for (size_t i = 0; i < full.n_floats; i++)
        CU_ASSERT_DOUBLE_EQUAL(got.params[i], want[i], 1e-5 * (1.0 + fabs(want[i])));
    free(first_rest);
    free(partial);
    free(total);
    free(want);
    net_free(&got);
    net_free(&full);
}

static void test_slices_step_as_the_whole_net(void)
{
    net_shape_t deep = {.n_layers = 3, .sizes = {12, 8, 4, 3}, .activation = NET_ACT_TANH,
                        .output = NET_OUT_SOFTMAX, .loss = NET_LOSS_CROSS_ENTROPY, .bias = 1};
    sliced_step_is_whole(&deep, 0.25); /* the lit pixels' path */
    sliced_step_is_whole(&deep, 0.8);  /* the dense one */
    net_shape_t three = deep;          /* the second layer is the output layer */
    three.n_layers = 2;
    three.sizes[2] = 3;
    three.activation = NET_ACT_SIGMOID;
    three.output = NET_OUT_SIGMOID;
    three.loss = NET_LOSS_MSE;
    sliced_step_is_whole(&three, 0.25);
    net_shape_t book = net_book_shape(12, 8, 3); /* net.c's own step */
    sliced_step_is_whole(&book, 0.25);
    sliced_step_is_whole(&book, 0.8);
    net_shape_t padded = net_book_shape(12, 200, 3); /* 208 and slices of 67 -> 80 */
    sliced_step_is_whole(&padded, 0.25);
    sliced_step_is_whole(&padded, 0.8);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    static const testutil_case_t cases[] = {
        {"slices tile the hidden units", test_slices_tile_the_hidden_units},
        {"T divides the ranks and keeps slices wide", test_fit_divides_the_ranks_and_keeps_slices_wide},
        {"riders travel with the output sums", test_riders_travel_with_the_output_sums},
        {"slices of a deep net go back whole", test_slices_of_a_deep_net_go_back_whole},
        {"auto slices where the first layer dominates",
         test_auto_slices_where_the_first_layer_dominates},
        {"auto shares large batches", test_auto_shares_large_batches},
        {"slices step as the whole net", test_slices_step_as_the_whole_net},
        {NULL, NULL},
    };
    int status = testutil_run("tensor", cases);
    MPI_Finalize();
    return status;
}
