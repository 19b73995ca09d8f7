/* Tests of the shard module over many (N, L, P): the ranks' row ranges tile
 * the training set in rank order, lanes are balanced, the step counts add
 * up, every epoch visits every row exactly once, and -- the property sync
 * mode rests on -- the global batch of every step is the same set of rows
 * whatever the number of ranks. */
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/shard.h"
#include "testutil.h"

static const int64_t Ns[] = {1, 2, 3, 5, 7, 10, 16, 31, 32, 33, 64, 100, 257, 1003};
static const int Ls[] = {1, 2, 3, 4, 5, 7, 8, 16, 32, 33};
#define COUNT(a) (sizeof a / sizeof a[0])
#define PMAX 8

/* The visiting order of every lane for one epoch, gathered from all ranks of
 * a P-rank plan: row[s * L + lane] = global row visited by lane at step s,
 * or -1 where the lane has no row at that step. Returns NULL (with a failed
 * assertion) if the plan is inconsistent. */
static int64_t *global_schedule(int64_t N, int L, int P, uint64_t seed, int epoch, int shuffle)
{
    shard_t s0;
    if (shard_init(&s0, N, L, 0, P) != 0)
        return NULL;
    int64_t steps = s0.steps;
    int64_t *row = malloc((size_t)(steps * L) * sizeof *row);
    for (int64_t i = 0; i < steps * L; i++)
        row[i] = -1;
    for (int r = 0; r < P; r++) {
        shard_t s;
        CU_ASSERT_FATAL(shard_init(&s, N, L, r, P) == 0);
        uint32_t *order = malloc((size_t)(s.lane_count * s.steps + 1) * sizeof *order);
        shard_epoch_order(&s, seed, epoch, shuffle, order);
        for (int j = 0; j < s.lane_count; j++) {
            int lane = s.lane_first + j;
            int64_t n = shard_lane_rows(&s, lane);
            for (int64_t k = 0; k < n; k++) {
                uint32_t pos = order[(size_t)j * s.steps + k];
                CU_ASSERT_FATAL(pos < n);
                int64_t local = shard_local_index(&s, lane, pos);
                CU_ASSERT_FATAL(local >= 0 && local < s.n_local);
                CU_ASSERT_FATAL(row[k * L + lane] == -1);
                row[k * L + lane] = s.row_first + local;
            }
        }
        free(order);
    }
    return row;
}

/* Checks of one (N, L, P) plan that need no epoch order. */
static void check_plan(int64_t N, int L, int P)
{
    shard_t s[PMAX];
    int64_t next_row = 0;
    int next_lane = 0, lanes = 0, min_lanes = L, max_lanes = 0;
    for (int r = 0; r < P; r++) {
        error_clear();
        CU_ASSERT_EQUAL_FATAL(shard_init(&s[r], N, L, r, P), 0);
        CU_ASSERT_EQUAL(s[r].n_rows, N);
        CU_ASSERT_EQUAL(s[r].n_lanes, L);
        CU_ASSERT_EQUAL(s[r].rank, r);
        CU_ASSERT_EQUAL(s[r].size, P);
        CU_ASSERT_EQUAL(s[r].steps, (N + L - 1) / L);
        /* rows and lanes tile in rank order: no gap, no overlap */
        CU_ASSERT_EQUAL_FATAL(s[r].row_first, next_row);
        CU_ASSERT_EQUAL_FATAL(s[r].lane_first, next_lane);
        CU_ASSERT(s[r].lane_count >= 1);
        CU_ASSERT(s[r].n_local >= 1);
        next_row += s[r].n_local;
        next_lane += s[r].lane_count;
        lanes += s[r].lane_count;
        min_lanes = s[r].lane_count < min_lanes ? s[r].lane_count : min_lanes;
        max_lanes = s[r].lane_count > max_lanes ? s[r].lane_count : max_lanes;
        /* a rank's rows are exactly its lanes' rows */
        int64_t own = 0;
        for (int j = 0; j < s[r].lane_count; j++) {
            int lane = s[r].lane_first + j;
            CU_ASSERT_EQUAL(shard_lane_start(&s[r], lane), s[r].row_first + own);
            CU_ASSERT_EQUAL(shard_local_index(&s[r], lane, 0), own);
            own += shard_lane_rows(&s[r], lane);
        }
        CU_ASSERT_EQUAL(own, s[r].n_local);
        /* the first L mod P ranks hold the extra lanes */
        CU_ASSERT_EQUAL(s[r].lane_count, L / P + (r < L % P));
    }
    CU_ASSERT_EQUAL(next_row, N);
    CU_ASSERT_EQUAL(next_lane, L);
    CU_ASSERT_EQUAL(lanes, L);
    CU_ASSERT(max_lanes - min_lanes <= 1);

    /* lanes: contiguous, sizes within one of each other, summing to N */
    int64_t start = 0, total = 0, lo = N, hi = 0;
    for (int lane = 0; lane < L; lane++) {
        int64_t n = shard_lane_rows(&s[0], lane);
        CU_ASSERT_EQUAL(shard_lane_start(&s[0], lane), start);
        CU_ASSERT(n >= 1);
        start += n;
        total += n;
        lo = n < lo ? n : lo;
        hi = n > hi ? n : hi;
    }
    CU_ASSERT_EQUAL(total, N);
    CU_ASSERT(hi - lo <= 1);
    CU_ASSERT_EQUAL(hi, s[0].steps); /* the longest lane sets the steps */

    /* step counts: L per full step, the remainder last, summing to N; each
     * is the number of lanes still holding a row at that step */
    int64_t sum = 0;
    for (int64_t st = 0; st < s[0].steps; st++) {
        int c = shard_step_count(&s[0], st);
        int live = 0;
        for (int lane = 0; lane < L; lane++)
            live += shard_lane_rows(&s[0], lane) > st;
        CU_ASSERT_EQUAL(c, live);
        CU_ASSERT(c >= 1 && c <= L);
        sum += c;
    }
    CU_ASSERT_EQUAL(sum, N);
    CU_ASSERT_EQUAL(shard_step_count(&s[0], s[0].steps), 0);
}

