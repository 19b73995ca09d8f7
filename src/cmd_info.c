/* nnmpi info: what a dataset or model/checkpoint file holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd_common.h"
#include "nnmpi/checkpoint.h"
#include "nnmpi/ckptdir.h"
#include "nnmpi/config.h"
#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/h5util.h"
#include "nnmpi/rundir.h"
#include "nnmpi/runlock.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnmpi info FILE.h5|RUN_DIR...\n"
            "\n"
            "Summarises each file: for a dataset (nnmpi prepare) its sizes, source and\n"
            "checksums, augmentation and label counts; for a model or checkpoint (nnmpi\n"
            "train) the network, the training state, whether the weights match their\n"
            "checksum, its run and lineage (the sessions that led to it), the per-epoch\n"
            "metrics and the configuration it was trained with.\n"
            "For a run directory: the run it holds, whether a job holds it now, its\n"
            "checkpoints, latest.h5, best.h5 and model.h5, the run's lineage, and the\n"
            "folders of files set aside (abandoned-, previous-, damaged-).\n"
            "Exit status 1 if any file is missing, damaged or not an nnmpi file.\n");
}

/* "  test labels:  0:980 1:1135 ..." (the labels were checked against
 * the classes when read). */
static void print_label_counts(const imageset_t *test, int classes)
{
    int64_t counts[DATASET_MAX_CLASSES] = {0};
    for (int64_t i = 0; i < test->count; i++)
        counts[test->labels[i]]++;
    printf("  test labels: ");
    for (int c = 0; c < classes; c++)
        printf(" %d:%lld", c, (long long)counts[c]);
    printf("\n");
}

static int info_dataset(const char *path)
{
    dataset_info_t info;
    if (dataset_info(path, &info) < 0)
        return -1;
    imageset_t test;
    printf("%s: nnmpi dataset, format version %lld\n", path, (long long)info.version);
    printf("  train:        %lld images %dx%d\n", (long long)info.n_train, info.height, info.width);
    printf("  test:         %lld images\n", (long long)info.n_test);
    printf("  augmentation: %s\n", info.augmentation ? info.augmentation : "?");
    printf("  stored order: shuffled with seed %lld\n", (long long)info.shuffle_seed);
    printf("  source:       %s\n", info.source ? info.source : "?");
    if (info.source_sha256) {
        char *copy = strdup(info.source_sha256), *save = NULL;
        for (char *tok = copy ? strtok_r(copy, ";", &save) : NULL; tok;
             tok = strtok_r(NULL, ";", &save))
            printf("  sha256:       %s\n", tok);
        free(copy);
    }
    printf("  classes:      %d%s%s\n", info.classes, info.class_names ? ": " : "",
           info.class_names ? info.class_names : "");
    int rc = dataset_read_split(path, "test", &test);
    if (!rc) {
        print_label_counts(&test, info.classes);
        imageset_free(&test);
    }
    dataset_info_free(&info);
    return rc;
}

/* A heading and text indented under it, if there is any text. */
static void print_lines(const char *heading, const char *text)
{
    if (!text || !text[0])
        return;
    printf("%s\n", heading);
    char *copy = strdup(text), *save = NULL;
    for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save))
        printf("    %s\n", line);
    free(copy);
}

static int info_checkpoint(const char *path)
{
    net_t net;
    ckpt_meta_t meta;
    int verified = 0;
    if (ckpt_inspect(path, &net, &meta, &verified) < 0)
        return -1;
    printf("%s: nnmpi model/checkpoint\n", path);
    char network[512];
    if (net_is_book_shape(&net))
        snprintf(network, sizeof network, "%d-%d-%d sigmoid", net.n_in, net.n_hidden, net.n_out);
    else
        net_shape_describe(&net.shape, network, sizeof network);
    printf("  network:    %s, rule %s, %zu parameters\n", network, config_rule_name(meta.rule),
           net.n_params);
    if (meta.image_height)
        printf("  data:       %dx%d images, %d classes%s%s\n", meta.image_height,
               meta.image_width, net.n_out, meta.class_names ? ": " : "",
               meta.class_names ? meta.class_names : "");
    printf("  weights:    sha256 %s (%s)\n", meta.weights_sha256,
           verified ? "checksum verified" : "CHECKSUM MISMATCH: the file is damaged");
    if (meta.velocity)
        printf("  optimizer:  momentum of every weight (/optimizer, checksum verified)\n");
    printf("  training:   %d epoch%s done, step %lld of the next, seed %llu, written by %d rank%s\n",
           meta.epoch, meta.epoch == 1 ? "" : "s", (long long)meta.step,
           (unsigned long long)meta.seed, meta.world_size, meta.world_size == 1 ? "" : "s");
    printf("  elapsed:    %.1f s of training run time; dataset: %s\n", meta.elapsed_s,
           meta.data_id ? meta.data_id : "?");
    printf("  run:        %s%s%s\n", meta.run_id[0] ? meta.run_id : "(written before run ids)",
           meta.parent && meta.parent[0] ? ", continued from " : "",
           meta.parent ? meta.parent : "");
    print_lines("  lineage:", meta.lineage);
    if (meta.metrics.count) {
        printf("  metrics:\n    %5s %10s %9s %9s %10s %12s %9s\n", "epoch", "train_loss",
               "train_acc", "test_acc", "lr", "samples/s", "wall_s");
        for (int i = 0; i < meta.metrics.count; i++) {
            const metrics_row_t *r = &meta.metrics.rows[i];
            printf("    %5d %10.5f %8.2f%% %8.2f%% %10.4g %12.0f %9.1f\n", r->epoch, r->train_loss,
                   100 * r->train_accuracy, 100 * r->test_accuracy, r->lr, r->samples_per_s,
                   r->wall_s);
        }
    }
    print_lines("  configuration:", meta.config_text);
    net_free(&net);
    ckpt_meta_free(&meta);
    return verified ? 0 : error_set("%s: the weights do not match their checksum (damaged file)",
                                    path);
}

