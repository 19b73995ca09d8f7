/* Tests of the config module: defaults, a good file, every kind of refusal
 * (unknown key or section, bad values, long lines, bad --set) with the
 * file:line it must name, the exact text round trip that checkpoints rely
 * on, validation and the learning-rate schedules. */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/config.h"
#include "nnmpi/error.h"
#include "testutil.h"

static char *dir;

static const char *write_ini(const char *name, const char *text)
{
    const char *path = testutil_path(dir, name);
    CU_ASSERT_FATAL(testutil_write_file(path, text, strlen(text)) == 0);
    return path;
}

/* "path:line" occurs in the message */
static int names_line(const char *path, int line)
{
    char where[4200];
    snprintf(where, sizeof where, "%s:%d:", path, line);
    return strstr(error_message(), where) != NULL;
}

static void test_defaults(void)
{
    config_t c;
    memset(&c, 0x5a, sizeof c); /* defaults must not depend on what was there */
    config_defaults(&c);
    CU_ASSERT_STRING_EQUAL(c.data_file, "");
    CU_ASSERT_EQUAL(c.hidden, 200);
    CU_ASSERT_EQUAL(c.rule, NET_RULE_BOOK);
    CU_ASSERT_EQUAL(c.mode, TRAIN_MODE_SYNC);
    CU_ASSERT_EQUAL(c.lr, 0.1);
    CU_ASSERT_EQUAL(c.lr_schedule, LR_CONSTANT);
    CU_ASSERT_EQUAL(c.lr_end, 0.0);
    CU_ASSERT_EQUAL(c.epochs, 1);
    CU_ASSERT_EQUAL(c.batch, 32);
    CU_ASSERT_EQUAL(c.sync_every, 1000);
    CU_ASSERT_EQUAL(c.warmup_epochs, 0.0);
    CU_ASSERT_EQUAL(c.warmup_start, 0.1);
    CU_ASSERT_EQUAL(c.seed, 1);
    CU_ASSERT_EQUAL(c.shuffle, 1);
    CU_ASSERT_EQUAL(c.threads, 1);
    CU_ASSERT_STRING_EQUAL(c.dir, "");
    CU_ASSERT_EQUAL(c.log_every, 0);
    CU_ASSERT_STRING_EQUAL(c.source, "");
    CU_ASSERT_STRING_EQUAL(config_rule_name(NET_RULE_BOOK), "book");
    CU_ASSERT_STRING_EQUAL(config_rule_name(NET_RULE_GRADIENT), "gradient");
    CU_ASSERT_STRING_EQUAL(config_mode_name(TRAIN_MODE_SYNC), "sync");
    CU_ASSERT_STRING_EQUAL(config_mode_name(TRAIN_MODE_LOCAL), "local");
}

static void test_good_file(void)
{
    const char *path = write_ini("good.ini",
                                 "; the book's run, more or less\n"
                                 "# another comment style\n"
                                 "\n"
                                 "[data]\n"
                                 "file = data/mnist rot.h5\n"
                                 "[net]\n"
                                 "hidden=100\n"
                                 "rule = gradient   ; inline comment\n"
                                 "[train]\n"
                                 "mode = local\n"
                                 "lr = 0.01\n"
                                 "lr_schedule = linear\n"
                                 "lr_end = 0.001\n"
                                 "warmup_epochs = 0.5\n"
                                 "warmup_start = 0\n"
                                 "epochs = 5\n"
                                 "batch = 64\n"
                                 "sync_every = 250\n"
                                 "seed = 18446744073709551615\n"
                                 "shuffle = false\n"
                                 "threads = 2\n"
                                 "[output]\n"
                                 "dir = runs/book\n"
                                 "log_every = 100\n");
    config_t c;
    config_defaults(&c);
    CU_ASSERT_EQUAL_FATAL(config_load_file(&c, path), 0);
    CU_ASSERT_STRING_EQUAL(c.data_file, "data/mnist rot.h5");
    CU_ASSERT_EQUAL(c.hidden, 100);
    CU_ASSERT_EQUAL(c.rule, NET_RULE_GRADIENT);
    CU_ASSERT_EQUAL(c.mode, TRAIN_MODE_LOCAL);
    CU_ASSERT_EQUAL(c.lr, 0.01);
    CU_ASSERT_EQUAL(c.lr_schedule, LR_LINEAR);
    CU_ASSERT_EQUAL(c.lr_end, 0.001);
    CU_ASSERT_EQUAL(c.epochs, 5);
    CU_ASSERT_EQUAL(c.batch, 64);
    CU_ASSERT_EQUAL(c.sync_every, 250);
    CU_ASSERT_EQUAL(c.warmup_epochs, 0.5);
    CU_ASSERT_EQUAL(c.warmup_start, 0.0);
    CU_ASSERT_EQUAL(c.seed, UINT64_MAX);
    CU_ASSERT_EQUAL(c.shuffle, 0);
    CU_ASSERT_EQUAL(c.threads, 2);
    CU_ASSERT_STRING_EQUAL(c.dir, "runs/book");
    CU_ASSERT_EQUAL(c.log_every, 100);
    CU_ASSERT_STRING_EQUAL(c.source, path);

    /* a file only overrides what it names */
    config_defaults(&c);
    path = write_ini("part.ini", "[train]\nepochs = 9\n");
    CU_ASSERT_EQUAL_FATAL(config_load_file(&c, path), 0);
    CU_ASSERT_EQUAL(c.epochs, 9);
    CU_ASSERT_EQUAL(c.hidden, 200);
    CU_ASSERT_EQUAL(c.lr, 0.1);

    /* the boolean spellings */
    const char *yes[] = {"true", "TRUE", "yes", "on", "1"}, *no[] = {"false", "No", "off", "0"};
    for (size_t i = 0; i < 5; i++) {
        char a[64];
        snprintf(a, sizeof a, "train.shuffle=%s", yes[i]);
        c.shuffle = 0;
        CU_ASSERT_EQUAL(config_set(&c, a, "--set"), 0);
        CU_ASSERT_EQUAL(c.shuffle, 1);
    }
    for (size_t i = 0; i < 4; i++) {
        char a[64];
        snprintf(a, sizeof a, "train.shuffle=%s", no[i]);
        c.shuffle = 1;
        CU_ASSERT_EQUAL(config_set(&c, a, "--set"), 0);
        CU_ASSERT_EQUAL(c.shuffle, 0);
    }
}

