/* nnmpi info: what a dataset or model/checkpoint file holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "nnmpi/checkpoint.h"
#include "nnmpi/config.h"
#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/h5util.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnmpi info FILE.h5...\n"
            "\n"
            "Summarises each file: for a dataset (nnmpi prepare) its sizes, source and\n"
            "checksums, augmentation and label counts; for a model or checkpoint (nnmpi\n"
            "train) the network, the training state, whether the weights match their\n"
            "checksum, the per-epoch metrics and the configuration it was trained with.\n"
            "Exit status 1 if any file is missing, damaged or not an nnmpi file.\n");
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
    int rc = dataset_read_split(path, "test", &test);
    if (!rc) {
        int64_t counts[10] = {0};
        for (int64_t i = 0; i < test.count; i++)
            counts[test.labels[i]]++;
        printf("  test labels: ");
        for (int d = 0; d < 10; d++)
            printf(" %d:%lld", d, (long long)counts[d]);
        printf("\n");
        imageset_free(&test);
    }
    dataset_info_free(&info);
    return rc;
}

static int info_checkpoint(const char *path)
{
    net_t net;
    ckpt_meta_t meta;
    int verified = 0;
    if (ckpt_inspect(path, &net, &meta, &verified) < 0)
        return -1;
    printf("%s: nnmpi model/checkpoint\n", path);
    printf("  network:    %d-%d-%d sigmoid, rule %s, %zu parameters\n", net.n_in, net.n_hidden,
           net.n_out, config_rule_name(meta.rule), net.n_params);
    printf("  weights:    sha256 %s (%s)\n", meta.weights_sha256,
           verified ? "checksum verified" : "CHECKSUM MISMATCH: the file is damaged");
    printf("  training:   %d epoch%s done, step %lld of the next, seed %llu, written by %d rank%s\n",
           meta.epoch, meta.epoch == 1 ? "" : "s", (long long)meta.step,
           (unsigned long long)meta.seed, meta.world_size, meta.world_size == 1 ? "" : "s");
    printf("  elapsed:    %.1f s of training run time; dataset: %s\n", meta.elapsed_s,
           meta.data_id ? meta.data_id : "?");
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
    if (meta.config_text) {
        printf("  configuration:\n");
        char *copy = strdup(meta.config_text), *save = NULL;
        for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
             line = strtok_r(NULL, "\n", &save))
            printf("    %s\n", line);
        free(copy);
    }
    net_free(&net);
    ckpt_meta_free(&meta);
    return verified ? 0 : error_set("%s: the weights do not match their checksum (damaged file)",
                                    path);
}

static int info_one(const char *path)
{
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
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return EXIT_OK;
    }
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        if (info_one(argv[i]) < 0) {
            fprintf(stderr, "nnmpi: error: %s\n", error_message());
            failed = 1;
        }
    }
    return failed ? EXIT_FAILURE_RUN : EXIT_OK;
}
