/* metrics: the per-epoch table and metrics.csv, written by nnmpi train and
 * read back by nnmpi report, both from the one column list below. */
#include "nnmpi/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/json.h"

/* The columns of metrics.csv in the order written (metrics_format_row
 * follows it), each with what it may hold when read: what nnmpi train
 * writes, with room to spare. Outside it the file is damaged; the bounds
 * also keep epoch and ranks within an int and wall_s within what a duration
 * is printed as. */
#define METRICS_COLUMNS(X)                   \
    X(EPOCH, "epoch", 1, 1e7, 1)             \
    X(LOSS, "train_loss", 0, 1e6, 0)         \
    X(TRAIN, "train_accuracy", 0, 1, 0)      \
    X(TEST, "test_accuracy", 0, 1, 0)        \
    X(LR, "lr", 0, 1e6, 0)                   \
    X(SPS, "samples_per_s", 0, 1e12, 0)      \
    X(WALL, "wall_s", 0, 1e9, 0)             \
    X(RANKS, "ranks", 1, 1e7, 1)

#define AS_ENUM(id, name, lo, hi, whole) COL_##id,
#define AS_ROW(id, name, lo, hi, whole) {name, lo, hi, whole},
#define AS_TEXT(id, name, lo, hi, whole) "," name

enum { METRICS_COLUMNS(AS_ENUM) N_COLS };

static const struct {
    const char *name;
    double min, max;
    int whole;
} columns[N_COLS] = {METRICS_COLUMNS(AS_ROW)};

/* ",epoch,train_loss,...": the header is this without its first comma */
static const char header_text[] = METRICS_COLUMNS(AS_TEXT);
const char *const metrics_csv_header = header_text + 1;

int metrics_append(metrics_t *m, const metrics_row_t *row)
{
    if (m->count == m->capacity) {
        int cap = m->capacity ? 2 * m->capacity : 16;
        metrics_row_t *rows = realloc(m->rows, (size_t)cap * sizeof *rows);
        if (!rows)
            return error_set("out of memory for the metrics table");
        m->rows = rows;
        m->capacity = cap;
    }
    m->rows[m->count++] = *row;
    return 0;
}

void metrics_free(metrics_t *m)
{
    free(m->rows);
    memset(m, 0, sizeof *m);
}

int metrics_format_row(const metrics_row_t *r, char *buf, int size)
{
    char test[32] = "";
    if (r->test_accuracy >= 0)
        snprintf(test, sizeof test, "%.4f", r->test_accuracy);
    return snprintf(buf, (size_t)size, "%d,%.6f,%.4f,%s,%.6g,%.0f,%.2f,%d", r->epoch,
                    r->train_loss, r->train_accuracy, test, r->lr, r->samples_per_s, r->wall_s,
                    r->ranks);
}

/* The row's values in column order (test_accuracy negative: not evaluated). */
static void row_values(const metrics_row_t *r, double v[N_COLS])
{
    v[COL_EPOCH] = r->epoch;
    v[COL_LOSS] = r->train_loss;
    v[COL_TRAIN] = r->train_accuracy;
    v[COL_TEST] = r->test_accuracy;
    v[COL_LR] = r->lr;
    v[COL_SPS] = r->samples_per_s;
    v[COL_WALL] = r->wall_s;
    v[COL_RANKS] = r->ranks;
}

void metrics_write_json(FILE *out, const metrics_t *m)
{
    fputs("{\"columns\":[", out);
    for (int c = 0; c < N_COLS; c++) {
        fputs(c ? "," : "", out);
        json_string(out, columns[c].name);
    }
    fputs("],\"rows\":[", out);
    for (int i = 0; i < m->count; i++) {
        double v[N_COLS];
        row_values(&m->rows[i], v);
        fputs(i ? ",[" : "[", out);
        for (int c = 0; c < N_COLS; c++) {
            fputs(c ? "," : "", out);
            json_number(out, c == COL_TEST && v[c] < 0 ? NAN : v[c]);
        }
        fputc(']', out);
    }
    fputs("]}", out);
}

int metrics_write_csv(const char *path, const metrics_t *m)
{
    char *text = NULL, row[2048];
    size_t size;
    FILE *f = open_memstream(&text, &size);   /* grows as the rows are printed */
    if (!f)
        return error_set("out of memory for %s", path);
    fprintf(f, "%s\n", metrics_csv_header);
    for (int i = 0; i < m->count; i++) {
        /* a row is usually ~80 characters, but %.6f of a huge value (a
         * damaged checkpoint's metrics) runs to 300 and more: five such
         * fields still fit */
        int n = metrics_format_row(&m->rows[i], row, sizeof row);
        if (n < 0 || n >= (int)sizeof row) {
            fclose(f);
            free(text);
            return error_set("%s: cannot format metrics row %d", path, i + 1);
        }
        fprintf(f, "%s\n", row);
    }
    int rc = fclose(f) ? error_set("out of memory for %s", path) : fs_write_text(path, text);
    free(text);
    return rc;
}

