/* report: reading run directories and writing the table of runs. */
#include "nnmpi/report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnmpi/augment.h"
#include "nnmpi/config.h"
#include "nnmpi/csv.h"
#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/inifile.h"
#include "nnmpi/log.h"

const char report_csv_header[] =
    "run,dir,data,augmentation,max_angle,hidden,rule,mode,batch,lr,lr_schedule,lr_end,"
    "epochs,epochs_planned,ranks,best_test_accuracy,best_epoch,final_test_accuracy,"
    "samples_per_s,wall_s";

/* ----------------------------------------------------------- config.ini */

/* what nnmpi train refuses to read as a configuration, too */
#define REPORT_CONFIG_MAX (1 << 20)

/* One [augment] key of config.ini, read by config.c's own table (its
 * names, types and ranges); a key this nnmpi does not know (a config.ini
 * from a newer one) is passed over, as report reads loosely. */
static void live_entry(augment_live_params_t *p, const char *key, const char *value)
{
    config_t c;
    char assignment[256];
    config_defaults(&c);
    c.augment = *p;
    snprintf(assignment, sizeof assignment, "augment.%s=%s", key, value);
    if (config_set(&c, assignment, "config.ini") == 0)
        *p = c.augment;
}

/* The distortions [augment] drew while training, after the file's own. */
static void add_live(report_run_t *run)
{
    char live[128];
    augment_live_describe(&run->live, live, sizeof live);
    if (!live[0])
        return;
    size_t used = strlen(run->augmentation);
    snprintf(run->augmentation + used, sizeof run->augmentation - used, " + live %s", live);
    if (run->live.rotate > run->max_angle)
        run->max_angle = run->live.rotate;
}

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
    else if (!strcmp(section, "augment"))
        live_entry(&run->live, key, value);
#undef IS
    return 0;
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
    run->live.probability = 1.0; /* config.ini writes every [augment] key; this for older ones */
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
    if (metrics_read_csv(path, &run->metrics) < 0)
        return -1;
    summarise(run);

    snprintf(path, sizeof path, "%s/config.ini", run->dir);
    char *text = NULL;
    if (access(path, F_OK)) {
        add_warning(run, "no config.ini, settings unknown");
    } else if (!(text = fs_read_text(path, "config", REPORT_CONFIG_MAX))) {
        add_warning(run, "%s; settings unknown", error_message());
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
    add_live(run);
    error_clear();
    return 0;
}

void report_run_free(report_run_t *run)
{
    metrics_free(&run->metrics);
}

/* ---------------------------------------------------------------- tables */

/* Closes b, a memory stream onto *text, and writes the text to path
 * (atomically); frees it. */
static int write_stream(FILE *b, char **text, const char *path)
{
    int rc = fclose(b) ? error_set("%s: out of memory", path) : fs_write_text(path, *text);
    free(*text);
    return rc;
}

/* A number, or an empty field when it is not known. */
static void num_field(FILE *b, const char *fmt, double v, int known)
{
    if (known)
        fprintf(b, fmt, v);
}

int report_write_csv(const char *path, const report_run_t *runs, int n)
{
    char *text = NULL;
    size_t size;
    FILE *b = open_memstream(&text, &size);   /* grows as the rows are printed */
    if (!b)
        return error_set("%s: out of memory", path);
    fprintf(b, "%s\n", report_csv_header);
    for (int i = 0; i < n; i++) {
        const report_run_t *r = &runs[i];
        csv_write_field(b, r->name);
        fprintf(b, ",");
        csv_write_field(b, r->dir);
        fprintf(b, ",");
        csv_write_field(b, r->data_file);
        fprintf(b, ",");
        csv_write_field(b, r->augmentation);
        fprintf(b, ",");
        num_field(b, "%g", r->max_angle, r->max_angle >= 0);
        fprintf(b, ",");
        num_field(b, "%.0f", r->hidden, r->hidden >= 0);
        fprintf(b, ",%s,%s,", r->rule, r->mode);
        num_field(b, "%.0f", r->batch, r->batch >= 0);
        fprintf(b, ",");
        num_field(b, "%g", r->lr, r->lr >= 0);
        fprintf(b, ",%s,", r->lr_schedule);
        num_field(b, "%g", r->lr_end, r->lr_end >= 0);
        fprintf(b, ",%d,", r->epochs_done);
        num_field(b, "%.0f", r->epochs_planned, r->epochs_planned >= 0);
        fprintf(b, ",%d,", r->ranks);
        num_field(b, "%.4f", r->best_accuracy, r->best_accuracy >= 0);
        fprintf(b, ",%d,", r->best_epoch);
        num_field(b, "%.4f", r->final_accuracy, r->final_accuracy >= 0);
        fprintf(b, ",%.0f,%.2f\n", r->samples_per_s, r->wall_s);
    }
    return write_stream(b, &text, path);
}

/* Markdown cells must not hold '|' or line breaks. */
static void md_text(FILE *b, const char *s)
{
    for (const char *p = s; *p; p++)
        fprintf(b, "%s%c", *p == '|' ? "\\" : "", *p == '\n' || *p == '\r' ? ' ' : *p);
}

