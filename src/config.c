#include "nnmpi/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/inifile.h"

/* T_AUTO_INT: a whole number, or "auto" (stored as 0); T_LAYERS: the
 * layer sizes, or "auto" (the data's pixels,hidden,classes) */
typedef enum { T_INT, T_DOUBLE, T_U64, T_BOOL, T_STRING, T_ENUM, T_AUTO_INT, T_LAYERS } key_type_t;

typedef struct {
    const char *section, *key;
    key_type_t type;
    size_t offset;          /* of the field in config_t */
    const char *fallback;   /* default, as text: parsed like any value */
    double min, max;        /* for numbers */
    const char *const *names; /* for enums: index = value, NULL-terminated */
    const char *help;
    int fixed;              /* must stay the same when a run is resumed */
} config_key_t;

#define FIXED 1
#define FREE 0

static const char *const rule_names[] = {"book", "gradient", NULL};
static const char *const mode_names[] = {"sync", "local", NULL};
static const char *const schedule_names[] = {"constant", "linear", "cosine", NULL};
static const char *const optimizer_names[] = {"sgd", "lars", NULL}; /* optimizer_kind_t order */
static const char *const frame_names[] = {"mnist", "book", "scale", NULL}; /* image_frame_t order */

#define F(field) offsetof(config_t, field)
static const config_key_t keys[] = {
    {"data", "file", T_STRING, F(data_file), "", 0, 0, NULL,
     "HDF5 file made by `nnmpi prepare` (required)", FREE},
    {"net", "hidden", T_INT, F(hidden), "200", 1, 100000, NULL,
     "hidden nodes: the book's net pixels-hidden-classes, 784-hidden-10 on MNIST (with layers: "
     "its first hidden layer)", FIXED},
    {"net", "layers", T_LAYERS, F(layers), "auto", 1, 100000, NULL,
     "layer sizes from the inputs (the data's pixels, 784 for MNIST) to the outputs (its "
     "classes, 10), e.g. 784,300,100,10 (2 to 8 weight layers); auto: pixels,hidden,classes",
     FIXED},
    {"net", "activation", T_ENUM, F(activation), "sigmoid", 0, 0, net_activation_names,
     "of the hidden layers", FIXED},
    {"net", "output", T_ENUM, F(output), "sigmoid", 0, 0, net_output_names,
     "output layer (softmax needs loss = cross_entropy)", FIXED},
    {"net", "loss", T_ENUM, F(loss), "mse", 0, 0, net_loss_names,
     "mse: 0.5*sum (t-o)^2, the book's; cross_entropy", FIXED},
    {"net", "bias", T_BOOL, F(bias), "false", 0, 0, NULL, "biases in every layer (the book: none)",
     FIXED},
    {"net", "init", T_ENUM, F(init), "book", 0, 0, net_init_names,
     "initial weights: book normal(0, fan_in^-1/2), glorot uniform(+-sqrt(6/(fan_in+fan_out))), "
     "he normal(0, sqrt(2/fan_in)); biases 0", FIXED},
    {"net", "rule", T_ENUM, F(rule), "book", 0, 0, rule_names,
     "book: the book's update (hidden error w_ho^T e_o), for the book's net only; gradient: "
     "exact gradient", FIXED},
    {"train", "mode", T_ENUM, F(mode), "sync", 0, 0, mode_names,
     "sync: one averaged update per global batch; local: per-sample SGD per rank, "
     "weights averaged every sync_every samples", FIXED},
    {"train", "lr", T_DOUBLE, F(lr), "0.1", 1e-9, 1e6, NULL,
     "learning rate, as in the book (updates are lr times the batch mean)", FREE},
    {"train", "lr_schedule", T_ENUM, F(lr_schedule), "constant", 0, 0, schedule_names,
     "how lr moves to lr_end over the run", FREE},
    {"train", "lr_end", T_DOUBLE, F(lr_end), "0", 0, 1e6, NULL,
     "final learning rate of the linear and cosine schedules", FREE},
    {"train", "warmup_epochs", T_DOUBLE, F(warmup_epochs), "0", 0, 1e6, NULL,
     "epochs (a fraction allowed) over which lr rises linearly from warmup_start x lr to the "
     "schedule's value, which it follows from then on; 0: none. The large lr a large batch "
     "needs saturates the sigmoids of fresh weights and the net stops learning; from a "
     "small start it is taken safely (Goyal et al. 2017, docs/time-to-accuracy.md)", FREE},
    {"train", "warmup_start", T_DOUBLE, F(warmup_start), "0.1", 0, 1, NULL,
     "lr at the start of the warm-up, as a fraction of lr", FREE},
    {"train", "epochs", T_INT, F(epochs), "1", 1, 1000000, NULL, "passes over the training set", FREE},
    {"train", "batch", T_INT, F(batch), "32", 1, 1 << 20, NULL,
     "global batch of sync mode, shared by all ranks (at least the number of ranks)", FIXED},
    {"train", "sync_every", T_INT, F(sync_every), "1000", 1, 1 << 30, NULL,
     "local mode: samples each rank trains between weight averages", FIXED},
    {"train", "optimizer", T_ENUM, F(optimizer), "sgd", 0, 0, optimizer_names,
     "sync mode: sgd, the book's step (lr times the batch's mean gradient); lars, each "
     "layer's step scaled to lars_trust x |weights| / |gradient| (You et al. 2017): with "
     "momentum = 0.9 and lr = batch / 2048 a global batch of 1024-2048 learns in about the "
     "epochs of batch 32 (configs/lars-2048.ini, docs/time-to-accuracy.md)", FIXED},
    {"train", "momentum", T_DOUBLE, F(momentum), "0", 0, 0.999, NULL,
     "sync mode: each step adds this fraction of the previous one (heavy ball); 0: none, the "
     "book's plain step", FREE},
    {"train", "lars_trust", T_DOUBLE, F(lars_trust), "0.01", 1e-9, 1e3, NULL,
     "optimizer = lars: a layer's step at lr 1 is this fraction of its weights' size", FREE},
    {"train", "seed", T_U64, F(seed), "1", 0, 0, NULL,
     "seed of the initial weights and the data order", FIXED},
    {"train", "shuffle", T_BOOL, F(shuffle), "true", 0, 0, NULL,
     "visit the rows in a new random order every epoch", FIXED},
    {"train", "threads", T_INT, F(threads), "1", 1, 256, NULL,
     "BLAS threads per rank (1 when each core runs a rank)", FREE},
    {"train", "tensor_parallel", T_AUTO_INT, F(tensor_parallel), "auto", 1, 4096, NULL,
     "ranks that share each sample, each computing a slice of the (first) hidden layer's "
     "units; the groups they form are data-parallel (auto: a node's ranks in sync mode, 1 in "
     "local mode and for nets whose layers above the first outweigh it)", FREE},
    {"train", "stall_timeout", T_DOUBLE, F(stall_timeout), "600", 0, 1e7, NULL,
     "seconds a rank waits for the others in one step before the job ends (exit 4; a stopped "
     "or hung rank, a failed network); 0: wait for ever", FREE},
    {"augment", "rotate", T_DOUBLE, F(augment.rotate), "0", 0, 180, NULL,
     "distort training samples afresh every epoch (deterministic in seed, epoch and row; "
     "works with a file of originals alone): rotate by up to this many degrees either way, "
     "uniform; 0: no rotation", FIXED},
    {"augment", "shift", T_INT, F(augment.shift), "0", 0, AUGMENT_MAX_SHIFT, NULL,
     "shift by up to this many whole pixels down or up and across, uniform; 0: none", FIXED},
    {"augment", "scale", T_DOUBLE, F(augment.scale), "0", 0, AUGMENT_MAX_SCALE, NULL,
     "scale by up to this many percent either way about the centre of mass, uniform (15: a "
     "factor in 0.85..1.15; prepare --scale's function); 0: none", FIXED},
    {"augment", "shear", T_DOUBLE, F(augment.shear), "0", 0, AUGMENT_MAX_SHEAR, NULL,
     "slant by up to this many degrees either way, uniform (a horizontal shear about the "
     "centre row, positive leaning the top right; one resampling with rotate); 0: none",
     FIXED},
    {"augment", "stroke", T_DOUBLE, F(augment.stroke), "0", 0, AUGMENT_MAX_THICKNESS, NULL,
     "thicken or thin the strokes by up to this many pixels, uniform (prepare --thickness's "
     "units and function: 1 grows a 1-px line to 3 px); 0: none", FIXED},
    {"augment", "elastic_alpha", T_DOUBLE, F(augment.alpha), "0", 0, 1000, NULL,
     "elastic distortion's strength (Simard et al. 2003: 34 for 28x28 digits, as prepare "
     "--elastic); 0: none", FIXED},
    {"augment", "elastic_sigma", T_DOUBLE, F(augment.sigma), "4", 0.5, 20, NULL,
     "the elastic field's smoothness in pixels", FIXED},
    {"augment", "elastic_bank", T_INT, F(augment.elastic_bank), "0", 0, AUGMENT_MAX_BANK, NULL,
     "0: a fresh elastic field per sample and a resampling per distortion, prepare's bytes; "
     "N: the fields cut from a bank of N smoothed once at start (68 KB each at sigma 4, 28x28), "
     "and scale, shear, rotate, shift and field in one resampling: 1.2 us an image instead of "
     "13 for rotate + shift + elastic, other bytes (64 is plenty)", FIXED},
    {"augment", "probability", T_DOUBLE, F(augment.probability), "1", 0, 1, NULL,
     "the share of samples distorted (every configured distortion at once); the others are "
     "shown as they are. `nnmpi augment-preview` draws what a row looks like", FIXED},
    {"augment", "ahead", T_INT, F(augment_ahead), "1", 0, 1, NULL,
     "distort the next batch (local mode: the next 64 samples) on a helper thread while "
     "this one trains (the same images either way); 0: on the training thread", FREE},
    {"output", "dir", T_STRING, F(dir), "", 0, 0, NULL,
     "run directory for model.h5 and metrics.csv (default: runs/<config name>)", FREE},
    {"output", "log_every", T_INT, F(log_every), "0", 0, 1 << 30, NULL,
     "also print a progress line every N steps (0: once per epoch)", FREE},
    {"output", "backquery", T_BOOL, F(backquery), "true", 0, 0, NULL,
     "write the back-query pictures of the trained net into DIR/backquery/", FREE},
    {"query", "images", T_STRING, F(query_images), "", 0, 0, NULL,
     "a PNG or folder of PNGs (your own digits) rank 0 answers at the end: "
     "DIR/own_images.csv and DIR/own_images.png", FREE},
    {"query", "frame", T_ENUM, F(query_frame), "mnist", 0, 0, frame_names,
     "mnist: normalise like MNIST (any picture); book: 28x28 pictures, inverted only; scale: "
     "any picture scaled to 28x28, inverted (for 28x28 data other than digits)", FREE},
    {"query", "every_epoch", T_BOOL, F(query_every_epoch), "false", 0, 0, NULL,
     "answer the pictures after every epoch, not only at the end", FREE},
    {"checkpoint", "every_epochs", T_INT, F(ckpt_every_epochs), "1", 0, 1000000, NULL,
     "write a checkpoint every N epochs (0: never by epoch)", FREE},
    {"checkpoint", "every_steps", T_INT, F(ckpt_every_steps), "0", 0, 1 << 30, NULL,
     "also every N steps (sync: batches; local: averaging rounds); 0: never", FREE},
    {"checkpoint", "every_minutes", T_DOUBLE, F(ckpt_every_minutes), "0", 0, 1e6, NULL,
     "also every N minutes of wall time (0: never)", FREE},
    {"checkpoint", "keep", T_INT, F(ckpt_keep), "3", 1, 1000000, NULL,
     "checkpoints kept (the newest N, plus the best by test accuracy)", FREE},
};
#undef F
#define N_KEYS (sizeof keys / sizeof keys[0])

