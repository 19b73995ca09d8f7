/* plot: nice tick values, tick labels, the RGB PNG writer (read back), and
 * whole charts: where their series, text and legend land, and their limits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/image.h"
#include "nnmpi/plot.h"
#include "testutil.h"

static const plot_rgb_t WHITE = {255, 255, 255};

static int is_nice(double step)
{
    double e = floor(log10(step) + 1e-9), m = step / pow(10.0, e);
    return fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9;
}

static void check_ticks(double lo, double hi, int max, double want_first, double want_step,
                        int want_count)
{
    double first, step;
    int n = plot_nice_ticks(lo, hi, max, &first, &step);
    if (n != want_count || fabs(first - want_first) > 1e-9 || fabs(step - want_step) > 1e-12)
        fprintf(stderr, "\n  ticks(%g, %g, %d) = %d from %g by %g\n", lo, hi, max, n, first, step);
    CU_ASSERT_EQUAL(n, want_count);
    CU_ASSERT_DOUBLE_EQUAL(first, want_first, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(step, want_step, 1e-12);
}

static void test_nice_ticks(void)
{
    check_ticks(0, 1, 11, 0, 0.1, 11);
    check_ticks(97.4, 98.87, 9, 97.4, 0.2, 9);   /* 97.4 .. 99.0 */
    check_ticks(1, 20, 11, 0, 2, 11);            /* epochs 1..20: 0, 2, .. 20 */
    check_ticks(1, 15, 11, 0, 2, 9);             /* 0 .. 16 */
    check_ticks(-3, 7, 6, -5, 5, 4);             /* 2 would need 7 ticks */
    check_ticks(0, 10, 11, 0, 1, 11);
    check_ticks(0.001, 0.0042, 5, 0.001, 0.001, 5);
    check_ticks(5, 5, 5, 4.6, 0.2, 5);           /* one value: widened by 5% */
    check_ticks(0, 0, 5, -1, 0.5, 5);            /* zero: widened by 1 */
    check_ticks(-211.14, 583.19, 2, -1000, 1000, 3); /* two ticks are not enough */
    double first, step;
    CU_ASSERT_EQUAL(plot_nice_ticks(2, 1, 5, &first, &step), -1);
    CU_ASSERT_EQUAL(plot_nice_ticks(NAN, 1, 5, &first, &step), -1);
    CU_ASSERT_EQUAL(plot_nice_ticks(0, INFINITY, 5, &first, &step), -1);
    /* properties over many ranges: cover the data, few enough, nice steps */
    unsigned seed = 12345;
    for (int k = 0; k < 2000; k++) {
        seed = seed * 1103515245u + 12345u;
        double a = ((seed >> 8) % 100000) / 100.0 - 300.0;
        seed = seed * 1103515245u + 12345u;
        double b = a + pow(10.0, ((seed >> 8) % 1000) / 200.0 - 2.0);
        int max = 2 + k % 10;
        int n = plot_nice_ticks(a, b, max, &first, &step);
        double last = first + (n - 1) * step;
        int good = n >= 2 && n <= (max < 3 ? 3 : max) && first <= a + 1e-9 * fabs(a) + 1e-12 &&
                   last >= b - 1e-9 * fabs(b) - 1e-12 && is_nice(step) &&
                   fabs(first / step - round(first / step)) < 1e-6;
        if (!good)
            fprintf(stderr, "\n  ticks(%.10g, %.10g, %d) = %d from %g by %g\n", a, b, max, n,
                    first, step);
        CU_ASSERT(good);
    }
}

static void test_format_tick(void)
{
    static const struct {
        double v, step;
        const char *want;
    } cases[] = {
        {0.5, 0.1, "0.5"},   {98.2, 0.2, "98.2"}, {10, 2, "10"},       {-1e-17, 0.1, "0.0"},
        {1500, 500, "1500"}, {0.25, 0.05, "0.25"}, {97.4, 0.2, "97.4"}, {-5, 5, "-5"},
        {0.001, 0.001, "0.001"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        const char *want = cases[i].want;
        plot_format_tick(cases[i].v, cases[i].step, buf, sizeof buf);
        if (strcmp(buf, want)) {
            fprintf(stderr, "\n  %g by %g: \"%s\", expected ", cases[i].v, cases[i].step, buf);
            fputs(want, stderr);
        }
        CU_ASSERT_STRING_EQUAL(buf, want);
    }
}

static int is_colour(const plot_canvas_t *c, int x, int y, plot_rgb_t col)
{
    const uint8_t *p = c->pixels + 3 * ((size_t)y * c->width + x);
    return p[0] == col.r && p[1] == col.g && p[2] == col.b;
}

/* Pixels of exactly colour col in [x0, x1) x [y0, y1); their mean row in
 * *mean_y (anti-aliased edges blend, but a line's or marker's core is exact). */
static int count_in(const plot_canvas_t *c, plot_rgb_t col, int x0, int y0, int x1, int y1,
                    double *mean_y)
{
    int n = 0;
    double sum = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            if (is_colour(c, x, y, col)) {
                n++;
                sum += y;
            }
    if (mean_y)
        *mean_y = n ? sum / n : -1;
    return n;
}

static int count_colour(const plot_canvas_t *c, plot_rgb_t col)
{
    return count_in(c, col, 0, 0, c->width, c->height, NULL);
}

/* Pixels darker than mid-grey in a region: text (grey notes too), ticks, the frame. */
static int dark_in(const plot_canvas_t *c, int x0, int y0, int x1, int y1)
{
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const uint8_t *p = c->pixels + 3 * ((size_t)y * c->width + x);
            n += p[0] + p[1] + p[2] < 3 * 128;
        }
    return n;
}