/* "3 epochs done, step 0" of dir/name, or why it cannot say. */
static void position_of(const char *dir, const char *name, char *text, size_t size)
{
    char path[4200];
    ckpt_meta_t meta;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (ckpt_peek(path, &meta) < 0) {
        snprintf(text, size, "DOES NOT LOAD: %s", error_message());
        return;
    }
    snprintf(text, size, "%d epoch%s done, step %lld%s%.8s", meta.epoch,
             meta.epoch == 1 ? "" : "s", (long long)meta.step, meta.run_id[0] ? ", run " : "",
             meta.run_id);
    ckpt_meta_free(&meta);
}

static void info_link(const char *dir, const char *link)
{
    char target[256], where[1024] = "(none)";
    ckptdir_link_target(dir, link, target, sizeof target);
    if (target[0])
        position_of(dir, target, where, sizeof where);
    printf("  %-11s %s%s%s%s\n", link, target, target[0] ? " (" : "", where,
           target[0] ? ")" : "");
}

static void info_aside(const char *dir)
{
    strlist_t names = rundir_list_aside(dir);
    for (size_t i = 0; i < names.count; i++) {
        char sub[4200];
        snprintf(sub, sizeof sub, "%s/%s", dir, names.items[i]);
        strlist_t ckpts = ckptdir_list(sub);
        printf("  %s %s/ (%zu checkpoint%s)\n", i ? "           " : "set aside: ",
               names.items[i], ckpts.count, ckpts.count == 1 ? "" : "s");
        strlist_free(&ckpts);
    }
    strlist_free(&names);
}

/* A run directory: its run, its holder, its files and its lineage. */
static int info_run_dir(const char *dir)
{
    char id[CKPT_RUN_ID_LEN + 1] = "", from[4200] = "", holder[512];
    int has = rundir_has_run(dir), known = has && rundir_run_id(dir, id, from, sizeof from);
    printf("%s: nnmpi run directory\n", dir);
    printf("  run:        %s%s%s%s\n", !has ? "none yet" : !known ? "files that do not load"
                                                 : id[0] ? id : "(written before run ids)",
           known ? " (as " : "", known ? from : "", known ? " says)" : "");
    int held = runlock_holder(dir, holder, sizeof holder);
    printf("  in use:     %s%s\n", held > 0 ? "by a training job: " : held < 0 ? "? " : "no",
           held > 0 ? holder : held < 0 ? error_message() : "");
    info_link(dir, "latest.h5");
    info_link(dir, "best.h5");
    struct stat st;
    char model[4200], where[1024];
    snprintf(model, sizeof model, "%s/model.h5", dir);
    if (stat(model, &st) == 0)
        position_of(dir, "model.h5", where, sizeof where);
    printf("  model.h5    %s\n", stat(model, &st) == 0 ? where : "(none)");
    strlist_t names = ckptdir_list(dir);
    printf("  checkpoints: %zu%s", names.count, names.count ? ":" : "\n");
    for (size_t i = names.count; i-- > 0;)
        printf(" %s%s", names.items[i], i ? "" : "\n");
    strlist_free(&names);
    ckpt_meta_t meta;
    if (known && ckpt_peek(from, &meta) == 0) {
        print_lines("  lineage:", meta.lineage);
        ckpt_meta_free(&meta);
    }
    info_aside(dir);
    return 0;
}

static int info_one(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return info_run_dir(path);
    hid_t f = h5_open_read(path);
    if (f < 0)
        return -1;
    char *format = NULL;
    int has = h5_attr_read_str(f, "format", &format) == 0;
    H5Fclose(f);
    if (!has)
        return error_set("%s: an HDF5 file, but not one of nnmpi's (no 'format' attribute)", path);
    int rc;
    if (!strcmp(format, DATASET_FORMAT))
        rc = info_dataset(path);
    else if (!strcmp(format, CKPT_FORMAT))
        rc = info_checkpoint(path);
    else
        rc = error_set("%s: unknown format '%s'", path, format);
    free(format);
    return rc;
}

int cmd_info(int argc, char **argv)
{
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cmd_options_t o = cmd_options("info", argc, argv, "h", options, usage);
    while (cmd_option(&o))
        ; /* --help is its only option */
    if (o.finished)
        return o.status;
    if (optind >= argc)
        return cmd_usage_error("info: no file or run directory given (see nnmpi info --help)");
    int status = EXIT_OK; /* one file that fails does not stop the others */
    for (int i = optind; i < argc; i++)
        if (info_one(argv[i]) < 0)
            status = cmd_fail();
    return status;
}