static const config_key_t *find_key(const char *section, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].key, key))
            return &keys[i];
    return NULL;
}

static int section_known(const char *section)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].section, section))
            return 1;
    return 0;
}

/* "a, b, c": the keys of a section, for messages. */
static void section_keys(const char *section, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].section, section)) {
            size_t used = strlen(buf);
            snprintf(buf + used, size - used, "%s%s", used ? ", " : "", keys[i].key);
        }
}

/* "data, net, train, ...": the sections, in the table's order. */
static void section_names(char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < N_KEYS; i++)
        if (i == 0 || strcmp(keys[i].section, keys[i - 1].section)) {
            size_t used = strlen(buf);
            snprintf(buf + used, size - used, "%s%s", used ? ", " : "", keys[i].section);
        }
}

static void enum_list(const char *const *names, char *buf, size_t size)
{
    buf[0] = '\0';
    for (int i = 0; names[i]; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", i ? "|" : "", names[i]);
    }
}

/* Why a string value could not be written into the resolved INI text
 * (config_to_text, which checkpoints store and a resume parses back) and be
 * read back the same, or NULL: the INI reader trims blanks at the ends, takes
 * ';' or '#' at the start or after a blank for a comment, and ends a value
 * at a line break. */
static const char *ini_unsafe(const char *v)
{
    size_t n = strlen(v);
    if (n && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1])))
        return "it starts or ends with a blank";
    if (v[0] == ';' || v[0] == '#')
        return "it starts with ';' or '#', which begins a comment";
    for (size_t i = 1; i < n; i++) {
        if ((v[i] == ';' || v[i] == '#') && isspace((unsigned char)v[i - 1]))
            return "';' or '#' after a blank begins a comment";
        if (v[i] == '\n' || v[i] == '\r')
            return "it holds a line break";
    }
    return NULL;
}

