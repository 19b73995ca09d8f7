#include "nnmpi/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"

const char metrics_csv_header[] =
    "epoch,train_loss,train_accuracy,test_accuracy,lr,samples_per_s,wall_s,ranks";

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

int metrics_write_csv(const char *path, const metrics_t *m)
{
    size_t cap = sizeof metrics_csv_header + 2 + (size_t)m->count * 160;
    char *text = malloc(cap);
    if (!text)
        return error_set("out of memory for %s", path);
    size_t used = (size_t)snprintf(text, cap, "%s\n", metrics_csv_header);
    for (int i = 0; i < m->count; i++) {
        /* a row is usually ~80 characters, but %.6f of a huge value (a
         * damaged checkpoint's metrics) runs to hundreds: grow to fit */
        int n = metrics_format_row(&m->rows[i], NULL, 0);
        if (n < 0) {
            free(text);
            return error_set("%s: cannot format metrics row %d", path, i + 1);
        }
        if (used + (size_t)n + 2 > cap) {
            size_t need = used + (size_t)n + 2 + (size_t)(m->count - i) * 160;
            char *t = realloc(text, need);
            if (!t) {
                free(text);
                return error_set("out of memory for %s", path);
            }
            text = t;
            cap = need;
        }
        used += (size_t)metrics_format_row(&m->rows[i], text + used, (int)(cap - used - 1));
        text[used++] = '\n';
        text[used] = '\0';
    }
    int rc = fs_write_text(path, text);
    free(text);
    return rc;
}
