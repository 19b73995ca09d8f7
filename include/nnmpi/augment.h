/* augment: making new training images from old ones.
 *
 * Files:  src/augment.c          rotation and shear (as scipy), shifts
 *         src/augment_elastic.c  elastic distortion
 *         src/augment_bank.c     a bank of elastic fields; a sample's whole
 *                                geometric distortion in one resampling
 *         src/augment_pen.c      what another pen, paper or camera changes:
 *                                stroke thickness, gaps, grain, scale
 *         src/augment_spec.c     the description of an augmentation: parsing
 *                                the command-line lists and the file attribute
 *         src/augment_set.c      a whole augmented, shuffled training set
 *
 * Nothing here prints or exits; fallible functions return 0 (or a count) or
 * -1 with a message in error_message(). */
#ifndef NNMPI_AUGMENT_H
#define NNMPI_AUGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "nnmpi/imageset.h"
#include "nnmpi/rng.h"

/* Rotates src [h, w] by angle_deg about its centre into dst [h, w]; positive
 * turns the digit anticlockwise as displayed with row 0 at the top (+90 on a
 * square image: dst[r][c] = src[c][w-1-r], the top row becomes the left
 * column). Bilinear, with paper (value `fill`) wherever the sample point
 * falls outside [0, h-1] x [0, w-1], even slightly: the same as
 * scipy.ndimage.rotate(img, angle, reshape=False, order=1, mode='constant',
 * cval=fill) on the image as float, rounded to the nearest grey level (ties
 * to even, as numpy.rint). src and dst must not overlap; h * w below 2^30. */
void augment_rotate(const uint8_t *src, uint8_t *dst, int h, int w,
                    double angle_deg, uint8_t fill);

/* The general form of augment_rotate: output pixel (r, c) samples src at
 * m (r, c) + centre - m centre, m = [[m[0], m[1]], [m[2], m[3]]] on (row,
 * column) (the matrix maps output to input), with augment_rotate's sampling
 * and rounding: scipy.ndimage.affine_transform(img, m, offset=centre - m
 * centre, order=1, mode='constant', cval=fill). augment_rotate is this with
 * the rotation's matrix, byte for byte. src and dst must not overlap. */
void augment_affine(const uint8_t *src, uint8_t *dst, int h, int w, const double m[4],
                    uint8_t fill);

#define AUGMENT_MAX_SHEAR 45.0      /* degrees */

/* The matrix of augment_affine that slants the digit by shear_deg, then
 * turns it by angle_deg as augment_rotate does. The shear is horizontal
 * about the centre row: positive leans the top to the right, as italic
 * (a vertical stroke ends up shear_deg off the vertical). With shear 0 it
 * is exactly augment_rotate's matrix; one resampling does both. */
void augment_warp_matrix(double angle_deg, double shear_deg, double m[4]);

/* Slants src [h, w] into dst by shear_deg as augment_warp_matrix says (no
 * rotation); bilinear, `fill` outside, as augment_rotate. */
void augment_shear(const uint8_t *src, uint8_t *dst, int h, int w, double shear_deg,
                   uint8_t fill);

/* augment_rotate on n consecutive images [n, h, w] by one angle, byte for
 * byte the same, 2-3x faster (the sample grid is computed once, in 48 bytes
 * a pixel); 0, or -1 with a message if out of memory. */
int augment_rotate_many(const uint8_t *src, uint8_t *dst, int64_t n, int h, int w,
                        double angle_deg, uint8_t fill);

/* Parses an angle list such as "-10,10" or "" (no rotations) into angles
 * (at most max); returns the count or -1 with a message
 * (augment_parse_list for angles within -180..180). */
int augment_parse_angles(const char *text, double *angles, int max);

/* ---- shifts (src/augment.c) ---- */

/* Moves the picture of src [h, w] by whole pixels into dst [h, w]: dx > 0 to
 * the right, dy > 0 down, so dst[r][c] = src[r - dy][c - dx], and `fill`
 * where that falls outside. Exact (no interpolation). src and dst must not
 * overlap. */
void augment_shift(const uint8_t *src, uint8_t *dst, int h, int w, int dy, int dx, uint8_t fill);

/* ---- elastic distortion (src/augment_elastic.c) ----
 * Simard, Steinkraus & Platt, "Best practices for convolutional neural
 * networks applied to visual document analysis" (ICDAR 2003), section 2:
 * two fields of displacements drawn uniformly from [-1, 1] per pixel, each
 * convolved with a Gaussian of standard deviation sigma (pixels; truncated at
 * 4 sigma, zero beyond the image border, as scipy.ndimage.gaussian_filter
 * with mode='constant') and multiplied by alpha; output pixel (r, c) is the
 * input sampled bilinearly at (r + dy[r][c], c + dx[r][c]), with `fill` for
 * the neighbours that lie outside the image; rounded to nearest. The paper's
 * values for 28x28 MNIST are alpha 34, sigma 4 (displacements of about 1.4
 * pixels rms, smooth over ~8 pixels). alpha 0 leaves the image unchanged. */