static void test_unknown_key_and_section(void)
{
    config_t c;
    config_defaults(&c);
    const char *path = write_ini("unknown.ini", "[train]\nlr = 0.2\n\nlearning_rate = 0.1\n");
    error_clear();
    CU_ASSERT_EQUAL(config_load_file(&c, path), -1);
    CU_ASSERT(names_line(path, 4));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "learning_rate"));
    /* the known keys of the section are listed */
    const char *known = strstr(error_message(), "known");
    CU_ASSERT_PTR_NOT_NULL_FATAL(known);
    CU_ASSERT_PTR_NOT_NULL(strstr(known, "lr"));
    CU_ASSERT_PTR_NOT_NULL(strstr(known, "epochs"));
    CU_ASSERT_PTR_NOT_NULL(strstr(known, "batch"));
    CU_ASSERT_PTR_NOT_NULL(strstr(known, "seed"));
    CU_ASSERT_STRING_EQUAL(c.source, ""); /* a failed load names no source */

    config_defaults(&c);
    path = write_ini("section.ini", "[net]\nhidden = 10\n[training]\nlr = 0.2\n");
    error_clear();
    CU_ASSERT_EQUAL(config_load_file(&c, path), -1);
    CU_ASSERT(names_line(path, 3)); /* the header of the unknown section */
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "training"));
    /* the known sections are listed */
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "train,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "augment,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "output"));

    /* a key outside any section */
    path = write_ini("nosection.ini", "hidden = 10\n");
    error_clear();
    CU_ASSERT_EQUAL(config_load_file(&c, path), -1);
    CU_ASSERT(names_line(path, 1));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "hidden"));

    /* a line that is neither */
    path = write_ini("syntax.ini", "[net]\nhidden = 10\nrubbish\n");
    error_clear();
    CU_ASSERT_EQUAL(config_load_file(&c, path), -1);
    CU_ASSERT(names_line(path, 3));

    /* a missing file is named */
    path = testutil_path(dir, "missing.ini");
    error_clear();
    CU_ASSERT_EQUAL(config_load_file(&c, path), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), path));

    /* a binary file is refused */
    const char bin[] = "[net]\nhidden = 1\0\n";
    path = testutil_path(dir, "binary.ini");
    CU_ASSERT_FATAL(testutil_write_file(path, bin, sizeof bin) == 0);
    error_clear();
    CU_ASSERT_EQUAL(config_load_file(&c, path), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), path));
}