/* "784,300,100,10" or "auto" into cfg->layers; a list sets hidden to its
 * first hidden layer unless hidden was given (config_validate then checks
 * they agree). */
static int set_layers(config_t *cfg, const config_key_t *k, const char *value)
{
    int sizes[NET_MAX_LAYERS + 1], n = 0;
    if (!strcmp(value, "auto")) {
        cfg->layers.n = 0;
        return 0;
    }
    for (const char *p = value; n <= NET_MAX_LAYERS; p++) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < k->min || v > k->max || (*end && *end != ','))
            break;
        sizes[n++] = (int)v;
        if (!*end) {
            if (n < 3)
                break;
            memcpy(cfg->layers.sizes, sizes, (size_t)n * sizeof *sizes);
            cfg->layers.n = n;
            if (!cfg->hidden_given)
                cfg->hidden = sizes[1];
            return 0;
        }
        p = end;
    }
    return error_set("[net] layers = '%s': expected 3 to %d sizes from %.0f to %.0f separated by "
                     "commas (e.g. 784,300,100,10), or auto", value, NET_MAX_LAYERS + 1, k->min,
                     k->max);
}

static void format_layers(const config_t *cfg, int effective, char *buf, size_t size)
{
    if (!cfg->layers.n && !effective) {
        snprintf(buf, size, "auto");
        return;
    }
    net_shape_t shape = config_net_shape(cfg);
    net_shape_sizes_text(&shape, buf, size);
    for (char *c = buf; *c; c++)
        *c = *c == '-' ? ',' : *c;
}