typedef struct {
    int h, w;
    double alpha, sigma;
    int radius;        /* kernel half-width: ceil(4 sigma) */
    float *kernel;     /* [2 radius + 1], sums to 1 */
    float *field;      /* [2, h, w]: the last call's smoothed fields, dy then dx */
    int stride_t;      /* 2 h rounded up to 32 */
    int stride;        /* 2 w rounded up to 32 */
    float *work[2];    /* scratch of the smoothing, each [max(w stride_t, h stride)] */
} augment_elastic_t;

/* The stream of seed that elastic copy c of original i draws its field from,
 * rng_stream(AUGMENT_ELASTIC_STREAM, i, c), in prepare and on the fly alike. */
#define AUGMENT_ELASTIC_STREAM 0x656c6173ULL /* "elas" */

/* Prepares the kernel and scratch for h x w images; alpha >= 0, sigma >= 0
 * (sigma 0: no smoothing). 0 or -1 with a message. */
int augment_elastic_init(augment_elastic_t *e, int h, int w, double alpha, double sigma);

/* Frees what init allocated; safe on a zeroed struct and twice. */
void augment_elastic_free(augment_elastic_t *e);

/* One distortion of src into dst (both [h, w], not overlapping), its field
 * drawn from rng (2 h w uniform draws): the same rng state gives the same
 * image. */
void augment_elastic(augment_elastic_t *e, const uint8_t *src, uint8_t *dst, rng_t *rng,
                     uint8_t fill);

/* draws and smooths e's two fields from rng exactly as augment_elastic
 * does (alpha not applied); returns them, [2, h, w] dy then dx, valid
 * until the next call. */
const float *augment_elastic_field(augment_elastic_t *e, rng_t *rng);

/* ---- a bank of elastic fields, one resampling (src/augment_bank.c) ----
 * Simard's field drawn fresh costs ~10 us an image, more than a training
 * step of the book's net spends on a sample. A bank smooths `count` large
 * fields once (augment_elastic_field's arithmetic); a sample takes a
 * window of one of them, at a random place at least the kernel's reach
 * from its edges, with a random sign: a field of the same law as a fresh
 * one away from the image border. The bank depends on (count, sigma,
 * image size) alone, like a table: the draws pick from it.
 *
 * augment_bank_apply then makes the whole geometric distortion one
 * bilinear resampling in floats: output pixel p samples the input at
 *   centre + m (p + alpha f(p) - shift - centre),
 * which is scale, then the warp m, then the shift, then the field, as a
 * chain of resamplings would do them, with paper beyond the border. Not
 * prepare's bytes (those resample each step in doubles), several times
 * faster. */
typedef struct {
    int h, w;          /* images */
    int count;         /* fields */
    int size;          /* each field [2, size, size]: dy then dx, unscaled */
    int lo;            /* the first row and column a window may start at */
    float *fields;     /* [count, 2, size, size] */
    uint8_t *padded;   /* [h + 3, w + 3]: the source with a border of paper */
    uint32_t *quads;   /* [h + 3, w + 3]: each pixel of padded with its right,
                          lower and lower right neighbours, a byte each */
} augment_bank_t;

#define AUGMENT_MAX_BANK 1024
/* Places a window may start at, per row and per column of a field: with
 * the sign, 2 * 33^2 = 2,178 different fields from each one of the bank. */
#define AUGMENT_BANK_SPAN 33

/* Smooths `count` (1..AUGMENT_MAX_BANK) fields of smoothness sigma
 * (0..100) for h x w images: about (max(h, w) + 8 sigma + 32)^2 * 8 bytes
 * each, a bank of more than 1 GiB refused. 0 or -1 with a message. */
int augment_bank_init(augment_bank_t *b, int h, int w, int count, double sigma);
void augment_bank_free(augment_bank_t *b);

/* One sample's distortion: the matrix from output to input about the
 * centre (augment_warp_matrix divided by the scale factor), the shift and
 * the field: the window of field `field` at (lo + y, lo + x), y and x in
 * 0..AUGMENT_BANK_SPAN - 1, times alpha (any sign; 0: no field). */
typedef struct {
    double m[4];
    double dy, dx;
    double alpha;
    int field, y, x;
} augment_bank_warp_t;

/* dst [h, w] = src [h, w] (not overlapping) distorted by warp, rounded to
 * nearest. */