static void test_bad_values(void)
{
    struct { const char *section, *line, *key; } bad[] = {
        {"net", "hidden = -5", "hidden"},
        {"net", "hidden = abc", "hidden"},
        {"net", "hidden = 12x", "hidden"},
        {"net", "hidden = 0", "hidden"},
        {"net", "hidden = 2147483648", "hidden"},
        {"net", "rule = foo", "rule"},
        {"net", "rule = Book", "rule"},
        {"train", "lr = 0", "lr"},
        {"train", "lr = -0.1", "lr"},
        {"train", "lr = nan", "lr"},
        {"train", "lr = inf", "lr"},
        {"train", "lr = 0.1x", "lr"},
        {"train", "lr =", "lr"},
        {"train", "shuffle = maybe", "shuffle"},
        {"train", "seed = -1", "seed"},
        {"train", "seed = 18446744073709551616", "seed"},
        {"train", "seed = 1.5", "seed"},
        {"train", "mode = async", "mode"},
        {"train", "lr_schedule = step", "lr_schedule"},
        {"train", "epochs = 0", "epochs"},
        {"train", "batch = 0", "batch"},
        {"train", "threads = 0", "threads"},
        {"train", "warmup_epochs = -1", "warmup_epochs"},
        {"train", "warmup_epochs = nan", "warmup_epochs"},
        {"train", "warmup_start = 1.5", "warmup_start"},
        {"train", "warmup_start = -0.1", "warmup_start"},
        {"output", "log_every = -1", "log_every"},
        {"augment", "scale = 51", "[augment] scale = '51': expected a number from 0 to 50"},
        {"augment", "scale = -5", "[augment] scale"},
        {"augment", "shear = 46", "[augment] shear = '46': expected a number from 0 to 45"},
        {"augment", "shear = nan", "[augment] shear"},
        {"augment", "stroke = 2.5", "[augment] stroke = '2.5': expected a number from 0 to 2"},
        {"augment", "stroke = -1", "[augment] stroke"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256], name[32];
        /* the bad line is line 3, after a comment and the section */
        snprintf(text, sizeof text, "; case %zu\n[%s]\n%s\n", i, bad[i].section, bad[i].line);
        snprintf(name, sizeof name, "bad%zu.ini", i);
        const char *path = write_ini(name, text);
        config_t c, d;
        config_defaults(&c);
        config_defaults(&d);
        error_clear();
        int rc = config_load_file(&c, path);
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT(names_line(path, 3));
        CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), bad[i].key));
        if (rc != -1 || !names_line(path, 3))
            fprintf(stderr, "\n    case '%s': rc %d, message '%s'\n", bad[i].line, rc,
                    error_message());
        /* a refused value leaves the field as it was */
        CU_ASSERT_EQUAL(c.hidden, d.hidden);
        CU_ASSERT_EQUAL(c.lr, d.lr);
        CU_ASSERT_EQUAL(c.seed, d.seed);
        CU_ASSERT_EQUAL(c.rule, d.rule);
        CU_ASSERT_EQUAL(c.shuffle, d.shuffle);
    }
    /* the limits themselves are accepted */
    config_t c;
    config_defaults(&c);
    CU_ASSERT_EQUAL(config_set(&c, "net.hidden=1", "--set"), 0);
    CU_ASSERT_EQUAL(config_set(&c, "net.hidden=100000", "--set"), 0);
    CU_ASSERT_EQUAL(c.hidden, 100000);
    CU_ASSERT_EQUAL(config_set(&c, "net.hidden=100001", "--set"), -1);
    CU_ASSERT_EQUAL(config_set(&c, "train.seed=0", "--set"), 0);
    CU_ASSERT_EQUAL(c.seed, 0);
    CU_ASSERT_EQUAL(config_set(&c, "augment.scale=50", "--set"), 0);
    CU_ASSERT_EQUAL(config_set(&c, "augment.shear=45", "--set"), 0);
    CU_ASSERT_EQUAL(config_set(&c, "augment.stroke=2", "--set"), 0);
    CU_ASSERT(c.augment.scale == 50 && c.augment.shear == 45 && c.augment.stroke == 2);
    CU_ASSERT_EQUAL(config_set(&c, "augment.elastic_bank=1024", "--set"), 0);
    CU_ASSERT_EQUAL(config_set(&c, "augment.elastic_bank=1025", "--set"), -1);
    CU_ASSERT_EQUAL(config_set(&c, "augment.elastic_bank=-1", "--set"), -1);
    CU_ASSERT_EQUAL(c.augment.elastic_bank, 1024);
}