/* Parses value into the field of k; the message says what was expected. */
static int set_value(config_t *cfg, const config_key_t *k, const char *value)
{
    char *field = (char *)cfg + k->offset;
    char *end = NULL;
    errno = 0;
    switch (k->type) {
    case T_LAYERS:
        return set_layers(cfg, k, value);
    case T_AUTO_INT:
        if (!strcmp(value, "auto")) {
            *(int *)field = 0;
            return 0;
        }
        /* otherwise a whole number */
        __attribute__((fallthrough));
    case T_INT: {
        long v = strtol(value, &end, 10);
        if (!*value || *end || errno || v < k->min || v > k->max)
            return error_set("[%s] %s = '%s': expected a whole number from %.0f to %.0f%s",
                             k->section, k->key, value, k->min, k->max,
                             k->type == T_AUTO_INT ? ", or auto" : "");
        *(int *)field = (int)v;
        return 0;
    }
    case T_DOUBLE: {
        double v = strtod(value, &end);
        if (!*value || *end || errno || !isfinite(v) || v < k->min || v > k->max)
            return error_set("[%s] %s = '%s': expected a number from %g to %g", k->section,
                             k->key, value, k->min, k->max);
        *(double *)field = v;
        return 0;
    }
    case T_U64: {
        unsigned long long v = strtoull(value, &end, 10);
        if (!*value || *end || errno || strchr(value, '-'))
            return error_set("[%s] %s = '%s': expected a non-negative whole number", k->section,
                             k->key, value);
        *(uint64_t *)field = (uint64_t)v;
        return 0;
    }
    case T_BOOL:
        if (!strcasecmp(value, "true") || !strcasecmp(value, "yes") || !strcmp(value, "1") ||
            !strcasecmp(value, "on"))
            *(int *)field = 1;
        else if (!strcasecmp(value, "false") || !strcasecmp(value, "no") ||
                 !strcmp(value, "0") || !strcasecmp(value, "off"))
            *(int *)field = 0;
        else
            return error_set("[%s] %s = '%s': expected true or false", k->section, k->key, value);
        return 0;
    case T_STRING: {
        if (strlen(value) >= CONFIG_PATH_MAX)
            return error_set("[%s] %s: value longer than %d characters", k->section, k->key,
                             CONFIG_PATH_MAX - 1);
        const char *why = ini_unsafe(value);
        if (why)
            return error_set("[%s] %s = '%s': not allowed, %s (the configuration stored in "
                             "checkpoints could not keep it)", k->section, k->key, value, why);
        strcpy(field, value);
        return 0;
    }
    case T_ENUM:
        for (int i = 0; k->names[i]; i++)
            if (!strcmp(value, k->names[i])) {
                *(int *)field = i;
                return 0;
            }
        char list[256];
        enum_list(k->names, list, sizeof list);
        return error_set("[%s] %s = '%s': expected one of %s", k->section, k->key, value, list);
    }
    return error_set("internal error: bad key type");
}