void augment_bank_apply(augment_bank_t *b, const uint8_t *src, uint8_t *dst,
                        const augment_bank_warp_t *warp);

/* ---- what another pen, paper or camera changes (src/augment_pen.c) ----
 * Copies that make the network tolerant of what normalising a photo cannot
 * fix (issue 13). MNIST's convention throughout: ink is high, paper 0. */

#define AUGMENT_MAX_THICKNESS 2.0   /* pixels of dilation or erosion */
#define AUGMENT_MAX_SCALE 50.0      /* percent */

/* Thickens (amount > 0) or thins (amount < 0) the strokes of src [h, w]
 * into dst [h, w]: floor(|amount|) steps of a grey-level dilation (each
 * pixel the largest of itself and its 4 neighbours) or erosion (the
 * smallest; neighbours outside the image left out), then the fraction of
 * one more step blended in linearly (0.5: halfway to the next step), so a
 * 1-px line becomes 3 px wide at 1 and 2 px of grey at 0.5. |amount| <=
 * AUGMENT_MAX_THICKNESS; tmp [h, w] is scratch. None of the three overlap. */
void augment_thickness(const uint8_t *src, uint8_t *dst, uint8_t *tmp, int h, int w,
                       double amount);

/* Cuts img [h, w] in place across the segment of half-length `reach`
 * through (cy, cx) along the unit vector (uy, ux): a pixel whose centre is
 * within half_width of the segment becomes paper, one up to half a pixel
 * further keeps a share of its ink growing with the distance (a soft edge,
 * like MNIST's anti-aliased ones); every other pixel is unchanged. */
void augment_cut(uint8_t *img, int h, int w, double cy, double cx, double uy, double ux,
                 double reach, double half_width);

/* One or two gaps cut across the strokes of src into dst (both [h, w]):
 * each centred on an ink pixel (>= 128) drawn from rng where the stroke has
 * a clear direction (the most elongated nearby ink of up to 8 draws, so
 * rarely at a stroke's end), across that direction (the minor axis of the
 * ink within 3 px), 1.5-2.5 px wide and 7 px long, so it crosses MNIST's
 * 2-4 px strokes. Without ink, a copy. */
void augment_gaps(const uint8_t *src, uint8_t *dst, int h, int w, rng_t *rng);

/* Gaussian grain of standard deviation sigma grey levels added to every
 * pixel of src into dst, rounded and clipped to 0..255. */
void augment_grain(const uint8_t *src, uint8_t *dst, int h, int w, double sigma, rng_t *rng);

/* Salt and pepper: each pixel of src, with probability `fraction`, becomes
 * paper (0) or full ink (255), equally likely; the others are copied. */
void augment_speckle(const uint8_t *src, uint8_t *dst, int h, int w, double fraction,
                     rng_t *rng);

/* Mild noise, half the time grain (sigma 8-24 grey levels), half the time
 * salt and pepper (0.5-2% of the pixels), all drawn from rng. */
void augment_noise(const uint8_t *src, uint8_t *dst, int h, int w, rng_t *rng);

/* Scales the picture of src [h, w] into dst by 1 + percent / 100 about its
 * centre of mass (which so stays put, within rounding): bilinear, paper
 * outside the image. |percent| <= AUGMENT_MAX_SCALE; a picture without ink
 * is copied. */
void augment_scale(const uint8_t *src, uint8_t *dst, int h, int w, double percent);

/* ---- the description of an augmentation (src/augment_spec.c) ---- */

#define AUGMENT_MAX_ANGLES 64
#define AUGMENT_MAX_SHIFTS 8
#define AUGMENT_MAX_ELASTIC 100
#define AUGMENT_MAX_THICKNESSES 8
#define AUGMENT_MAX_SCALES 16
#define AUGMENT_MAX_GAPS 100        /* copies with gaps per original */
#define AUGMENT_MAX_NOISE 100       /* noisy copies per original */
#define AUGMENT_MAX_SHIFT 13        /* pixels; half of MNIST's 28, less one */
#define AUGMENT_ALPHA_DEFAULT 34.0  /* Simard et al.'s values for 28 x 28 */
#define AUGMENT_SIGMA_DEFAULT 4.0

/* What kind of copy a training row is (/train/augment). */
typedef enum {
    AUGMENT_ORIGINAL = 0,
    AUGMENT_ROTATION = 1,
    AUGMENT_SHIFT = 2,
    AUGMENT_ELASTIC = 3,
    AUGMENT_THICKNESS = 4,
    AUGMENT_SCALE = 5,
    AUGMENT_GAPS = 6,
    AUGMENT_NOISE = 7,
} augment_kind_t;

