/* metrics: the per-epoch record of a run, kept in checkpoints and written
 * as metrics.csv by nnmpi train; nnmpi report reads the file back through
 * metrics_read_csv, with the same column list. */
#ifndef NNMPI_METRICS_H
#define NNMPI_METRICS_H

#include <stdint.h>
#include <stdio.h>

typedef struct {
    int epoch;               /* 1-based */
    double train_loss;       /* mean 0.5*sum((t-o)^2) over the epoch's samples */
    double train_accuracy;   /* measured during training, before each update */
    double test_accuracy;    /* after the epoch; negative if not evaluated */
    double lr;               /* learning rate at the end of the epoch */
    double samples_per_s;    /* training samples (all ranks) per second */
    double wall_s;           /* seconds since the run started (all sessions) */
    int ranks;               /* ranks that trained this epoch */
} metrics_row_t;

typedef struct {
    metrics_row_t *rows;
    int count, capacity;
} metrics_t;

int metrics_append(metrics_t *m, const metrics_row_t *row);
void metrics_free(metrics_t *m);

/* Writes the table as CSV with a header (atomically). */
int metrics_write_csv(const char *path, const metrics_t *m);

/* Reads a metrics.csv: a header naming at least `epoch` and `test_accuracy`
 * (the columns of metrics_csv_header, in any order; unknown columns are
 * ignored), then one row per epoch. An empty test_accuracy means "not
 * evaluated" (stored negative). Any malformed line is an error naming
 * FILE:LINE and what is wrong, also a value that is not finite or outside
 * its column's range (accuracies 0..1, epoch and ranks whole 1..10^7,
 * wall_s 0..10^9 s...). m is filled (metrics_free it, also on error). */
int metrics_read_csv(const char *path, metrics_t *m);

/* The table as JSON, for `nnmpi serve`: {"columns": [the CSV's column
 * names], "rows": [[values in that order], ...]}, test_accuracy null when
 * not evaluated. */
void metrics_write_json(FILE *out, const metrics_t *m);

/* The header line and one row, as they appear in the CSV file. */
extern const char *const metrics_csv_header;
int metrics_format_row(const metrics_row_t *row, char *buf, int size);

#endif
