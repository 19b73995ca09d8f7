/* image: PNG in and out (libpng), and normalising any picture of a digit to
 * the 28x28 frame the network was trained on. Knows nothing of MPI or HDF5.
 *
 * Two meanings of a grey value meet here, so every function says which:
 *   luminance  0 = black, 255 = white, as a person sees the picture
 *              (what image_read_png returns);
 *   ink        0 = paper, 255 = ink, as MNIST stores digits and as the
 *              network's inputs come (what the normalisers return).
 * The network's own input scaling (x/255*0.99 + 0.01) is net_scale_input's
 * job, not this module's.
 *
 * Files:  src/image.c            the image_t container, PNG read and write
 *         src/image_normalise.c  the MNIST and book frames
 *         src/image_ink.c, image_blobs.c, image_stroke.c
 *                                finding the digit in a real picture
 *                                (nnmpi/image_clean.h)
 *         src/image_montage.c    labelled grids of small images
 *
 * Every function returns 0 (or a pointer) on success and -1 (NULL) with a
 * one-line message in error_message(); nothing here prints or exits. */
#ifndef NNMPI_IMAGE_H
#define NNMPI_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Largest width or height accepted from a PNG or made here: a person's scan
 * or photo of a digit is far smaller, and this bounds what a crafted header
 * can make us allocate (8192^2 bytes = 64 MiB). */
#define IMAGE_MAX_SIDE 8192

/* The MNIST frame: digits scaled to fit a 20x20 box, placed by their centre
 * of mass in a 28x28 field. */
#define IMAGE_SIDE 28
#define IMAGE_PIXELS (IMAGE_SIDE * IMAGE_SIDE)
#define IMAGE_BOX 20

/* An 8-bit grey image. A caller may wrap a buffer of its own in one (e.g.
 * `image_t v = {28, 28, buf}`) to pass it to the writers; only images filled
 * by image_alloc, image_read_png or image_montage own their pixels and must
 * be given to image_free. */
typedef struct {
    int height, width;
    uint8_t *pixels;   /* [height, width], row-major */
} image_t;

/* How pixel values are shown in a written PNG. */
typedef enum {
    IMAGE_HIGH_LIGHT = 0,  /* value v is written as v: 255 is white */
    IMAGE_HIGH_DARK = 1,   /* written as 255 - v: high values dark, like the
                            * book's imshow(cmap='Greys') and like ink */
} image_tone_t;

/* Which normalisation the query path uses. */
typedef enum {
    IMAGE_FRAME_MNIST = 0, /* any size: polarity, crop, 20x20 box, centre of mass */
    IMAGE_FRAME_BOOK = 1,  /* the book's: a 28x28 picture, inverted (255 - x) */
    IMAGE_FRAME_SCALE = 2, /* any picture scaled to the data's H x W, inverted */
} image_frame_t;

/* ---- container (src/image.c) ---- */

/* Allocates a zeroed height x width image (1..IMAGE_MAX_SIDE each). */
int image_alloc(image_t *img, int height, int width);

/* Frees the pixels; safe on a zeroed struct and twice. */
void image_free(image_t *img);

/* out[i] = round((v[i] - lo) / (hi - lo) * 255), clamped to 0..255, for n
 * values; e.g. a back-query image in 0.01..0.99 to 0..255. hi > lo. */
void image_from_floats(const float *v, size_t n, float lo, float hi, uint8_t *out);

/* ---- PNG (src/image.c) ---- */

/* Reads any PNG (grey, grey+alpha, RGB, RGBA, palette with or without tRNS;
 * 1/2/4/8/16 bits; interlaced or not) into luminance [height, width]:
 * transparency is composited over white, colour becomes Rec. 601 luma
 * 0.299 R + 0.587 G + 0.114 B (what PIL's convert('L') and so the book's
 * imread(flatten=True) use), 16-bit samples are rounded to 8 bits at the
 * end. Sample values are used as stored (gAMA/sRGB/iCCP are ignored, as
 * the book's code did). Refuses, naming the file: a missing or unreadable
 * file, an empty one, not a PNG, a truncated or corrupt one (bad CRC, bad
 * compressed data), and dimensions above IMAGE_MAX_SIDE (before allocating).
 * *out is overwritten (not freed) and zeroed on failure. */
int image_read_png(const char *path, image_t *out);

/* image_read_png of a PNG held in memory, data[size] (a request's body);
 * messages name it `name`. */
int image_read_png_memory(const void *data, size_t size, const char *name, image_t *out);

/* Writes img as an 8-bit grey PNG, each pixel enlarged to a scale x scale
 * block (nearest neighbour; scale 1 = as is), values shown as `tone` says.
 * On failure the partial file is removed. */
int image_write_png(const char *path, const image_t *img, int scale, image_tone_t tone);

/* ---- normalisation (src/image_normalise.c) ---- */

