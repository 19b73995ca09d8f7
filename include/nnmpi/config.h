/* config: the run's settings from an INI file plus command-line overrides.
 *
 * Every key lives in one table (config.c) with its section, type, default,
 * limits and a line of help, so parsing, `--set`, validation, the resolved
 * text stored in checkpoints and `nnmpi train --help` can never disagree.
 * Unknown sections or keys and bad values are errors naming file and line. */
#ifndef NNMPI_CONFIG_H
#define NNMPI_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "nnmpi/augment_live.h"
#include "nnmpi/net.h"

#define CONFIG_PATH_MAX 1024
#define CONFIG_MAX_PARAMS (1 << 28)  /* weights of the largest net (checkpoint.c's limit) */

/* Largest configuration file read (a real one is a few KiB). */
#define CONFIG_MAX_BYTES (1 << 20)

typedef enum { TRAIN_MODE_SYNC = 0, TRAIN_MODE_LOCAL = 1 } train_mode_t;
typedef enum { OPT_SGD = 0, OPT_LARS = 1 } optimizer_kind_t;
typedef enum { LR_CONSTANT = 0, LR_LINEAR = 1, LR_COSINE = 2 } lr_schedule_t;

typedef struct {
    /* [data] */
    char data_file[CONFIG_PATH_MAX];
    /* [net] */
    int hidden;
    int hidden_given;        /* hidden was set (file, --set), not the default */
    struct {
        int n;               /* sizes given; 0: auto (the data's pixels,hidden,classes) */
        int sizes[NET_MAX_LAYERS + 1];
    } layers;
    /* the data file's ends, not keys: its images' size and its classes
     * (config_set_data_ends; MNIST's 28x28 and 10 until then) */
    int data_height, data_width, data_classes;
    net_activation_t activation; /* hidden layers */
    net_output_t output;
    net_loss_t loss;
    int bias;
    net_init_t init;
    net_rule_t rule;
    /* [train] */
    train_mode_t mode;
    double lr;
    lr_schedule_t lr_schedule;
    double lr_end;           /* final lr of the linear/cosine schedules */
    double warmup_epochs;    /* lr ramps up over these epochs; 0: no warm-up */
    double warmup_start;     /* ... from this fraction of the scheduled lr */
    int epochs;
    int batch;               /* global batch (sync mode) */
    int sync_every;          /* samples per rank between averages (local) */
    optimizer_kind_t optimizer; /* sync mode: sgd, or lars (optimizer.h) */
    double momentum;         /* sync mode: heavy-ball momentum; 0: none */
    double lars_trust;       /* LARS's trust coefficient (eta) */
    uint64_t seed;
    int shuffle;
    int threads;             /* BLAS threads per rank */
    int tensor_parallel;     /* ranks per sample (hidden-unit slices); 0: auto */
    double stall_timeout;    /* seconds waited in one collective; 0: for ever */
    /* [augment] */
    augment_live_params_t augment;
    int augment_ahead;       /* sync mode: the next batch distorted on a helper thread */
    /* [output] */
    char dir[CONFIG_PATH_MAX];
    int log_every;           /* progress line every N steps (0: per epoch only) */
    int backquery;           /* write back-query pictures at the end */
    /* [query] */
    char query_images[CONFIG_PATH_MAX];
    int query_frame;         /* image_frame_t */
    int query_every_epoch;
    /* [checkpoint] */
    int ckpt_every_epochs;
    int ckpt_every_steps;
    double ckpt_every_minutes;
    int ckpt_keep;
    /* where it came from, for messages */
    char source[CONFIG_PATH_MAX];
} config_t;

void config_defaults(config_t *cfg);

/* The network's ends from the data file: layers = auto becomes
 * height*width, hidden, classes, and config_validate refuses a layers list
 * whose first or last size disagrees. */
void config_set_data_ends(config_t *cfg, int height, int width, int classes);

/* Reads an INI file over the current values. */
int config_load_file(config_t *cfg, const char *path);

/* Applies one "section.key=value" override; origin names it in messages
 * (e.g. "--set"). */
int config_set(config_t *cfg, const char *assignment, const char *origin);

/* Applies INI text (as stored in a checkpoint); origin names it. */
int config_load_text(config_t *cfg, const char *text, const char *origin);

/* Checks the values together (e.g. a data file is given; a network shape
 * nnmpi trains, with a rule and tensor_parallel that fit it). */
int config_validate(const config_t *cfg);

/* The network the configuration describes: layers, or the data's
 * pixels-hidden-classes (784-hidden-10 for MNIST). */
net_shape_t config_net_shape(const config_t *cfg);

/* Whether it is the book's shape (which alone has the book's rule). */
int config_net_is_book(const config_t *cfg);

/* The resolved configuration as INI text (malloc'd), every key present. */
char *config_to_text(const config_t *cfg);

/* Writes every section and key with type, default and help, for --help. */
void config_print_help(FILE *out);

/* Whether a run saved with `saved` may continue under `now`: keys that
 * define the run (network, rule, mode, batch, seed, order) must be equal,
 * otherwise -1 names the first difference; the others (epochs, lr, paths,
 * checkpoint settings...) may change, and are listed in changes as
 * "section.key old -> new, ..." for the log. */
int config_resume_check(const config_t *saved, const config_t *now, char *changes,
                        size_t size);

/* The keys one by one, for comparing the configurations of ranks: how many
 * there are, and key i's name ("[section] key") and value as text. Whether
 * key i names a path, which may be spelled differently on each host. */
int config_key_count(void);
void config_key_name(int i, char *buf, size_t size);
void config_key_value(const config_t *cfg, int i, char *buf, size_t size);
int config_key_is_path(int i);

/* Checks the configuration against the job's number of ranks: an explicit
 * tensor_parallel must divide them (and not exceed the hidden units); sync
 * mode's global batch is shared by the groups of ranks, at least one row
 * each. */
int config_check_ranks(const config_t *cfg, int ranks);

const char *config_rule_name(net_rule_t rule);
const char *config_mode_name(train_mode_t mode);

/* The learning rate at a point of the run: progress in [0, 1] is the
 * fraction of all training steps done (so progress x epochs is the epochs
 * done, which the warm-up counts in): the schedule's value, scaled during
 * the warm-up from warmup_start to 1. */
double config_lr_at(const config_t *cfg, double progress);

#endif