static void test_png_round_trip(void)
{
    char *dir = testutil_tmpdir();
    plot_canvas_t c;
    CU_ASSERT_EQUAL_FATAL(plot_canvas_init(&c, 37, 23, WHITE), 0);
    for (int y = 0; y < 10; y++)
        memset(c.pixels + 3 * (size_t)y * 37, 0, 3 * 10);   /* a black square */
    memcpy(c.pixels + 3 * (20 * 37 + 20), (uint8_t[3]){255, 0, 0}, 3);
    const char *path = testutil_path(dir, "c.png");
    CU_ASSERT_EQUAL_FATAL(plot_write_png(path, &c), 0);
    /* IHDR: width, height, bit depth 8, colour type 2 (RGB) */
    FILE *f = fopen(path, "rb");
    CU_ASSERT_FATAL(f != NULL);
    uint8_t head[26];
    CU_ASSERT_EQUAL(fread(head, 1, 26, f), 26);
    fclose(f);
    CU_ASSERT_EQUAL(memcmp(head + 12, "IHDR", 4), 0);
    CU_ASSERT_EQUAL((head[16] << 24) | (head[17] << 16) | (head[18] << 8) | head[19], 37);
    CU_ASSERT_EQUAL((head[20] << 24) | (head[21] << 16) | (head[22] << 8) | head[23], 23);
    CU_ASSERT_EQUAL(head[24], 8);
    CU_ASSERT_EQUAL(head[25], 2);
    image_t img;
    CU_ASSERT_EQUAL_FATAL(image_read_png(path, &img), 0);
    CU_ASSERT_EQUAL(img.width, 37);
    CU_ASSERT_EQUAL(img.height, 23);
    CU_ASSERT_EQUAL(img.pixels[0], 0);
    CU_ASSERT_EQUAL(img.pixels[22 * 37 + 36], 255);
    CU_ASSERT_EQUAL(img.pixels[20 * 37 + 20], 76); /* luma of pure red: 0.299 * 255 */
    image_free(&img);
    /* an unwritable place: an error naming it, nothing left behind */
    CU_ASSERT_EQUAL(plot_write_png(testutil_path(dir, "no/such/dir/c.png"), &c), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "no/such/dir"));
    plot_canvas_free(&c);
    plot_canvas_free(&c);
    CU_ASSERT_EQUAL(plot_canvas_init(&c, 0, 10, WHITE), -1);
    testutil_rmtree(dir);
    free(dir);
}

static const double EPOCHS[] = {1, 2, 3, 4}, RISING[] = {95.0, 97.0, 97.5, 98.1};

/* Two runs: a rising over four epochs, b over three (the last not finite). */
static void two_runs(plot_series_t s[2], const double *b_y)
{
    s[0] = (plot_series_t){.label = "run a", .x = EPOCHS, .y = RISING, .n = 4, .line = 1};
    s[1] = (plot_series_t){.label = "run b", .x = EPOCHS, .y = b_y, .n = 3, .line = 1,
                           .style = 1};
}

/* Where things land: a rising series rises, a falling one falls, both stay
 * left of the legend; the title, axis labels, tick numbers and legend text
 * are ink where the layout puts them. */
