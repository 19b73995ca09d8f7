/* report: reading run directories and writing the table of runs. */
#include "nnmpi/report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/augment.h"
#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/inifile.h"

const char report_csv_header[] =
    "run,dir,data,augmentation,max_angle,hidden,rule,mode,batch,lr,lr_schedule,lr_end,"
    "epochs,epochs_planned,ranks,best_test_accuracy,best_epoch,final_test_accuracy,"
    "samples_per_s,wall_s";

/* ---------------------------------------------------------- metrics.csv */

enum { COL_EPOCH, COL_LOSS, COL_TRAIN, COL_TEST, COL_LR, COL_SPS, COL_WALL, COL_RANKS, N_COLS };
static const char *const col_names[N_COLS] = {
    "epoch", "train_loss", "train_accuracy", "test_accuracy", "lr", "samples_per_s", "wall_s",
    "ranks",
};

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

/* What each column may hold: what nnmpi train writes, with room to spare.
 * Outside it the file is damaged; the bounds also keep epoch and ranks
 * within an int and wall_s within what a duration is printed as. */
static const struct {
    double min, max;
    int whole;
} col_range[N_COLS] = {
    [COL_EPOCH] = {1, 1e7, 1},   [COL_LOSS] = {0, 1e6, 0}, [COL_TRAIN] = {0, 1, 0},
    [COL_TEST] = {0, 1, 0},      [COL_LR] = {0, 1e6, 0},   [COL_SPS] = {0, 1e12, 0},
    [COL_WALL] = {0, 1e9, 0},    [COL_RANKS] = {1, 1e7, 1},
};

/* Value x (written text) of column c: -1 naming FILE:LINE and the column
 * unless it is in the column's range. */
static int check_range(const char *path, int lineno, int c, const char *text, double x)
{
    double lo = col_range[c].min, hi = col_range[c].max;
    if (col_range[c].whole && (x < lo || x > hi || x != floor(x)))
        return error_set("%s:%d: %s \"%s\" is not a whole number from %.0f to %.0f", path,
                         lineno, col_names[c], text, lo, hi);
    if (hi == 1 && x > 1)
        return error_set("%s:%d: %s %s is above 1 (a fraction is expected)", path, lineno,
                         col_names[c], text);
    if (x < lo || x > hi)
        return error_set("%s:%d: %s \"%s\" is out of range (%g to %g)", path, lineno,
                         col_names[c], text, lo, hi);
    return 0;
}

