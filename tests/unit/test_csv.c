/* csv: the book's format read back exactly (with CRLF, empty lines and no
 * final newline), each kind of bad line refused as FILE:LINE: ..., and a
 * written field quoted (RFC 4180) when it must be. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/csv.h"
#include "nnmpi/error.h"
#include "testutil.h"

/* A growing text buffer for the test files. */
typedef struct {
    char *text;
    size_t len, cap;
} buf_t;

static void append(buf_t *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->text = realloc(b->text, b->cap);
        CU_ASSERT_FATAL(b->text != NULL);
    }
    memcpy(b->text + b->len, s, n + 1);
    b->len += n;
}

/* Pixel k of test image `seed`. */
static int pixel_value(int seed, int k)
{
    return (k * 31 + seed * 7) % 256;
}

/* Appends a line: label, then npixels values (pixel_value), then `end`. */
static void append_line(buf_t *b, int label, int seed, int npixels, const char *end)
{
    char num[16];
    snprintf(num, sizeof num, "%d", label);
    append(b, num);
    for (int k = 0; k < npixels; k++) {
        snprintf(num, sizeof num, ",%d", pixel_value(seed, k));
        append(b, num);
    }
    append(b, end);
}

static char *dir;

static const char *write_csv(const char *name, const buf_t *b)
{
    const char *path = testutil_path(dir, name);
    CU_ASSERT_FATAL(testutil_write_file(path, b->text ? b->text : "", b->len) == 0);
    return path;
}

static void test_good_file(void)
{
    dir = testutil_tmpdir();
    CU_ASSERT_FATAL(dir != NULL);
    buf_t b = {0};
    append_line(&b, 5, 0, 784, "\n");
    append_line(&b, 0, 1, 784, "\r\n"); /* Windows line end */
    append(&b, "\n");                    /* empty line */
    append(&b, "\r\n");                  /* empty line, Windows style */
    append_line(&b, 9, 2, 784, "");      /* no newline at the end */
    const char *path = write_csv("good.csv", &b);
    imageset_t set;
    CU_ASSERT_FATAL(csv_read(path, 28, 28, &set) == 0);
    CU_ASSERT_EQUAL(set.count, 3);
    CU_ASSERT_EQUAL(set.height, 28);
    CU_ASSERT_EQUAL(set.width, 28);
    CU_ASSERT_EQUAL(set.labels[0], 5);
    CU_ASSERT_EQUAL(set.labels[1], 0);
    CU_ASSERT_EQUAL(set.labels[2], 9);
    int wrong = 0;
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 784; k++)
            wrong += imageset_image(&set, i)[k] != pixel_value(i, k);
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(imageset_image(&set, 1)[783], pixel_value(1, 783));
    imageset_free(&set);
    imageset_free(&set);
    free(b.text);
    testutil_rmtree(dir);
    free(dir);
}

/* A file whose line `bad_line` (1-based, after good lines and one empty line)
 * is `bad`; csv_read must fail with "PATH:LINE:" and `fragment`. */
static void expect_bad_line(const char *bad, const char *fragment)
{
    dir = testutil_tmpdir();
    CU_ASSERT_FATAL(dir != NULL);
    buf_t b = {0};
    append_line(&b, 1, 0, 784, "\n");
    append(&b, "\n");
    append(&b, bad); /* line 3 */
    append(&b, "\n");
    append_line(&b, 2, 1, 784, "\n");
    const char *path = write_csv("bad.csv", &b);
    imageset_t set;
    error_clear();
    CU_ASSERT_EQUAL(csv_read(path, 28, 28, &set), -1);
    CU_ASSERT_PTR_NULL(set.pixels);
    char where[4200];
    snprintf(where, sizeof where, "%s:3: ", path);
    const char *msg = error_message();
    if (!strstr(msg, where) || !strstr(msg, fragment))
        fprintf(stderr, "\n  message \"%s\" lacks \"%s\" or \"%s\"\n", msg, where, fragment);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, where));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, fragment));
    imageset_free(&set);
    free(b.text);
    testutil_rmtree(dir);
    free(dir);
}

static char *line_with(int label, int npixels)
{
    buf_t b = {0};
    append_line(&b, label, 3, npixels, "");
    return b.text;
}

static void test_783_values(void)
{
    char *line = line_with(4, 783);
    expect_bad_line(line, "784 values, expected 785");
    free(line);
}

static void test_785_values(void)
{
    char *line = line_with(4, 785);
    expect_bad_line(line, "786 values, expected 785");
    free(line);
}

static void test_not_a_number(void)
{
    char *line = line_with(4, 784);
    /* replace the third pixel's field by "1x" */
    char *p = line;
    for (int commas = 0; commas < 3; p++)
        commas += *p == ',';
    p[0] = '1';
    p[1] = 'x';
    char *fixed = malloc(strlen(line) + 1);
    CU_ASSERT_FATAL(fixed != NULL);
    /* keep the field two characters wide: cut up to the next comma */
    char *next = strchr(p, ',');
    size_t head = (size_t)(p - line) + 2;
    memcpy(fixed, line, head);
    strcpy(fixed + head, next);
    expect_bad_line(fixed, "value 4 (\"1x\") is not a whole number");
    free(fixed);
    free(line);

    expect_bad_line("3,,4", "value 2 (\"\") is not a whole number");
    expect_bad_line("-1,0", "value 1 (\"-1\") is not a whole number");
    expect_bad_line("label,pixel0", "value 1 (\"label\")");
    expect_bad_line("1,2.5", "value 2 (\"2.5\")");
}

