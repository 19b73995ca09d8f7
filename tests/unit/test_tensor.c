/* Tests of the tensor module that one process can run (MPI as a singleton:
 * a group of one rank): how the hidden units are cut into slices, which T
 * fits the ranks, and the riders that travel with the output sums. The
 * sums over several ranks are e2e_tensor_parallel's (and the stop, timer
 * and failure flags riding them, e2e_preemption's and e2e_faults'). */
#include <mpi.h>

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

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    static const testutil_case_t cases[] = {
        {"slices tile the hidden units", test_slices_tile_the_hidden_units},
        {"T divides the ranks and keeps slices wide", test_fit_divides_the_ranks_and_keeps_slices_wide},
        {"riders travel with the output sums", test_riders_travel_with_the_output_sums},
        {NULL, NULL},
    };
    int status = testutil_run("tensor", cases);
    MPI_Finalize();
    return status;
}