char *report_markdown(const report_run_t *runs, int n)
{
    char *text = NULL;
    size_t size;
    FILE *b = open_memstream(&text, &size);
    if (!b) {
        error_set("out of memory for the report table");
        return NULL;
    }
    fprintf(b, "| run | augmentation | hidden | lr | epochs | ranks | best test | final test "
                  "| samples/s | wall time |\n");
    fprintf(b, "|---|---|---:|---|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < n; i++) {
        const report_run_t *r = &runs[i];
        fprintf(b, "| ");
        md_text(b, r->name);
        fprintf(b, " | ");
        md_text(b, r->augmentation);
        if (r->hidden >= 0)
            fprintf(b, " | %d", r->hidden);
        else
            fprintf(b, " | ?");
        if (r->lr < 0)
            fprintf(b, " | ?");
        else if (!strcmp(r->lr_schedule, "linear") || !strcmp(r->lr_schedule, "cosine"))
            fprintf(b, " | %g -> %g %s", r->lr, r->lr_end, r->lr_schedule);
        else
            fprintf(b, " | %g", r->lr);
        if (r->epochs_planned > 0 && r->epochs_planned != r->epochs_done)
            fprintf(b, " | %d of %d", r->epochs_done, r->epochs_planned);
        else
            fprintf(b, " | %d", r->epochs_done);
        fprintf(b, " | %d", r->ranks);
        if (r->best_accuracy >= 0)
            fprintf(b, " | %.2f%% (epoch %d) | %.2f%%", 100 * r->best_accuracy, r->best_epoch,
                      100 * r->final_accuracy);
        else
            fprintf(b, " | - | -");
        char wall[32];
        log_format_duration(r->wall_s, wall, sizeof wall);
        fprintf(b, " | %.0f | %s |\n", r->samples_per_s, wall);
    }
    if (fclose(b)) {
        free(text);
        error_set("out of memory for the report table");
        return NULL;
    }
    return text;
}

int report_time_markdown(const report_run_t *runs, int n, double target, char **md)
{
    char *text = NULL;
    size_t size;
    FILE *b = open_memstream(&text, &size);
    if (!b)
        return error_set("out of memory for the time table");
    fprintf(b, "%s\n## Time to %g%% test accuracy\n\n| run | ranks | epoch | seconds |\n"
               "|---|---:|---:|---:|\n", *md, target);
    for (int i = 0; i < n; i++) {
        int epoch = 0;
        double s = report_time_to(&runs[i], target, &epoch);
        fprintf(b, "| ");
        md_text(b, runs[i].name);
        fprintf(b, " | %d | ", runs[i].ranks);
        if (s < 0)
            fprintf(b, "never (%d epochs) | - |\n", runs[i].epochs_done);
        else
            fprintf(b, "%d | %.1f |\n", epoch, s);
    }
    if (fclose(b)) {
        free(text);
        return error_set("out of memory for the time table");
    }
    free(*md);
    *md = text;
    return 0;
}

/* ------------------------------------------------------ the whole report */

/* report.md: the tables, then the charts beside them. */
static int write_markdown_file(const char *path, const char *table, int with_time)
{
    char *text = NULL;
    size_t size;
    FILE *b = open_memstream(&text, &size);
    if (!b)
        return error_set("%s: out of memory", path);
    fprintf(b, "# nnmpi report\n\n%s\n"
               "![test accuracy after each epoch](" REPORT_PLOT_EPOCHS ")\n\n"
               "![final test accuracy against rotation angle](" REPORT_PLOT_ANGLE ")\n",
            table);
    if (with_time)
        fprintf(b, "\n![time to the target accuracy against ranks](" REPORT_PLOT_TIME ")\n");
    return write_stream(b, &text, path);
}

#define REPORT_PATH_MAX 4200

/* dir/name into path[REPORT_PATH_MAX]. */
static int report_path(char *path, const char *dir, const char *name)
{
    int n = snprintf(path, REPORT_PATH_MAX, "%s/%s", dir, name);
    return n < 0 || n >= REPORT_PATH_MAX ? error_set("%s/%s: path too long", dir, name) : 0;
}

int report_write(const char *dir, const report_run_t *runs, int n, const report_target_t *target,
                 char **table)
{
    char path[REPORT_PATH_MAX];
    *table = NULL;
    int rc = fs_mkdir_p(dir);
    rc = rc ? rc : report_path(path, dir, "report.csv");
    rc = rc ? rc : report_write_csv(path, runs, n);
    if (!rc && !(*table = report_markdown(runs, n)))
        rc = -1;
    if (!rc && target)
        rc = report_time_markdown(runs, n, target->percent, table);
    rc = rc ? rc : report_path(path, dir, "report.md");
    rc = rc ? rc : write_markdown_file(path, *table, target != NULL);
    rc = rc ? rc : report_path(path, dir, REPORT_PLOT_EPOCHS);
    rc = rc ? rc : report_plot_accuracy(path, runs, n);
    rc = rc ? rc : report_path(path, dir, REPORT_PLOT_ANGLE);
    rc = rc ? rc : report_plot_angle(path, runs, n);
    if (!rc && target) {
        rc = report_path(path, dir, REPORT_PLOT_TIME);
        rc = rc ? rc : report_plot_time_to(path, runs, n, target->percent, target->predicted);
    }
    if (rc) {
        free(*table);
        *table = NULL;
    }
    return rc;
}