static void test_chart_layout(void)
{
    static const double falling[] = {98.0, 96.5, NAN};
    plot_series_t s[2];
    two_runs(s, falling);
    plot_chart_t chart = {.title = "Title", .x_label = "epoch", .y_label = "acc",
                          .integer_x = 1};
    plot_canvas_t c;
    CU_ASSERT_EQUAL_FATAL(plot_chart_draw(&chart, s, 2, &c), 0);
    CU_ASSERT_EQUAL(c.width, 1000);
    CU_ASSERT_EQUAL(c.height, 600);
    double left_y, right_y;
    int a_left = count_in(&c, plot_series_colour(0), 0, 0, 400, 600, &left_y);
    int a_right = count_in(&c, plot_series_colour(0), 400, 0, 800, 600, &right_y);
    CU_ASSERT(a_left > 150 && a_right > 150);
    CU_ASSERT(left_y > right_y + 100);             /* rising: lower on the left */
    int b_left = count_in(&c, plot_series_colour(1), 0, 0, 300, 600, &left_y);
    int b_mid = count_in(&c, plot_series_colour(1), 300, 0, 600, 600, &right_y);
    CU_ASSERT(b_left > 100 && b_mid > 100);
    CU_ASSERT(right_y > left_y + 100);             /* falling */
    CU_ASSERT_EQUAL(count_in(&c, plot_series_colour(1), 620, 0, 850, 600, NULL), 0);
    /* the legend: both colours and their labels right of the plot area */
    CU_ASSERT(count_in(&c, plot_series_colour(0), 850, 0, 1000, 150, NULL) > 20);
    CU_ASSERT(count_in(&c, plot_series_colour(1), 850, 0, 1000, 150, NULL) > 20);
    CU_ASSERT(dark_in(&c, 920, 0, 1000, 150) > 30);
    CU_ASSERT(dark_in(&c, 400, 0, 600, 40) > 30);  /* the title */
    CU_ASSERT(dark_in(&c, 0, 200, 35, 400) > 20);  /* the y label, turned */
    CU_ASSERT(dark_in(&c, 0, 560, 1000, 600) > 20);/* the x label */
    CU_ASSERT(dark_in(&c, 35, 40, 90, 560) > 40);  /* y tick numbers */
    CU_ASSERT_EQUAL(dark_in(&c, 0, 0, 1000, 10), 0); /* a margin */
    plot_canvas_free(&c);
}

static void test_chart_limits(void)
{
    static const double low[] = {94.0, 96.5, NAN};
    plot_series_t s[2];
    two_runs(s, low);
    plot_chart_t chart = {.title = "t", .x_label = "epoch", .y_label = "acc", .integer_x = 1};
    plot_canvas_t c;
    CU_ASSERT_EQUAL_FATAL(plot_chart_draw(&chart, s, 2, &c), 0);
    int whole = count_colour(&c, plot_series_colour(1));
    plot_canvas_free(&c);
    /* a zoomed y range cuts what lies below it at the plot's edge */
    const double range[2] = {97.0, 98.2};
    chart.y_range = range;
    CU_ASSERT_EQUAL_FATAL(plot_chart_draw(&chart, s, 2, &c), 0);
    CU_ASSERT(count_colour(&c, plot_series_colour(1)) < whole / 2); /* legend and a stub */
    plot_canvas_free(&c);
    /* no points at all: a chart that says so, in its middle */
    chart.y_range = NULL;
    CU_ASSERT_EQUAL_FATAL(plot_chart_draw(&chart, s, 0, &c), 0);
    CU_ASSERT(dark_in(&c, 400, 280, 600, 330) > 20);
    plot_canvas_free(&c);
    /* a name in another encoding or with control characters still draws */
    s[0].label = "r\xc3\xa9sum\xc3\xa9\x01";
    CU_ASSERT_EQUAL_FATAL(plot_chart_draw(&chart, s, 2, &c), 0);
    CU_ASSERT(dark_in(&c, 900, 0, 1000, 150) > 30);
    plot_canvas_free(&c);
    chart.width = 120;
    chart.height = 80;
    CU_ASSERT_EQUAL(plot_chart_draw(&chart, s, 2, &c), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "too small"));
    chart.width = 100000;
    CU_ASSERT_EQUAL(plot_chart_draw(&chart, s, 2, &c), -1);
    CU_ASSERT_PTR_NULL(c.pixels);
    /* colours and markers tell the first ten series apart */
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < i; j++) {
            plot_rgb_t a = plot_series_colour(i), b = plot_series_colour(j);
            CU_ASSERT(a.r != b.r || a.g != b.g || a.b != b.b);
        }
    CU_ASSERT(plot_series_dash(0).off == 0 && plot_series_dash(10).off > 0);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"nice tick values", test_nice_ticks},
        {"tick labels", test_format_tick},
        {"RGB PNG written and read back", test_png_round_trip},
        {"a chart's series, text and legend where they belong", test_chart_layout},
        {"zoom, no data, odd names, sizes", test_chart_limits},
        {NULL, NULL},
    };
    return testutil_run("plot", cases);
}