/* The header line: where[c] is the field of column c, -1 if absent. */
static int parse_header(char **fields, int n, int *where, const char *path, int lineno)
{
    for (int c = 0; c < N_COLS; c++)
        where[c] = -1;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < N_COLS; c++)
            if (!strcmp(fields[i], col_names[c]))
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
            return error_set("%s:%d: %s \"%s\" is not a number", path, lineno, col_names[c],
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

int report_read_metrics(const char *path, metrics_t *m)
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

/* ----------------------------------------------------------- config.ini */

/* Only the keys the report shows are read, straight from the INI text, so a
 * config.ini written by an older or newer nnmpi (with other keys) still
 * reports. */
static int config_entry(void *user, int line, const char *section, const char *key,
                        const char *value)
{
    (void)line;
    report_run_t *run = user;
    if (!key)
        return 0;
#define IS(s, k) (!strcmp(section, s) && !strcmp(key, k))
    if (IS("data", "file"))
        snprintf(run->data_file, sizeof run->data_file, "%s", value);
    else if (IS("net", "hidden"))
        run->hidden = atoi(value);
    else if (IS("net", "rule"))
        snprintf(run->rule, sizeof run->rule, "%s", value);
    else if (IS("train", "mode"))
        snprintf(run->mode, sizeof run->mode, "%s", value);
    else if (IS("train", "lr"))
        run->lr = strtod(value, NULL);
    else if (IS("train", "lr_schedule"))
        snprintf(run->lr_schedule, sizeof run->lr_schedule, "%s", value);
    else if (IS("train", "lr_end"))
        run->lr_end = strtod(value, NULL);
    else if (IS("train", "epochs"))
        run->epochs_planned = atoi(value);
    else if (IS("train", "batch"))
        run->batch = atoi(value);
#undef IS
    return 0;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        error_set("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *text = malloc(1 << 20);
    size_t n = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!text || bad) {
        free(text);
        error_set("%s: cannot read", path);
        return NULL;
    }
    text[n] = '\0';
    return text;
}

static void add_warning(report_run_t *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_warning(report_run_t *run, const char *fmt, ...)
{
    size_t used = strlen(run->warning);
    if (used && used + 2 < sizeof run->warning) {
        strcpy(run->warning + used, "; ");
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->warning + used, sizeof run->warning - used, fmt, ap);
    va_end(ap);
}

/* --------------------------------------------------------------- a run */

static void summarise(report_run_t *run)
{
    const metrics_t *m = &run->metrics;
    run->epochs_done = m->rows[m->count - 1].epoch;
    run->ranks = m->rows[m->count - 1].ranks;
    run->wall_s = m->rows[m->count - 1].wall_s;
    run->best_accuracy = run->final_accuracy = -1.0;
    run->best_epoch = 0;
    double sps = 0;
    for (int i = 0; i < m->count; i++) {
        const metrics_row_t *r = &m->rows[i];
        sps += r->samples_per_s;
        if (r->test_accuracy >= 0) {
            run->final_accuracy = r->test_accuracy;
            if (r->test_accuracy > run->best_accuracy) {
                run->best_accuracy = r->test_accuracy;
                run->best_epoch = r->epoch;
            }
        }
    }
    run->samples_per_s = sps / m->count;
}

int report_load_run(const char *dir, report_run_t *run)
{
    memset(run, 0, sizeof *run);
    run->hidden = run->epochs_planned = run->batch = -1;
    run->lr = run->lr_end = -1.0;
    run->max_angle = -1.0;
    strcpy(run->augmentation, "?");
    strcpy(run->data_file, "?");
    strcpy(run->rule, "?");
    strcpy(run->mode, "?");
    strcpy(run->lr_schedule, "?");

    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (len >= sizeof run->dir)
        return error_set("%.*s...: directory name too long", 60, dir);
    memcpy(run->dir, dir, len);
    run->dir[len] = '\0';
    const char *slash = strrchr(run->dir, '/');
    snprintf(run->name, sizeof run->name, "%.*s", (int)sizeof run->name - 1,
             slash && slash[1] ? slash + 1 : run->dir);

    char path[REPORT_TEXT_MAX + 32];
    snprintf(path, sizeof path, "%s/metrics.csv", run->dir);
    FILE *probe = fopen(path, "r");
    if (!probe)
        return error_set("%s: no metrics.csv here (%s): not a run directory of nnmpi train, or "
                         "no epoch has finished",
                         run->dir, strerror(errno));
    fclose(probe);
    if (report_read_metrics(path, &run->metrics) < 0)
        return -1;
    summarise(run);

    snprintf(path, sizeof path, "%s/config.ini", run->dir);
    char *text = read_text(path);
    if (!text) {
        add_warning(run, "no config.ini, settings unknown");
    } else {
        run->have_config = 1;
        if (inifile_parse(text, path, config_entry, run) != 0)
            add_warning(run, "%s", error_message());
        free(text);
    }

    if (strcmp(run->data_file, "?") && run->data_file[0]) {
        dataset_info_t info;
        if (dataset_info(run->data_file, &info) < 0) {
            add_warning(run, "data file %s not readable, augmentation unknown", run->data_file);
        } else {
            snprintf(run->augmentation, sizeof run->augmentation, "%s",
                     info.augmentation ? info.augmentation : "?");
            augment_spec_t spec;
            if (info.augmentation && augment_spec_parse(info.augmentation, &spec) == 0)
                run->max_angle = augment_spec_max_angle(&spec);
            dataset_info_free(&info);
        }
    }
    error_clear();
    return 0;
}

void report_run_free(report_run_t *run)
{
    metrics_free(&run->metrics);
}

/* ---------------------------------------------------------------- tables */

/* A growing string. */
typedef struct {
    char *text;
    size_t used, cap;
    int failed;
} sbuf_t;

static void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf_t *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->text ? b->text + b->used : NULL, b->text ? b->cap - b->used : 0,
                          fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->text && b->used + (size_t)n < b->cap) {
            b->used += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *t = realloc(b->text, cap);
        if (!t) {
            b->failed = 1;
            return;
        }
        b->text = t;
        b->cap = cap;
    }
}