static void test_pixel_256(void)
{
    char *line = line_with(4, 784);
    /* the last value becomes 256 */
    char *last = strrchr(line, ',');
    char *longer = malloc((size_t)(last - line) + 8);
    CU_ASSERT_FATAL(longer != NULL);
    memcpy(longer, line, (size_t)(last - line));
    strcpy(longer + (last - line), ",256");
    expect_bad_line(longer, "pixel 784 is 256, outside 0..255");
    free(longer);
    free(line);

    char *huge = line_with(4, 784);
    char *c = strchr(huge, ',');
    char *copy = malloc(strlen(huge) + 32);
    CU_ASSERT_FATAL(copy != NULL);
    snprintf(copy, strlen(huge) + 32, "4,99999999999999999999%s", strchr(c + 1, ','));
    expect_bad_line(copy, "pixel 1 is 99999999999999999999, outside 0..255");
    free(copy);
    free(huge);
}

/* Labels are bytes here; the classes are the caller's to check. */
static void test_label_256(void)
{
    char *line = line_with(256, 784);
    expect_bad_line(line, "label 256 is outside 0..255");
    free(line);
}

/* --size: 5x3 images of 47 classes; 28x28's count of values is refused. */
static void test_other_size(void)
{
    dir = testutil_tmpdir();
    CU_ASSERT_FATAL(dir != NULL);
    buf_t b = {0};
    append_line(&b, 46, 0, 15, "\n");
    append_line(&b, 12, 1, 15, "\n");
    const char *path = write_csv("small.csv", &b);
    imageset_t set;
    CU_ASSERT_FATAL(csv_read(path, 5, 3, &set) == 0);
    CU_ASSERT_EQUAL(set.height, 5);
    CU_ASSERT_EQUAL(set.width, 3);
    CU_ASSERT_EQUAL(set.labels[0], 46);
    CU_ASSERT_EQUAL(imageset_image(&set, 1)[14], pixel_value(1, 14));
    CU_ASSERT_EQUAL(imageset_classes(&set), 47);
    CU_ASSERT_EQUAL(imageset_check_labels(&set, path, 47), 0);
    CU_ASSERT_EQUAL(imageset_check_labels(&set, path, 46), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "label 46 of image 0 is outside 0..45"));
    imageset_free(&set);
    CU_ASSERT_EQUAL(csv_read(path, 28, 28, &set), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "16 values, expected 785"));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "--size HxW"));
    CU_ASSERT_EQUAL(csv_read(path, 0, 3, &set), -1);
    CU_ASSERT_EQUAL(csv_read(path, 3, 1025, &set), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "1..1024"));
    free(b.text);
    testutil_rmtree(dir);
    free(dir);
}

static void test_empty_file(void)
{
    dir = testutil_tmpdir();
    CU_ASSERT_FATAL(dir != NULL);
    buf_t b = {0};
    const char *path = write_csv("empty.csv", &b);
    imageset_t set;
    CU_ASSERT_EQUAL(csv_read(path, 28, 28, &set), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), path));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "no images"));

    append(&b, "\n\r\n\n");
    path = write_csv("blank.csv", &b);
    CU_ASSERT_EQUAL(csv_read(path, 28, 28, &set), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "no images"));

    path = testutil_path(dir, "missing.csv");
    CU_ASSERT_EQUAL(csv_read(path, 28, 28, &set), -1);
    char expected[4200];
    snprintf(expected, sizeof expected, "%s: cannot open: No such file or directory", path);
    CU_ASSERT_STRING_EQUAL(error_message(), expected);
    free(b.text);
    testutil_rmtree(dir);
    free(dir);
}

/* 2,000 lines (more than the first growth step of 1,024) come back in order. */
static void test_many_lines(void)
{
    dir = testutil_tmpdir();
    CU_ASSERT_FATAL(dir != NULL);
    buf_t b = {0};
    for (int i = 0; i < 2000; i++)
        append_line(&b, i % 10, i, 784, "\n");
    const char *path = write_csv("many.csv", &b);
    imageset_t set;
    CU_ASSERT_FATAL(csv_read(path, 28, 28, &set) == 0);
    CU_ASSERT_EQUAL(set.count, 2000);
    int wrong = 0;
    for (int i = 0; i < 2000; i++) {
        wrong += set.labels[i] != i % 10;
        for (int k = 0; k < 784; k += 97)
            wrong += imageset_image(&set, i)[k] != pixel_value(i, k);
    }
    CU_ASSERT_EQUAL(wrong, 0);
    imageset_free(&set);
    free(b.text);
    testutil_rmtree(dir);
    free(dir);
}

static void test_write_field(void)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static const char *const fields[] = {"plain.png", "a,b \"c\".png", "two\nlines", "cr\r",
                                         ""};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        csv_write_field(f, fields[i]);
        fputc('|', f);
    }
    fclose(f);
    CU_ASSERT_STRING_EQUAL(buf, "plain.png|\"a,b \"\"c\"\".png\"|\"two\nlines\"|\"cr\r\"||");
    free(buf);
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"good file with CRLF and empty lines", test_good_file},
        {"783 pixel values", test_783_values},
        {"785 pixel values", test_785_values},
        {"non-numbers", test_not_a_number},
        {"pixel 256", test_pixel_256},
        {"label 256", test_label_256},
        {"other sizes and classes", test_other_size},
        {"empty file, blank file, missing file", test_empty_file},
        {"2,000 lines", test_many_lines},
        {"a written field quoted when it must be", test_write_field},
        {NULL, NULL},
    };
    return testutil_run("csv", cases);
}