static void test_long_lines(void)
{
    config_t c;
    config_defaults(&c);
    /* long lines (deep cluster paths) are read whole */
    char line[1200], text[1400];
    int n = snprintf(line, sizeof line, "dir = /");
    memset(line + n, 'd', 1000);
    line[n + 1000] = '\0';
    snprintf(text, sizeof text, "[output]\n%s\n", line);
    const char *path = write_ini("long.ini", text);
    CU_ASSERT_EQUAL(config_load_file(&c, path), 0);
    CU_ASSERT_EQUAL(strlen(c.dir), 1001);
    /* and survive the round trip through the resolved text */
    char *resolved = config_to_text(&c);
    config_t d;
    config_defaults(&d);
    CU_ASSERT_EQUAL(config_load_text(&d, resolved, "resolved"), 0);
    CU_ASSERT_STRING_EQUAL(d.dir, c.dir);
    free(resolved);

    /* a key set twice is refused, naming both lines */
    config_defaults(&c);
    path = write_ini("twice.ini", "[train]\nlr = 0.1\nepochs = 2\nlr = 0.2\n");
    error_clear();
    CU_ASSERT_EQUAL(config_load_file(&c, path), -1);
    CU_ASSERT(names_line(path, 4));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "line 2"));
    /* an indented line is not glued onto the previous value */
    path = write_ini("indent.ini", "[train]\nepochs = 3\n    4\n");
    error_clear();
    CU_ASSERT_EQUAL(config_load_file(&c, path), -1);
    CU_ASSERT(names_line(path, 3));
    /* an empty unknown section is refused too */
    path = write_ini("empty.ini", "[bogus]\n[train]\nlr = 0.1\n");
    error_clear();
    CU_ASSERT_EQUAL(config_load_file(&c, path), -1);
    CU_ASSERT(names_line(path, 1));
    /* inline comments after a blank are cut; ';' inside a word is kept */
    config_defaults(&c);
    path = write_ini("comments.ini", "[train]\nlr = 0.5 ; the book uses 0.1\n"
                                     "[output]\ndir = runs/a;b  # where\n");
    CU_ASSERT_EQUAL(config_load_file(&c, path), 0);
    CU_ASSERT_EQUAL(c.lr, 0.5);
    CU_ASSERT_STRING_EQUAL(c.dir, "runs/a;b");
}

static void test_set(void)
{
    config_t c;
    config_defaults(&c);
    CU_ASSERT_EQUAL(config_set(&c, "train.lr=0.05", "--set"), 0);
    CU_ASSERT_EQUAL(c.lr, 0.05);
    CU_ASSERT_EQUAL(config_set(&c, "net.rule=gradient", "--set"), 0);
    CU_ASSERT_EQUAL(c.rule, NET_RULE_GRADIENT);
    CU_ASSERT_EQUAL(config_set(&c, "data.file=/tmp/a=b.h5", "--set"), 0);
    CU_ASSERT_STRING_EQUAL(c.data_file, "/tmp/a=b.h5"); /* value may hold '=' */

    const char *bad[] = {"train.lr", "lr=0.1", "train.nope=1", "nope.lr=1", ".lr=1",
                         "train.=1", "train.lr=abc", "train.lr=", "=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        error_clear();
        CU_ASSERT_EQUAL(config_set(&c, bad[i], "--set"), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "--set"));
    }
    CU_ASSERT_EQUAL(c.lr, 0.05); /* unchanged by the refusals */
    /* a negative seed hidden behind blanks (strtoull would wrap it to
     * 2^64-1 and skip the blanks) */
    const uint64_t seed = c.seed;
    CU_ASSERT_EQUAL(config_set(&c, "train.seed= -1", "--set"), -1);
    CU_ASSERT_EQUAL(config_set(&c, "train.seed=\t-5", "--set"), -1);
    CU_ASSERT_EQUAL(c.seed, seed);
    CU_ASSERT_EQUAL(config_set(&c, "train.seed=12", "--set"), 0);
    CU_ASSERT_EQUAL(c.seed, 12);
    error_clear();
    config_set(&c, "train.nope=1", "--set");
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "nope"));
}