/* Writes b's text to path (atomically) and frees it. */
static int sb_write(sbuf_t *b, const char *path)
{
    int rc = b->failed ? error_set("%s: out of memory", path) : fs_write_text(path, b->text);
    free(b->text);
    return rc;
}

/* A CSV field: quoted if it holds a comma, quote or line break. */
static void sb_csv_text(sbuf_t *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        sb_printf(b, "%s", s);
        return;
    }
    sb_printf(b, "\"");
    for (const char *p = s; *p; p++)
        sb_printf(b, "%s%c", *p == '"' ? "\"" : "", *p);
    sb_printf(b, "\"");
}

static void sb_num(sbuf_t *b, const char *fmt, double v, int known)
{
    if (known)
        sb_printf(b, fmt, v);
}

int report_write_csv(const char *path, const report_run_t *runs, int n)
{
    sbuf_t b = {0};
    sb_printf(&b, "%s\n", report_csv_header);
    for (int i = 0; i < n; i++) {
        const report_run_t *r = &runs[i];
        sb_csv_text(&b, r->name);
        sb_printf(&b, ",");
        sb_csv_text(&b, r->dir);
        sb_printf(&b, ",");
        sb_csv_text(&b, r->data_file);
        sb_printf(&b, ",");
        sb_csv_text(&b, r->augmentation);
        sb_printf(&b, ",");
        sb_num(&b, "%g", r->max_angle, r->max_angle >= 0);
        sb_printf(&b, ",");
        sb_num(&b, "%.0f", r->hidden, r->hidden >= 0);
        sb_printf(&b, ",%s,%s,", r->rule, r->mode);
        sb_num(&b, "%.0f", r->batch, r->batch >= 0);
        sb_printf(&b, ",");
        sb_num(&b, "%g", r->lr, r->lr >= 0);
        sb_printf(&b, ",%s,", r->lr_schedule);
        sb_num(&b, "%g", r->lr_end, r->lr_end >= 0);
        sb_printf(&b, ",%d,", r->epochs_done);
        sb_num(&b, "%.0f", r->epochs_planned, r->epochs_planned >= 0);
        sb_printf(&b, ",%d,", r->ranks);
        sb_num(&b, "%.4f", r->best_accuracy, r->best_accuracy >= 0);
        sb_printf(&b, ",%d,", r->best_epoch);
        sb_num(&b, "%.4f", r->final_accuracy, r->final_accuracy >= 0);
        sb_printf(&b, ",%.0f,%.2f\n", r->samples_per_s, r->wall_s);
    }
    return sb_write(&b, path);
}

/* In doubles throughout: no cast to int can overflow, whatever s is. */
static void format_wall(double s, char *buf, size_t size)
{
    if (s < 60)
        snprintf(buf, size, "%.1f s", s);
    else if (s < 3600)
        snprintf(buf, size, "%.0fm%02.0fs", floor(s / 60), floor(fmod(s, 60)));
    else
        snprintf(buf, size, "%.0fh%02.0fm", floor(s / 3600), floor(fmod(s / 60, 60)));
}