/* ------------------------------------------------------------ reading */

/* Splits line (modified) at commas into at most max fields; returns the
 * count (max + 1 if there are more). */
static int split(char *line, char **fields, int max)
{
    int n = 0;
    for (char *p = line;; p++) {
        if (n <= max) {
            if (n < max)
                fields[n] = p;
            n++;
        }
        p = strchr(p, ',');
        if (!p)
            break;
        *p = '\0';
    }
    return n;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\r' || s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    size_t k = 0;
    while (s[k] == ' ' || s[k] == '\t')
        k++;
    if (k)
        memmove(s, s + k, n - k + 1);
}

#define MAX_FIELDS 64

/* Value x (written text) of column c: -1 naming FILE:LINE and the column
 * unless it is in the column's range. */
static int check_range(const char *path, int lineno, int c, const char *text, double x)
{
    double lo = columns[c].min, hi = columns[c].max;
    if (columns[c].whole && (x < lo || x > hi || x != floor(x)))
        return error_set("%s:%d: %s \"%s\" is not a whole number from %.0f to %.0f", path,
                         lineno, columns[c].name, text, lo, hi);
    if (hi == 1 && x > 1)
        return error_set("%s:%d: %s %s is above 1 (a fraction is expected)", path, lineno,
                         columns[c].name, text);
    if (x < lo || x > hi)
        return error_set("%s:%d: %s \"%s\" is out of range (%g to %g)", path, lineno,
                         columns[c].name, text, lo, hi);
    return 0;
}

/* The header line: where[c] is the field of column c, -1 if absent. */
static int parse_header(char **fields, int n, int *where, const char *path, int lineno)
{
    for (int c = 0; c < N_COLS; c++)
        where[c] = -1;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < N_COLS; c++)
            if (!strcmp(fields[i], columns[c].name))
                where[c] = i;
    if (where[COL_EPOCH] < 0 || where[COL_TEST] < 0)
        return error_set("%s:%d: not a metrics.csv header (expected \"%s\")", path, lineno,
                         metrics_csv_header);
    return 0;
}

/* One data line's fields into row; -1 naming FILE:LINE and the column. */
static int parse_row(char **fields, const int *where, const char *path, int lineno,
                     metrics_row_t *row)
{
    double v[N_COLS];
    for (int c = 0; c < N_COLS; c++) {
        v[c] = c == COL_TEST ? -1.0 : 0.0;
        if (where[c] < 0)
            continue;
        const char *text = fields[where[c]];
        if (c == COL_TEST && !*text)
            continue; /* not evaluated */
        char *end;
        errno = 0;
        double x = strtod(text, &end);
        if (!*text || *end || errno || !isfinite(x))
            return error_set("%s:%d: %s \"%s\" is not a number", path, lineno, columns[c].name,
                             text);
        if (check_range(path, lineno, c, text, x) < 0)
            return -1;
        v[c] = x;
    }
    *row = (metrics_row_t){
        .epoch = (int)v[COL_EPOCH], .train_loss = v[COL_LOSS], .train_accuracy = v[COL_TRAIN],
        .test_accuracy = v[COL_TEST], .lr = v[COL_LR], .samples_per_s = v[COL_SPS],
        .wall_s = v[COL_WALL], .ranks = (int)v[COL_RANKS],
    };
    return 0;
}

int metrics_read_csv(const char *path, metrics_t *m)
{
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "r");
    if (!f)
        return error_set("%s: cannot open: %s", path, strerror(errno));
    char line[4096];
    int lineno = 0, rc = 0, ncols = 0;
    int where[N_COLS];   /* field index of each known column, -1 if absent */
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            rc = error_set("%s:%d: line longer than %zu characters", path, lineno,
                           sizeof line - 2);
            break;
        }
        trim(line);
        if (!line[0])
            continue;
        char *fields[MAX_FIELDS];
        int n = split(line, fields, MAX_FIELDS);
        if (n > MAX_FIELDS) {
            rc = error_set("%s:%d: more than %d fields", path, lineno, MAX_FIELDS);
            break;
        }
        for (int i = 0; i < n; i++)
            trim(fields[i]);
        metrics_row_t row;
        if (!ncols) { /* the header */
            ncols = n;
            rc = parse_header(fields, n, where, path, lineno);
        } else if (n != ncols)
            rc = error_set("%s:%d: %d field%s, but the header has %d", path, lineno, n,
                           n == 1 ? "" : "s", ncols);
        else if (parse_row(fields, where, path, lineno, &row) < 0)
            rc = -1;
        else if (metrics_append(m, &row) < 0)
            rc = error_prefix("%s", path);
    }
    if (!rc && ferror(f))
        rc = error_set("%s: read error", path);
    if (!rc && !ncols)
        rc = error_set("%s: empty (no header)", path);
    if (!rc && !m->count)
        rc = error_set("%s: no epoch finished yet (only the header)", path);
    fclose(f);
    if (rc)
        metrics_free(m);
    return rc;
}