/* every field of two configs is identical (doubles bit for bit) */
static void assert_same(const config_t *a, const config_t *b)
{
    CU_ASSERT_STRING_EQUAL(a->data_file, b->data_file);
    CU_ASSERT_EQUAL(a->hidden, b->hidden);
    CU_ASSERT_EQUAL(a->rule, b->rule);
    CU_ASSERT_EQUAL(a->mode, b->mode);
    CU_ASSERT_EQUAL(memcmp(&a->lr, &b->lr, sizeof a->lr), 0);
    CU_ASSERT_EQUAL(a->lr_schedule, b->lr_schedule);
    CU_ASSERT_EQUAL(memcmp(&a->lr_end, &b->lr_end, sizeof a->lr_end), 0);
    CU_ASSERT_EQUAL(a->epochs, b->epochs);
    CU_ASSERT_EQUAL(a->batch, b->batch);
    CU_ASSERT_EQUAL(a->sync_every, b->sync_every);
    CU_ASSERT_EQUAL(a->optimizer, b->optimizer);
    CU_ASSERT_EQUAL(memcmp(&a->momentum, &b->momentum, sizeof a->momentum), 0);
    CU_ASSERT_EQUAL(memcmp(&a->lars_trust, &b->lars_trust, sizeof a->lars_trust), 0);
    CU_ASSERT_EQUAL(memcmp(&a->warmup_epochs, &b->warmup_epochs, sizeof a->warmup_epochs), 0);
    CU_ASSERT_EQUAL(memcmp(&a->warmup_start, &b->warmup_start, sizeof a->warmup_start), 0);
    CU_ASSERT_EQUAL(a->seed, b->seed);
    CU_ASSERT_EQUAL(a->shuffle, b->shuffle);
    CU_ASSERT_EQUAL(a->threads, b->threads);
    CU_ASSERT_EQUAL(a->augment.rotate, b->augment.rotate);   /* (padding: not memcmp) */
    CU_ASSERT_EQUAL(a->augment.shift, b->augment.shift);
    CU_ASSERT_EQUAL(a->augment.alpha, b->augment.alpha);
    CU_ASSERT_EQUAL(a->augment.sigma, b->augment.sigma);
    CU_ASSERT_EQUAL(a->augment.probability, b->augment.probability);
    CU_ASSERT_EQUAL(a->augment.scale, b->augment.scale);
    CU_ASSERT_EQUAL(a->augment.shear, b->augment.shear);
    CU_ASSERT_EQUAL(a->augment.stroke, b->augment.stroke);
    CU_ASSERT_EQUAL(a->augment.elastic_bank, b->augment.elastic_bank);
    CU_ASSERT_EQUAL(a->augment_ahead, b->augment_ahead);
    CU_ASSERT_STRING_EQUAL(a->dir, b->dir);
    CU_ASSERT_EQUAL(a->log_every, b->log_every);
}

static void test_round_trip(void)
{
    config_t a, b;
    config_defaults(&a);
    snprintf(a.data_file, sizeof a.data_file, "%s", "/data/my set/mnist-rot.h5");
    a.hidden = 37;
    a.rule = NET_RULE_GRADIENT;
    a.mode = TRAIN_MODE_LOCAL;
    a.lr = 0.1 + 0.2;              /* 0.30000000000000004: needs 17 digits */
    a.lr_schedule = LR_COSINE;
    a.lr_end = 1.0 / 3.0 * 1e-3;
    a.epochs = 7;
    a.batch = 96;
    a.sync_every = 12345;
    a.optimizer = OPT_LARS;
    a.momentum = 0.875;
    a.lars_trust = 1.0 / 3.0 * 1e-2;
    a.warmup_epochs = 1.0 / 3.0;
    a.warmup_start = 0.125;
    a.seed = UINT64_MAX - 1;
    a.shuffle = 0;
    a.threads = 3;
    snprintf(a.dir, sizeof a.dir, "%s", "runs/x y");
    a.log_every = 50;
    a.augment = (augment_live_params_t){.rotate = 12.5, .shift = 2, .alpha = 34, .sigma = 4,
                                        .probability = 0.75, .scale = 15, .shear = 1.0 / 3.0,
                                        .stroke = 0.5, .elastic_bank = 48};
    a.augment_ahead = 0;
    char *text = config_to_text(&a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    /* every key is written */
    const char *keys[] = {"file", "hidden", "layers", "activation", "output", "loss", "bias",
                          "init", "rule", "mode", "lr", "lr_schedule", "lr_end",
                          "warmup_epochs", "warmup_start", "epochs", "batch", "sync_every",
                          "optimizer", "momentum", "lars_trust", "seed", "shuffle", "threads", "tensor_parallel", "stall_timeout",
                          "rotate", "shift", "scale", "shear", "stroke", "elastic_alpha",
                          "elastic_sigma", "elastic_bank", "probability", "ahead", "dir",
                          "log_every", "backquery", "images", "frame", "every_epoch",
                          "every_epochs", "every_steps", "every_minutes", "keep"};
    int lines = 0;
    for (const char *p = text; (p = strstr(p, " = ")); p++)
        lines++;
    CU_ASSERT_EQUAL(lines, (int)(sizeof keys / sizeof keys[0]));
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char k[64];
        snprintf(k, sizeof k, "\n%s = ", keys[i]);
        CU_ASSERT_PTR_NOT_NULL(strstr(text, k));
    }
    config_defaults(&b);
    CU_ASSERT_EQUAL_FATAL(config_load_text(&b, text, "checkpoint"), 0);
    assert_same(&a, &b);
    free(text);

    /* defaults round-trip too, and the text is stable */
    config_defaults(&a);
    text = config_to_text(&a);
    memset(&b, 0, sizeof b);
    config_defaults(&b);
    b.hidden = 1;
    b.lr = 7;
    CU_ASSERT_EQUAL_FATAL(config_load_text(&b, text, "checkpoint"), 0);
    assert_same(&a, &b);
    char *again = config_to_text(&b);
    CU_ASSERT_STRING_EQUAL(text, again);
    free(again);
    free(text);

    /* awkward doubles */
    const double lrs[] = {1e-9, 1e6, 0.1, 0.01, 2.0 / 3.0, 1.0000000000000002, 123456.789e-3};
    for (size_t i = 0; i < sizeof lrs / sizeof lrs[0]; i++) {
        config_defaults(&a);
        a.lr = lrs[i];
        a.lr_end = lrs[i] / 7.0;
        text = config_to_text(&a);
        config_defaults(&b);
        CU_ASSERT_EQUAL(config_load_text(&b, text, "checkpoint"), 0);
        CU_ASSERT_EQUAL(memcmp(&a.lr, &b.lr, sizeof a.lr), 0);
        CU_ASSERT_EQUAL(memcmp(&a.lr_end, &b.lr_end, sizeof a.lr_end), 0);
        free(text);
    }
}