static int set_key(config_t *cfg, const char *section, const char *key, const char *value)
{
    if (!*section)
        return error_set("'%s' is outside any [section]", key);
    if (!section_known(section)) {
        char known[256];
        section_names(known, sizeof known);
        return error_set("unknown section [%s] (known: %s)", section, known);
    }
    const config_key_t *k = find_key(section, key);
    if (!k) {
        char known[512];
        section_keys(section, known, sizeof known);
        return error_set("unknown key '%s' in [%s] (known: %s)", key, section, known);
    }
    int rc = set_value(cfg, k, value);
    if (rc == 0 && !strcmp(key, "hidden") && !strcmp(section, "net"))
        cfg->hidden_given = 1;
    return rc;
}

void config_defaults(config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_KEYS; i++)
        set_value(cfg, &keys[i], keys[i].fallback);
    config_set_data_ends(cfg, 28, 28, 10);
}

void config_set_data_ends(config_t *cfg, int height, int width, int classes)
{
    cfg->data_height = height;
    cfg->data_width = width;
    cfg->data_classes = classes;
}

net_shape_t config_net_shape(const config_t *cfg)
{
    net_shape_t shape =
        net_book_shape(cfg->data_height * cfg->data_width, cfg->hidden, cfg->data_classes);
    if (cfg->layers.n) {
        shape.n_layers = cfg->layers.n - 1;
        memcpy(shape.sizes, cfg->layers.sizes, (size_t)cfg->layers.n * sizeof(int));
    }
    shape.activation = cfg->activation;
    shape.output = cfg->output;
    shape.loss = cfg->loss;
    shape.bias = cfg->bias;
    return shape;
}

int config_net_is_book(const config_t *cfg)
{
    net_shape_t shape = config_net_shape(cfg);
    return net_shape_is_book(&shape);
}

typedef struct {
    config_t *cfg;
    const char *origin;
    int line_set[N_KEYS]; /* where each key was set in this text, 0 if not */
} parse_ctx_t;