/* The MNIST frame, made the way MNIST itself was: from luminance `in` of
 * any size to ink out[28*28] (0 = paper, 255 = ink). First the digit is
 * found as nnmpi/image_clean.h describes, step by step:
 *  1. a picture over IMAGE_WORK_SIDE pixels on a side is averaged down;
 *  2. polarity and the paper's own light (shadow, board, coloured paper)
 *     from a grid of cells; ink strength = distance from the paper; a
 *     picture whose strongest ink is less than IMAGE_MIN_CONTRAST from its
 *     paper is refused ("no ink found"); ruled lines are taken out;
 *  3. ink vs paper by Otsu's threshold (with hysteresis: faint pixels joined
 *     to strong ones count);
 *  4. the digit's connected components kept, specks and far smudges dropped;
 *  5. strokes outside MNIST's usual width redrawn at MNIST's median width
 *     (scaled to the digit's size), ink below IMAGE_NOISE_FRACTION of the
 *     strokes' level set to paper.
 * Then as MNIST: crop to the digit's bounding box, scale it with area
 * averaging (fractional pixel coverage) so its longer side is 20, keeping the
 * aspect ratio; place it in 28x28 shifted by whole pixels so its centre of
 * mass is at pixel (14, 14) (row, column; 0-based pixel indices), clamped so
 * the digit stays inside the field; stretch so the strongest pixel is 255.
 * Deterministic; a 1000 x 1000 photo takes about 25 ms. */
int image_normalise_mnist(const image_t *in, uint8_t *out);

/* What image_normalise_mnist did to one picture, step by step, for a
 * person to see which step went wrong (`nnmpi query --explain`). Every
 * step is an owned copy in luminance (255 = white paper, dark ink), so the
 * steps compare side by side: "picture" (the work copy), "ink" (the
 * paper's light and ruled lines taken out), "digit" (the components kept),
 * "strokes" (redrawn at MNIST's width, cropped) and "28x28" (what the
 * network sees). A picture refused part way keeps the steps before. */
#define IMAGE_TRACE_STEPS 5
typedef struct {
    int count;
    image_t step[IMAGE_TRACE_STEPS];
    const char *title[IMAGE_TRACE_STEPS];
} image_trace_t;

/* image_normalise_mnist, recording its steps into *trace (zeroed first;
 * image_trace_free it whatever the outcome). */
int image_normalise_mnist_traced(const image_t *in, uint8_t *out, image_trace_t *trace);
void image_trace_free(image_trace_t *trace);

/* The trace's steps side by side, each scaled to IMAGE_TRACE_HEIGHT pixels
 * high (area averaging down, nearest up), titled: *strip is allocated and
 * written as it is (IMAGE_HIGH_LIGHT). */
#define IMAGE_TRACE_HEIGHT 112
int image_trace_strip(const image_trace_t *trace, image_t *strip);

/* Refusal thresholds of image_normalise_mnist (see above). */
#define IMAGE_MIN_CONTRAST 32
#define IMAGE_NOISE_FRACTION 0.10

/* The book's frame: `in` must be 28x28 (refused otherwise); out = 255 - in. */
int image_normalise_book(const image_t *in, uint8_t *out);

/* The frame for data other than MNIST's digits: the whole picture scaled
 * (area averages; its shape not kept) to h x w and inverted (255 - x), so
 * dark ink or objects on light paper become light on black as in the
 * data sets. out[h*w]. */
int image_normalise_scaled(const image_t *in, int h, int w, uint8_t *out);

/* Dispatches on frame (mnist and book make 28x28: out[784]). */
int image_normalise(const image_t *in, image_frame_t frame, uint8_t *out);

/* Reads a PNG and normalises it to out[28*28]; every message names path. */
int image_load(const char *path, image_frame_t frame, uint8_t *out);

/* "mnist", "book" or "scale" -> frame; -1 with a message otherwise. */
int image_frame_parse(const char *name, image_frame_t *frame);

/* ---- montage (src/image_montage.c) ---- */

typedef struct {
    int columns;        /* tiles per row; 0 = as square a grid as possible */
    int scale;          /* each tile enlarged scale x (nearest); 0 means 1 */
    image_tone_t tone;  /* how tile values are shown */
} image_montage_opts_t;

/* A grid of n tiles (any sizes up to the largest) on white, each framed by
 * a thin grey line, with labels[i] (may be NULL, or any entry NULL) written
 * in dark anti-aliased text under tile i (text.h: printable ASCII, other
 * bytes as '?'); *out is allocated (image_free it). The tiles are already
 * in the requested tone, so write *out with IMAGE_HIGH_LIGHT. */
int image_montage(const image_t *tiles, const char *const *labels, int n,
                  const image_montage_opts_t *opts, image_t *out);

/* The same grid written to the PNG at path (the montage's failures named
 * after path); its size into *width, *height when they are not NULL. */
int image_montage_png(const char *path, const image_t *tiles, const char *const *labels, int n,
                      const image_montage_opts_t *opts, int *width, int *height);

#endif