static void test_validate(void)
{
    config_t c;
    config_defaults(&c);
    error_clear();
    CU_ASSERT_EQUAL(config_validate(&c), -1); /* no data file */
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "file"));
    snprintf(c.data_file, sizeof c.data_file, "data/mnist.h5");
    CU_ASSERT_EQUAL(config_validate(&c), 0);

    /* lr_end above lr: refused with a schedule, ignored without */
    c.lr = 0.1;
    c.lr_end = 0.2;
    c.lr_schedule = LR_CONSTANT;
    CU_ASSERT_EQUAL(config_validate(&c), 0);
    c.lr_schedule = LR_LINEAR;
    error_clear();
    CU_ASSERT_EQUAL(config_validate(&c), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "lr_end"));
    c.lr_schedule = LR_COSINE;
    CU_ASSERT_EQUAL(config_validate(&c), -1);
    c.lr_end = 0.1; /* equal is allowed */
    CU_ASSERT_EQUAL(config_validate(&c), 0);

    /* the message names the file the config came from */
    const char *path = write_ini("nodata.ini", "[net]\nhidden = 10\n");
    config_defaults(&c);
    CU_ASSERT_EQUAL_FATAL(config_load_file(&c, path), 0);
    error_clear();
    CU_ASSERT_EQUAL(config_validate(&c), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), path));
}

static void test_lr_schedules(void)
{
    config_t c;
    config_defaults(&c);
    c.lr = 0.1;
    c.lr_end = 0.01;
    c.lr_schedule = LR_CONSTANT;
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.0), 0.1, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.5), 0.1, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 1.0), 0.1, 1e-15);

    c.lr_schedule = LR_LINEAR;
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.0), 0.1, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.5), 0.055, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.25), 0.0775, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 1.0), 0.01, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, -1.0), 0.1, 1e-15); /* clamped */
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 2.0), 0.01, 1e-15);

    c.lr_schedule = LR_COSINE;
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.0), 0.1, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.5), 0.055, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 1.0), 0.01, 1e-15);
    /* at 1/4 the cosine is above the line: 0.01 + 0.09*(1+cos(pi/4))/2 */
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.25), 0.01 + 0.045 * (1.0 + sqrt(0.5)), 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.75), 0.01 + 0.045 * (1.0 - sqrt(0.5)), 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 2.0), 0.01, 1e-15);
}

/* The warm-up: from warmup_start x lr to the schedule's value over
 * warmup_epochs, counted as progress x epochs; without it the schedule's
 * value to the bit (the book's configs must train as before). */
static void test_lr_warmup(void)
{
    config_t c;
    config_defaults(&c);
    c.lr = 8;
    c.epochs = 10;
    const double at[] = {-1, 0, 1e-9, 0.05, 0.1, 0.25, 1.0 / 3.0, 0.5, 0.999, 1, 2};
    enum { N_AT = sizeof at / sizeof at[0] };
    for (int sched = LR_CONSTANT; sched <= LR_COSINE; sched++) {
        c.lr_schedule = (lr_schedule_t)sched;
        c.lr_end = 0.5;
        c.warmup_epochs = 0;
        double plain[N_AT];
        for (size_t i = 0; i < N_AT; i++)
            plain[i] = config_lr_at(&c, at[i]);
        c.warmup_start = 0.3; /* ignored without warmup_epochs */
        for (size_t i = 0; i < N_AT; i++) {
            double lr = config_lr_at(&c, at[i]);
            CU_ASSERT_EQUAL(memcmp(&lr, &plain[i], sizeof lr), 0);
        }
        /* 2 epochs of 10 from 1/4: a quarter of the schedule's value at the
         * start, 5/8 after one epoch, the schedule itself from epoch 2 */
        c.warmup_epochs = 2;
        c.warmup_start = 0.25;
        CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.0), 0.25 * plain[1], 1e-12);
        CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.05), 0.4375 * plain[3], 1e-12);
        CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.1), 0.625 * plain[4], 1e-12);
        for (size_t i = 5; i < N_AT; i++)
            CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, at[i]), plain[i], 1e-12);
        /* continuous where it ends */
        CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.2 - 1e-12), config_lr_at(&c, 0.2), 1e-9);
    }
    c.lr_schedule = LR_CONSTANT;
    /* from 0, and a fraction of an epoch: half an epoch of 10 is 1/20 */
    c.warmup_start = 0;
    c.warmup_epochs = 0.5;
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.0), 0.0, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.025), 4.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.05), 8.0, 1e-12);
    /* a warm-up longer than the run never gets to lr; it counts epochs,
     * not progress: the same warm-up over a run twice as long */
    c.warmup_epochs = 20;
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 1.0), 4.0, 1e-12);
    c.warmup_epochs = 2;
    c.epochs = 20;
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.05), 4.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(config_lr_at(&c, 0.1), 8.0, 1e-12);
}