static int on_entry(void *user, int line, const char *section, const char *key,
                    const char *value)
{
    parse_ctx_t *ctx = user;
    if (!key) { /* a section header: refuse an unknown one even if empty */
        if (!section_known(section)) {
            char known[256];
            section_names(known, sizeof known);
            return error_set("%s:%d: unknown section [%s] (known: %s)", ctx->origin, line,
                             section, known);
        }
        return 0;
    }
    const config_key_t *k = *section ? find_key(section, key) : NULL;
    if (k && ctx->line_set[k - keys])
        return error_set("%s:%d: [%s] %s is set twice (first on line %d)", ctx->origin, line,
                         section, key, ctx->line_set[k - keys]);
    if (set_key(ctx->cfg, section, key, value) < 0)
        return error_prefix("%s:%d", ctx->origin, line);
    ctx->line_set[k - keys] = line;
    return 0;
}

static int parse_text(config_t *cfg, const char *text, const char *origin)
{
    parse_ctx_t ctx = {.cfg = cfg, .origin = origin};
    return inifile_parse(text, origin, on_entry, &ctx) ? -1 : 0;
}

int config_load_file(config_t *cfg, const char *path)
{
    char *text = fs_read_text(path, "config", CONFIG_MAX_BYTES);
    if (!text)
        return -1;
    int rc = parse_text(cfg, text, path);
    free(text);
    if (!rc)
        snprintf(cfg->source, sizeof cfg->source, "%s", path);
    return rc;
}

int config_load_text(config_t *cfg, const char *text, const char *origin)
{
    return parse_text(cfg, text, origin);
}

int config_set(config_t *cfg, const char *assignment, const char *origin)
{
    const char *dot = strchr(assignment, '.');
    const char *eq = strchr(assignment, '=');
    if (!dot || !eq || dot > eq || dot == assignment)
        return error_set("%s '%s': expected section.key=value, e.g. train.lr=0.05", origin,
                         assignment);
    char section[64], key[64];
    size_t ls = (size_t)(dot - assignment), lk = (size_t)(eq - dot - 1);
    if (ls >= sizeof section || lk >= sizeof key || lk == 0)
        return error_set("%s '%s': expected section.key=value", origin, assignment);
    memcpy(section, assignment, ls);
    section[ls] = '\0';
    memcpy(key, dot + 1, lk);
    key[lk] = '\0';
    if (set_key(cfg, section, key, eq + 1) < 0)
        return error_prefix("%s %s", origin, assignment);
    return 0;
}

/* The [net] keys together, and the [train] keys that depend on the shape. */
static int validate_net(const config_t *cfg, const char *where)
{
    const net_shape_t shape = config_net_shape(cfg);
    const int L = shape.n_layers;
    char layers[256], described[512];
    format_layers(cfg, 1, layers, sizeof layers);
    net_shape_describe(&shape, described, sizeof described);
    if (cfg->layers.n && cfg->hidden_given && cfg->hidden != shape.sizes[1])
        return error_set("%s: [net] hidden = %d and layers = %s disagree (hidden is the first "
                         "hidden layer's width, %d here): give layers alone", where, cfg->hidden,
                         layers, shape.sizes[1]);
    const int pixels = cfg->data_height * cfg->data_width;
    if (shape.sizes[0] != pixels)
        return error_set("%s: [net] layers = %s: the first size must be %d (the pixels of the "
                         "data's %dx%d images), not %d", where, layers, pixels, cfg->data_height,
                         cfg->data_width, shape.sizes[0]);
    if (shape.sizes[L] != cfg->data_classes)
        return error_set("%s: [net] layers = %s: the last size must be %d (the data's classes), "
                         "not %d", where, layers, cfg->data_classes, shape.sizes[L]);
    if (cfg->output == NET_OUT_SOFTMAX && cfg->loss != NET_LOSS_CROSS_ENTROPY)
        return error_set("%s: [net] output = softmax needs loss = cross_entropy, not %s (with "
                         "squared error a softmax's gradient vanishes where the net is most "
                         "wrong)", where, net_loss_names[cfg->loss]);
    if (cfg->rule == NET_RULE_BOOK && !net_shape_is_book(&shape))
        return error_set("%s: [net] rule = book is defined for the book's 3-layer sigmoid net "
                         "with squared error and no biases, not for %s: use rule = gradient",
                         where, described);
    if (net_shape_check(&shape) < 0)
        return error_prefix("%s: [net]", where);
    if (net_shape_params(&shape) > CONFIG_MAX_PARAMS)
        return error_set("%s: [net] layers = %s: %zu weights, more than nnmpi trains (%d: one "
                         "MPI message, and what a checkpoint may hold)", where, layers,
                         net_shape_params(&shape), CONFIG_MAX_PARAMS);
    return 0;
}

