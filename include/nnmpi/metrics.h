/* metrics: the per-epoch record of a run, written as metrics.csv and kept
 * in checkpoints. */
#ifndef NNMPI_METRICS_H
#define NNMPI_METRICS_H

#include <stdint.h>

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

/* The header line and one row, as they appear in the CSV file. */
extern const char metrics_csv_header[];
int metrics_format_row(const metrics_row_t *row, char *buf, int size);

#endif