/* error_message() after config_validate of defaults plus the overrides
 * (NULL-terminated); "" if it passes. */
static const char *net_verdict(const char *first, ...)
{
    static config_t c;
    config_defaults(&c);
    snprintf(c.data_file, sizeof c.data_file, "d.h5");
    va_list ap;
    va_start(ap, first);
    for (const char *set = first; set; set = va_arg(ap, const char *))
        if (config_set(&c, set, "--set") < 0) {
            va_end(ap);
            return error_message();
        }
    va_end(ap);
    return config_validate(&c) < 0 ? error_message() : "";
}

/* The data's ends: auto follows them, a list must agree with them. */
static void test_data_ends(void)
{
    config_t c;
    config_defaults(&c);
    snprintf(c.data_file, sizeof c.data_file, "d.h5");
    config_set_data_ends(&c, 20, 16, 3);
    net_shape_t s = config_net_shape(&c);
    CU_ASSERT_EQUAL(s.sizes[0], 320);
    CU_ASSERT_EQUAL(s.sizes[1], 200);
    CU_ASSERT_EQUAL(s.sizes[2], 3);
    CU_ASSERT(config_net_is_book(&c)); /* the book's kind of net, of other ends */
    CU_ASSERT_EQUAL(config_validate(&c), 0);
    CU_ASSERT_EQUAL(config_set(&c, "net.layers=784,30,10", "--set"), 0);
    CU_ASSERT_EQUAL(config_set(&c, "net.rule=gradient", "--set"), 0);
    CU_ASSERT_EQUAL(config_validate(&c), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "the first size must be 320 (the pixels of "
                                                   "the data's 20x16 images), not 784"));
    CU_ASSERT_EQUAL(config_set(&c, "net.layers=320,30,10", "--set"), 0);
    CU_ASSERT_EQUAL(config_validate(&c), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "the last size must be 3 (the data's "
                                                   "classes), not 10"));
    CU_ASSERT_EQUAL(config_set(&c, "net.layers=320,30,3", "--set"), 0);
    CU_ASSERT_EQUAL(config_validate(&c), 0);
}

static void test_net_shapes(void)
{
    config_t c;
    config_defaults(&c);
    net_shape_t s = config_net_shape(&c);
    CU_ASSERT(config_net_is_book(&c));
    CU_ASSERT_EQUAL(s.n_layers, 2);
    CU_ASSERT_EQUAL(s.sizes[1], 200);
    CU_ASSERT_EQUAL(config_set(&c, "net.layers=784,300,100,10", "--set"), 0);
    s = config_net_shape(&c);
    CU_ASSERT_EQUAL(s.n_layers, 3);
    CU_ASSERT_EQUAL(s.sizes[2], 100);
    CU_ASSERT_EQUAL(c.hidden, 300); /* hidden follows layers unless given */
    CU_ASSERT_EQUAL(config_set(&c, "net.layers=784,300", "--set"), -1);
    CU_ASSERT_EQUAL(config_set(&c, "net.layers=784,,10", "--set"), -1);
    CU_ASSERT_EQUAL(config_set(&c, "net.layers=784,1,2,3,4,5,6,7,8,10", "--set"), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "[net] layers"));
    CU_ASSERT_EQUAL(config_set(&c, "net.layers=784,1,2,3,4,5,6,7,10", "--set"), 0);

    const char *ok = net_verdict("net.layers=784,300,100,10", "net.activation=relu",
                                 "net.output=softmax", "net.loss=cross_entropy", "net.bias=true",
                                 "net.init=he", "net.rule=gradient", NULL);
    CU_ASSERT_STRING_EQUAL(ok, "");
    static const struct {
        const char *set[3], *says;
    } refused[] = {
        {{"net.layers=784,300,100,10"}, "rule = book is defined for the book's 3-layer"},
        {{"net.bias=true"}, "rule = book"},
        {{"net.output=softmax", "net.rule=gradient"}, "softmax needs loss = cross_entropy, not mse"},
        {{"net.layers=100,30,10", "net.rule=gradient"},
         "must be 784 (the pixels of the data's 28x28 images), not 100"},
        {{"net.layers=784,30,26", "net.rule=gradient"},
         "the last size must be 10 (the data's classes), not 26"},
        {{"net.hidden=50", "net.layers=784,60,10"}, "hidden = 50 and layers = 784,60,10 disagree"},
        {{"net.layers=784,100000,100000,10", "net.rule=gradient"},
         "10079400000 weights, more than nnmpi trains"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *const *set = refused[i].set;
        CU_ASSERT_PTR_NOT_NULL(strstr(net_verdict(set[0], set[1], set[2], NULL), refused[i].says));
    }
    CU_ASSERT_STRING_EQUAL(net_verdict("net.hidden=60", "net.layers=784,60,10", NULL), "");
    CU_ASSERT_STRING_EQUAL(net_verdict("train.tensor_parallel=2", NULL), "");
    /* slices of the first hidden layer, for any shape */
    CU_ASSERT_STRING_EQUAL(net_verdict("net.layers=784,64,32,10", "net.rule=gradient",
                                       "train.tensor_parallel=2", NULL), "");
}