int config_validate(const config_t *cfg)
{
    const char *where = cfg->source[0] ? cfg->source : "configuration";
    if (!cfg->data_file[0])
        return error_set("%s: [data] file is not set (the HDF5 file made by nnmpi prepare)",
                         where);
    if (cfg->lr_schedule != LR_CONSTANT && cfg->lr_end > cfg->lr)
        return error_set("%s: [train] lr_end (%g) is above lr (%g); schedules only decrease",
                         where, cfg->lr_end, cfg->lr);
    if (cfg->mode == TRAIN_MODE_LOCAL && (cfg->optimizer != OPT_SGD || cfg->momentum > 0))
        return error_set("%s: [train] optimizer = %s and momentum = %g are for mode = sync; "
                         "local mode takes the book's plain per-sample steps", where,
                         optimizer_names[cfg->optimizer], cfg->momentum);
    return validate_net(cfg, where);
}

static void format_value(const config_t *cfg, const config_key_t *k, char *buf, size_t size)
{
    const char *field = (const char *)cfg + k->offset;
    switch (k->type) {
    case T_LAYERS:
        format_layers(cfg, 0, buf, size);
        break;
    case T_INT:
        snprintf(buf, size, "%d", *(const int *)field);
        break;
    case T_AUTO_INT:
        if (*(const int *)field == 0)
            snprintf(buf, size, "auto");
        else
            snprintf(buf, size, "%d", *(const int *)field);
        break;
    case T_DOUBLE:
        snprintf(buf, size, "%.17g", *(const double *)field);
        break;
    case T_U64:
        snprintf(buf, size, "%llu", (unsigned long long)*(const uint64_t *)field);
        break;
    case T_BOOL:
        snprintf(buf, size, "%s", *(const int *)field ? "true" : "false");
        break;
    case T_STRING:
        snprintf(buf, size, "%s", field);
        break;
    case T_ENUM:
        snprintf(buf, size, "%s", k->names[*(const int *)field]);
        break;
    }
}

char *config_to_text(const config_t *cfg)
{
    size_t cap = N_KEYS * (CONFIG_PATH_MAX + 64) + 256, used = 0;
    char *text = malloc(cap);
    if (!text) {
        error_set("out of memory");
        return NULL;
    }
    text[0] = '\0';
    const char *section = "";
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strcmp(section, keys[i].section)) {
            section = keys[i].section;
            used += (size_t)snprintf(text + used, cap - used, "%s[%s]\n", used ? "\n" : "",
                                     section);
        }
        char value[CONFIG_PATH_MAX + 32];
        format_value(cfg, &keys[i], value, sizeof value);
        used += (size_t)snprintf(text + used, cap - used, "%s = %s\n", keys[i].key, value);
    }
    return text;
}

void config_print_help(FILE *out)
{
    const char *section = "";
    for (size_t i = 0; i < N_KEYS; i++) {
        const config_key_t *k = &keys[i];
        if (strcmp(section, k->section)) {
            section = k->section;
            fprintf(out, "  [%s]\n", section);
        }
        char type[256];
        switch (k->type) {
        case T_INT: snprintf(type, sizeof type, "integer %.0f..%.0f", k->min, k->max); break;
        case T_AUTO_INT:
            snprintf(type, sizeof type, "integer %.0f..%.0f|auto", k->min, k->max);
            break;
        case T_DOUBLE: snprintf(type, sizeof type, "number %g..%g", k->min, k->max); break;
        case T_U64: snprintf(type, sizeof type, "integer"); break;
        case T_BOOL: snprintf(type, sizeof type, "true|false"); break;
        case T_STRING: snprintf(type, sizeof type, "path"); break;
        case T_ENUM: enum_list(k->names, type, sizeof type); break;
        case T_LAYERS: snprintf(type, sizeof type, "list|auto"); break;
        }
        fprintf(out, "    %-15s %-22s default %-9s %s\n", k->key, type,
                k->fallback[0] ? k->fallback : "-", k->help);
    }
}