/* Markdown cells must not hold '|' or line breaks. */
static void sb_md_text(sbuf_t *b, const char *s)
{
    for (const char *p = s; *p; p++)
        sb_printf(b, "%s%c", *p == '|' ? "\\" : "", *p == '\n' || *p == '\r' ? ' ' : *p);
}

char *report_markdown(const report_run_t *runs, int n)
{
    sbuf_t b = {0};
    sb_printf(&b, "| run | augmentation | hidden | lr | epochs | ranks | best test | final test "
                  "| samples/s | wall time |\n");
    sb_printf(&b, "|---|---|---:|---|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < n; i++) {
        const report_run_t *r = &runs[i];
        sb_printf(&b, "| ");
        sb_md_text(&b, r->name);
        sb_printf(&b, " | ");
        sb_md_text(&b, r->augmentation);
        if (r->hidden >= 0)
            sb_printf(&b, " | %d", r->hidden);
        else
            sb_printf(&b, " | ?");
        if (r->lr < 0)
            sb_printf(&b, " | ?");
        else if (!strcmp(r->lr_schedule, "linear") || !strcmp(r->lr_schedule, "cosine"))
            sb_printf(&b, " | %g -> %g %s", r->lr, r->lr_end, r->lr_schedule);
        else
            sb_printf(&b, " | %g", r->lr);
        if (r->epochs_planned > 0 && r->epochs_planned != r->epochs_done)
            sb_printf(&b, " | %d of %d", r->epochs_done, r->epochs_planned);
        else
            sb_printf(&b, " | %d", r->epochs_done);
        sb_printf(&b, " | %d", r->ranks);
        if (r->best_accuracy >= 0)
            sb_printf(&b, " | %.2f%% (epoch %d) | %.2f%%", 100 * r->best_accuracy, r->best_epoch,
                      100 * r->final_accuracy);
        else
            sb_printf(&b, " | - | -");
        char wall[32];
        format_wall(r->wall_s, wall, sizeof wall);
        sb_printf(&b, " | %.0f | %s |\n", r->samples_per_s, wall);
    }
    if (b.failed) {
        free(b.text);
        error_set("out of memory for the report table");
        return NULL;
    }
    return b.text;
}

/* ------------------------------------------------------ the whole report */

/* report.md: the table, then the two charts beside it. */
static int write_markdown_file(const char *path, const char *table)
{
    sbuf_t b = {0};
    sb_printf(&b, "# nnmpi report\n\n%s\n"
                  "![test accuracy after each epoch](" REPORT_PLOT_EPOCHS ")\n\n"
                  "![final test accuracy against rotation angle](" REPORT_PLOT_ANGLE ")\n",
              table);
    return sb_write(&b, path);
}

#define REPORT_PATH_MAX 4200

/* dir/name into path[REPORT_PATH_MAX]. */
static int report_path(char *path, const char *dir, const char *name)
{
    int n = snprintf(path, REPORT_PATH_MAX, "%s/%s", dir, name);
    return n < 0 || n >= REPORT_PATH_MAX ? error_set("%s/%s: path too long", dir, name) : 0;
}

int report_write(const char *dir, const report_run_t *runs, int n, char **table)
{
    char path[REPORT_PATH_MAX];
    *table = NULL;
    int rc = fs_mkdir_p(dir);
    rc = rc ? rc : report_path(path, dir, "report.csv");
    rc = rc ? rc : report_write_csv(path, runs, n);
    if (!rc && !(*table = report_markdown(runs, n)))
        rc = -1;
    rc = rc ? rc : report_path(path, dir, "report.md");
    rc = rc ? rc : write_markdown_file(path, *table);
    rc = rc ? rc : report_path(path, dir, REPORT_PLOT_EPOCHS);
    rc = rc ? rc : report_plot_accuracy(path, runs, n);
    rc = rc ? rc : report_path(path, dir, REPORT_PLOT_ANGLE);
    rc = rc ? rc : report_plot_angle(path, runs, n);
    if (rc) {
        free(*table);
        *table = NULL;
    }
    return rc;
}