/* A deep net's resolved text loads back the same; auto and the list it
 * stands for are the same network on resume. */
static void test_net_round_trip_and_resume(void)
{
    config_t a, b, book, listed;
    config_defaults(&a);
    CU_ASSERT_EQUAL(config_set(&a, "net.layers=784,300,100,10", "--set"), 0);
    CU_ASSERT_EQUAL(config_set(&a, "net.activation=tanh", "--set"), 0);
    CU_ASSERT_EQUAL(config_set(&a, "net.bias=true", "--set"), 0);
    char *text = config_to_text(&a);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "layers = 784,300,100,10\n"));
    config_defaults(&b);
    CU_ASSERT_EQUAL(config_load_text(&b, text, "saved"), 0);
    net_shape_t sa = config_net_shape(&a), sb = config_net_shape(&b);
    CU_ASSERT(memcmp(&sa, &sb, sizeof sa) == 0);
    free(text);
    char changes[256];
    config_defaults(&book);
    config_defaults(&listed);
    text = config_to_text(&book);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "layers = auto\n"));
    free(text);
    CU_ASSERT_EQUAL(config_set(&listed, "net.layers=784,200,10", "--set"), 0);
    CU_ASSERT_EQUAL(config_resume_check(&book, &listed, changes, sizeof changes), 0);
    CU_ASSERT_EQUAL(config_set(&listed, "net.layers=784,200,20,10", "--set"), 0);
    CU_ASSERT_EQUAL(config_resume_check(&book, &listed, changes, sizeof changes), -1);
}

static void test_help(void)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    config_print_help(f);
    fclose(f);
    const char *names[] = {"[data]", "[net]", "[train]", "[output]", "hidden", "rule",
                           "lr_schedule", "sync_every", "log_every", "book|gradient",
                           "warmup_epochs", "warmup_start", "layers", "sigmoid|tanh|relu",
                           "sigmoid|softmax", "mse|cross_entropy", "book|glorot|he", "bias",
                           "[augment]", "rotate", "shift", "scale", "shear", "stroke",
                           "elastic_alpha", "elastic_sigma", "probability", "ahead",
                           /* the ranges of numbers */
                           "number 0..50", "number 0..45", "number 0..2", "integer 0..13",
                           "integer 1..4096|auto"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CU_ASSERT_PTR_NOT_NULL(strstr(buf, names[i]));
    free(buf);
}

int main(void)
{
    dir = testutil_tmpdir();
    if (!dir)
        return 2;
    static const testutil_case_t cases[] = {
        {"defaults", test_defaults},
        {"a good file loads", test_good_file},
        {"unknown keys and sections name file:line", test_unknown_key_and_section},
        {"bad values name file:line", test_bad_values},
        {"long lines, duplicates, comments", test_long_lines},
        {"--set overrides", test_set},
        {"to_text -> load_text round trip", test_round_trip},
        {"validate", test_validate},
        {"learning-rate schedules", test_lr_schedules},
        {"learning-rate warm-up", test_lr_warmup},
        {"network shapes and their refusals", test_net_shapes},
        {"a deep net's text round trip; auto on resume", test_net_round_trip_and_resume},
        {"the data's ends: auto follows, a list must agree", test_data_ends},
        {"help lists every key", test_help},
        {NULL, NULL},
    };
    int rc = testutil_run("config", cases);
    testutil_rmtree(dir);
    free(dir);
    return rc;
}