int config_resume_check(const config_t *saved, const config_t *now, char *changes,
                        size_t size)
{
    changes[0] = '\0';
    for (size_t i = 0; i < N_KEYS; i++) {
        char a[CONFIG_PATH_MAX + 32], b[CONFIG_PATH_MAX + 32];
        format_value(saved, &keys[i], a, sizeof a);
        format_value(now, &keys[i], b, sizeof b);
        if (keys[i].type == T_LAYERS) { /* auto and its list are the same net */
            format_layers(saved, 1, a, sizeof a);
            format_layers(now, 1, b, sizeof b);
        }
        if (!strcmp(a, b))
            continue;
        if (keys[i].fixed)
            return error_set("cannot resume: [%s] %s is %s in the checkpoint but %s now (resuming "
                             "continues the same run; start a new run directory instead)",
                             keys[i].section, keys[i].key, a, b);
        size_t used = strlen(changes);
        snprintf(changes + used, size - used, "%s%s.%s %s -> %s", used ? ", " : "",
                 keys[i].section, keys[i].key, a, b);
    }
    return 0;
}

int config_key_count(void)
{
    return (int)N_KEYS;
}

void config_key_name(int i, char *buf, size_t size)
{
    snprintf(buf, size, "[%s] %s", keys[i].section, keys[i].key);
}

void config_key_value(const config_t *cfg, int i, char *buf, size_t size)
{
    format_value(cfg, &keys[i], buf, size);
}

int config_key_is_path(int i)
{
    return keys[i].type == T_STRING;
}

int config_check_ranks(const config_t *cfg, int ranks)
{
    int T = cfg->tensor_parallel;
    if (T > 1 && (ranks % T != 0 || T > cfg->hidden))
        return error_set("[train] tensor_parallel = %d: it must divide the %d ranks into groups "
                         "and leave each rank of a group at least one of the %d hidden units",
                         T, ranks, cfg->hidden);
    int groups = ranks / (T > 1 ? T : 1); /* auto may find fewer: this is the most */
    if (cfg->mode == TRAIN_MODE_SYNC && cfg->batch < groups)
        return error_set("[train] batch = %d is less than the %d %s: sync mode shares each "
                         "global batch among the %s, at least one row each (raise the batch "
                         "or use fewer ranks)", cfg->batch, groups,
                         T > 1 ? "groups of ranks" : "ranks", T > 1 ? "groups" : "ranks");
    return 0;
}

const char *config_rule_name(net_rule_t rule)
{
    return rule_names[rule == NET_RULE_GRADIENT];
}

const char *config_mode_name(train_mode_t mode)
{
    return mode_names[mode == TRAIN_MODE_LOCAL];
}

static double schedule_at(const config_t *cfg, double progress)
{
    switch (cfg->lr_schedule) {
    case LR_LINEAR:
        return cfg->lr + (cfg->lr_end - cfg->lr) * progress;
    case LR_COSINE:
        return cfg->lr_end + (cfg->lr - cfg->lr_end) * 0.5 * (1.0 + cos(M_PI * progress));
    case LR_CONSTANT:
    default:
        return cfg->lr;
    }
}

/* The warm-up multiplies the schedule rather than replacing its start, so
 * the lr is continuous where the warm-up ends whatever the schedule. */
double config_lr_at(const config_t *cfg, double progress)
{
    if (progress < 0)
        progress = 0;
    if (progress > 1)
        progress = 1;
    double lr = schedule_at(cfg, progress), epochs_done = progress * cfg->epochs;
    if (epochs_done >= cfg->warmup_epochs) /* also no warm-up at all: lr untouched */
        return lr;
    return lr * (cfg->warmup_start + (1.0 - cfg->warmup_start) * epochs_done / cfg->warmup_epochs);
}