/* Which copies of every original a training set holds: the original, one
 * rotated copy per angle, four shifted copies per distance n (n pixels up,
 * down, left and right: (dy, dx) = (-n, 0), (n, 0), (0, -n), (0, n), in that
 * order), `elastic` elastically distorted copies, one copy per stroke
 * thickness and per scale, `gaps` copies with gaps and `noise` noisy ones. */
typedef struct {
    double angles[AUGMENT_MAX_ANGLES];
    int n_angles;
    int shifts[AUGMENT_MAX_SHIFTS];   /* distances in pixels, 1..AUGMENT_MAX_SHIFT */
    int n_shifts;
    int elastic;                      /* distorted copies per original */
    double alpha, sigma;              /* of the elastic copies */
    int elastic_bank;                 /* 0: fresh fields; N: [augment] elastic_bank N's */
    double thickness[AUGMENT_MAX_THICKNESSES]; /* pixels, nonzero, within +-2 */
    int n_thickness;
    double scales[AUGMENT_MAX_SCALES];         /* percent, nonzero, within +-50 */
    int n_scales;
    int gaps;                         /* copies with gaps per original */
    int noise;                        /* noisy copies per original */
} augment_spec_t;

/* No copies; alpha and sigma at the paper's defaults. */
void augment_spec_init(augment_spec_t *spec);

/* Copies per original, the original included: 1 + angles + 4 shifts +
 * elastic + thicknesses + scales + gaps + noise. */
int augment_spec_copies(const augment_spec_t *spec);

/* Parses a shift list such as "1,2" or "" (none) into spec->shifts. */
int augment_parse_shifts(const char *text, augment_spec_t *spec);

/* Parses the number of elastic copies ("2"; 0..AUGMENT_MAX_ELASTIC). */
int augment_parse_elastic(const char *text, augment_spec_t *spec);

/* "B": elastic copies from a bank of B fields (1..AUGMENT_MAX_BANK), as
 * [augment] elastic_bank = B makes them on the fly. */
int augment_parse_elastic_bank(const char *text, augment_spec_t *spec);

/* Parses a list of numbers within [lo, hi] such as "-1,0.5" or "" (none)
 * into values (at most max); `what` names one in messages ("angle" gives
 * 'angle list "..."' and "more than 4 angles"). The count, or -1. */
int augment_parse_list(const char *text, const char *what, double lo, double hi,
                       double *values, int max);

/* Parses a thickness list ("-1,1": pixels, nonzero, within +-2, no value
 * twice) into spec->thickness. */
int augment_parse_thickness(const char *text, augment_spec_t *spec);

/* Parses a scale list ("-10,10": percent, nonzero, within +-50, no value
 * twice) into spec->scales. */
int augment_parse_scales(const char *text, augment_spec_t *spec);

/* Parses a number of copies with gaps / noisy copies ("2"; 0..100). */
int augment_parse_gaps(const char *text, augment_spec_t *spec);
int augment_parse_noise(const char *text, augment_spec_t *spec);

/* Parses one number within [lo, hi] (e.g. alpha, sigma); `what` names it in
 * the message. */
int augment_parse_number(const char *text, const char *what, double lo, double hi, double *out);

/* The description stored in a dataset's `augmentation` attribute, e.g.
 * "rotations=-10,10;shifts=1;elastic=2,alpha=34,sigma=4;thickness=-1,1;
 * scale=-10,10;gaps=1;noise=1", or "none";
 * parts without copies are left out. 0, or -1 if size is too small. */
int augment_spec_format(const augment_spec_t *spec, char *buf, size_t size);

/* Reads such a description back ("none" and "" give no copies). Unknown
 * parts are an error naming them. */
int augment_spec_parse(const char *text, augment_spec_t *spec);

/* The largest |angle| of the rotations (0 without rotations). */
double augment_spec_max_angle(const augment_spec_t *spec);

/* ---- whole training sets (src/augment_set.c) ---- */

/* The training rows made from src: every original and its copies as spec
 * says, each written straight into its place in one random order drawn from
 * seed (so the stored order is shuffled; no second copy of the set is ever
 * held). Per row: origin (index of the source image), angle (degrees, 0 but
 * for rotations) and kind (augment_kind_t). An elastic, gapped or noisy
 * copy's randomness is drawn from a stream of (seed, kind, source index,
 * copy number), so it does not depend on the other options or on how many
 * images are used. out, *origin,
 * *angle and *kind are allocated here (imageset_free / free them, also on
 * failure). */
int augment_set_make(const imageset_t *src, const augment_spec_t *spec, uint64_t seed,
                     imageset_t *out, int32_t **origin, float **angle, uint8_t **kind);

#endif