static void test_plans_tile(void)
{
    int plans = 0;
    for (size_t a = 0; a < COUNT(Ns); a++)
        for (size_t b = 0; b < COUNT(Ls); b++)
            for (int P = 1; P <= PMAX; P++) {
                int64_t N = Ns[a];
                int L = Ls[b];
                if (L < P || N < L)
                    continue;
                check_plan(N, L, P);
                plans++;
            }
    /* the named corner cases are among them */
    check_plan(1003, 7, 3);   /* N % L != 0, L % P != 0 */
    check_plan(1003, 4, 4);   /* L == P (local mode) */
    check_plan(1003, 32, 1);  /* P == 1 */
    check_plan(33, 33, 5);    /* N == L: one step */
    check_plan(1, 1, 1);
    CU_ASSERT(plans > 300);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Every row of every lane visited once per epoch, and the global batch of
 * every step the same set (indeed the same lane->row map) for P = 1..4. */
static void check_epochs(int64_t N, int L, uint64_t seed)
{
    for (int epoch = 0; epoch < 3; epoch++) {
        int64_t *ref = global_schedule(N, L, 1, seed, epoch, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
        int64_t steps = (N + L - 1) / L;
        /* all N rows exactly once over the epoch; lanes stay in their rows */
        char *seen = calloc((size_t)N, 1);
        shard_t s1;
        CU_ASSERT_FATAL(shard_init(&s1, N, L, 0, 1) == 0);
        for (int64_t st = 0; st < steps; st++)
            for (int lane = 0; lane < L; lane++) {
                int64_t g = ref[st * L + lane];
                if (st < shard_lane_rows(&s1, lane)) {
                    CU_ASSERT_FATAL(g >= shard_lane_start(&s1, lane) &&
                                    g < shard_lane_start(&s1, lane) + shard_lane_rows(&s1, lane));
                    CU_ASSERT_FATAL(!seen[g]);
                    seen[g] = 1;
                } else {
                    CU_ASSERT_EQUAL_FATAL(g, -1);
                }
            }
        int64_t visited = 0;
        for (int64_t i = 0; i < N; i++)
            visited += seen[i];
        CU_ASSERT_EQUAL(visited, N);
        free(seen);

        for (int P = 2; P <= 4 && P <= L; P++) {
            int64_t *got = global_schedule(N, L, P, seed, epoch, 1);
            CU_ASSERT_PTR_NOT_NULL_FATAL(got);
            /* as sets per step */
            int64_t a[64], b[64];
            for (int64_t st = 0; st < steps; st++) {
                int na = 0, nb = 0;
                for (int lane = 0; lane < L; lane++) {
                    if (ref[st * L + lane] >= 0)
                        a[na++] = ref[st * L + lane];
                    if (got[st * L + lane] >= 0)
                        b[nb++] = got[st * L + lane];
                }
                CU_ASSERT_EQUAL_FATAL(na, nb);
                qsort(a, (size_t)na, sizeof *a, cmp_i64);
                qsort(b, (size_t)nb, sizeof *b, cmp_i64);
                CU_ASSERT_EQUAL_FATAL(memcmp(a, b, (size_t)na * sizeof *a), 0);
            }
            /* and lane by lane */
            CU_ASSERT_EQUAL(memcmp(ref, got, (size_t)(steps * L) * sizeof *ref), 0);
            free(got);
        }
        free(ref);
    }
}

static void test_global_batch_independent_of_ranks(void)
{
    check_epochs(1003, 32, 42);
    check_epochs(1003, 7, 42);
    check_epochs(100, 4, 1);
    check_epochs(33, 33, 9);
    check_epochs(10, 3, 5);
    check_epochs(257, 5, 123456789);
}

static void test_orders(void)
{
    const int64_t N = 1003;
    const int L = 7, P = 3;
    shard_t s;
    CU_ASSERT_FATAL(shard_init(&s, N, L, 1, P) == 0);
    size_t n = (size_t)(s.lane_count * s.steps);
    uint32_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);

    /* shuffle = 0: file order, whatever the seed and epoch */
    shard_epoch_order(&s, 42, 3, 0, a);
    for (int j = 0; j < s.lane_count; j++)
        for (int64_t k = 0; k < shard_lane_rows(&s, s.lane_first + j); k++)
            CU_ASSERT_EQUAL_FATAL(a[j * s.steps + k], (uint32_t)k);

    /* different epochs, different orders (in every lane) */
    shard_epoch_order(&s, 42, 0, 1, a);
    shard_epoch_order(&s, 42, 1, 1, b);
    for (int j = 0; j < s.lane_count; j++) {
        int64_t rows = shard_lane_rows(&s, s.lane_first + j), same = 0;
        for (int64_t k = 0; k < rows; k++)
            same += a[j * s.steps + k] == b[j * s.steps + k];
        CU_ASSERT(same < rows / 10);
    }
    /* different seeds, different orders */
    shard_epoch_order(&s, 43, 0, 1, b);
    CU_ASSERT_NOT_EQUAL(memcmp(a, b, (size_t)s.steps * sizeof *a), 0);
    /* same seed and epoch, same order */
    shard_epoch_order(&s, 42, 0, 1, b);
    for (int j = 0; j < s.lane_count; j++)
        CU_ASSERT_EQUAL(memcmp(a + j * s.steps, b + j * s.steps,
                               (size_t)shard_lane_rows(&s, s.lane_first + j) * sizeof *a), 0);
    /* different lanes of one epoch are not walked in lockstep */
    if (s.lane_count >= 2)
        CU_ASSERT_NOT_EQUAL(memcmp(a, a + s.steps, 100 * sizeof *a), 0);
    free(a);
    free(b);
}

static void test_refusals(void)
{
    shard_t s;
    struct { int64_t N; int L, rank, P; } bad[] = {
        {100, 3, 0, 4},   /* L < P */
        {100, 1, 0, 2},   /* L < P */
        {5, 8, 0, 2},     /* N < L */
        {0, 1, 0, 1},     /* N < L */
        {100, 4, 4, 4},   /* rank >= P */
        {100, 4, -1, 4},  /* negative rank */
        {100, 4, 0, 0},   /* no ranks */
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        error_clear();
        CU_ASSERT_EQUAL(shard_init(&s, bad[i].N, bad[i].L, bad[i].rank, bad[i].P), -1);
        CU_ASSERT(strlen(error_message()) > 0);
    }
    /* the messages say which numbers clash */
    error_clear();
    shard_init(&s, 100, 3, 0, 4);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "3"));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "4"));
    error_clear();
    shard_init(&s, 5, 8, 0, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "5"));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "8"));
    /* the edges are accepted */
    CU_ASSERT_EQUAL(shard_init(&s, 8, 8, 7, 8), 0);
    CU_ASSERT_EQUAL(s.n_local, 1);
    CU_ASSERT_EQUAL(s.row_first, 7);
}

/* Rows near 2^31 and beyond: the index arithmetic must be 64-bit. */
static void test_large_n(void)
{
    const int64_t N = 5000000007LL;
    const int L = 1000, P = 7;
    int64_t next = 0;
    for (int r = 0; r < P; r++) {
        shard_t s;
        CU_ASSERT_FATAL(shard_init(&s, N, L, r, P) == 0);
        CU_ASSERT_EQUAL(s.row_first, next);
        next += s.n_local;
        CU_ASSERT_EQUAL(s.steps, (N + L - 1) / L);
    }
    CU_ASSERT_EQUAL(next, N);
    shard_t s;
    shard_init(&s, N, L, 0, P);
    CU_ASSERT_EQUAL(shard_lane_start(&s, 999), 999 * (N / L) + (N % L));
    CU_ASSERT_EQUAL(shard_step_count(&s, N / L), (int)(N % L));
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"row ranges and lanes tile in rank order", test_plans_tile},
        {"global batch independent of the number of ranks", test_global_batch_independent_of_ranks},
        {"epoch orders: identity, seeds, epochs", test_orders},
        {"refusals", test_refusals},
        {"64-bit row counts", test_large_n},
        {NULL, NULL},
    };
    return testutil_run("shard", cases);
}
