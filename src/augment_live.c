/* augment_live: a training sample's fresh distortion (augment_live.h). */
#include "nnmpi/augment_live.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/rng.h"

#define DRAW_STREAM 0x6c697665ULL /* "live": whether, the angle and the shift */

int augment_live_active(const augment_live_params_t *p)
{
    return p->probability > 0 && (p->rotate > 0 || p->shift > 0 || p->alpha > 0 ||
                                  p->scale > 0 || p->shear > 0 || p->stroke > 0);
}

/* Appends ", NAME VALUE" (the first without the comma) to buf; VALUE
 * is b when b >= 0 (elastic's "alpha/sigma"), else a. */
static void describe_one(char *buf, size_t size, const char *name, double a, double b)
{
    size_t used = strlen(buf);
    if (used >= size)
        return;
    const char *comma = used ? ", " : "";
    if (b >= 0)
        snprintf(buf + used, size - used, "%s%s %g/%g", comma, name, a, b);
    else
        snprintf(buf + used, size - used, "%s%s %g", comma, name, a);
}

void augment_live_describe(const augment_live_params_t *p, char *buf, size_t size)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    if (!augment_live_active(p))
        return;
    const struct {
        const char *name;
        double value;
    } keys[] = {{"stroke", p->stroke}, {"scale", p->scale},     {"shear", p->shear},
                {"rotate", p->rotate}, {"shift", p->shift}};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
        if (keys[k].value > 0)
            describe_one(buf, size, keys[k].name, keys[k].value, -1);
    if (p->alpha > 0)
        describe_one(buf, size, "elastic", p->alpha, p->sigma);
    if (p->elastic_bank > 0)
        describe_one(buf, size, "bank", p->elastic_bank, -1);
    if (p->probability < 1)
        describe_one(buf, size, "probability", p->probability, -1);
}

int augment_live_init(augment_live_t *a, const augment_live_params_t *p, int h, int w)
{
    memset(a, 0, sizeof *a);
    a->p = *p;
    a->h = h;
    a->w = w;
    a->tmp = malloc(2 * (size_t)h * (size_t)w);
    if (!a->tmp)
        return error_set("out of memory for the augmentation of %d x %d images", w, h);
    if (p->elastic_bank > 0 &&
        augment_bank_init(&a->bank, h, w, p->elastic_bank, p->alpha > 0 ? p->sigma : 0) < 0) {
        augment_live_free(a);
        return -1;
    }
    if (p->alpha > 0 && !p->elastic_bank &&
        augment_elastic_init(&a->elastic, h, w, p->alpha, p->sigma) < 0) {
        augment_live_free(a);
        return -1;
    }
    return 0;
}

void augment_live_free(augment_live_t *a)
{
    augment_elastic_free(&a->elastic);
    augment_bank_free(&a->bank);
    free(a->tmp);
    memset(a, 0, sizeof *a);
}

/* Uniform in [-m, m]. */
static double symmetric(rng_t *rng, double m)
{
    return m * (2.0 * rng_uniform(rng) - 1.0);
}

augment_live_draw_t augment_live_draw(const augment_live_params_t *p, uint64_t seed, int epoch,
                                      int64_t row)
{
    rng_t rng;
    rng_seed(&rng, seed, rng_stream(DRAW_STREAM, (uint64_t)row, (uint64_t)epoch));
    /* every draw is made whether or not it is used, so one setting's
     * draws do not move with another's */
    augment_live_draw_t d;
    d.distort = rng_uniform(&rng) < p->probability;
    d.angle = symmetric(&rng, p->rotate);
    d.dy = (int)rng_below(&rng, 2 * (uint64_t)p->shift + 1) - p->shift;
    d.dx = (int)rng_below(&rng, 2 * (uint64_t)p->shift + 1) - p->shift;
    /* the keys added later draw after the first ones, which so keep their
     * values (and a configuration without the new keys, its images) */
    d.scale = symmetric(&rng, p->scale);
    d.shear = symmetric(&rng, p->shear);
    d.stroke = symmetric(&rng, p->stroke);
    d.field = d.field_y = d.field_x = d.field_sign = 0;
    if (p->elastic_bank > 0) { /* the last draws: without a bank, none */
        d.field = (int)rng_below(&rng, (uint64_t)p->elastic_bank);
        d.field_y = (int)rng_below(&rng, AUGMENT_BANK_SPAN);
        d.field_x = (int)rng_below(&rng, AUGMENT_BANK_SPAN);
        d.field_sign = rng_below(&rng, 2) ? 1 : -1;
    }
    return d;
}

/* The input of the next step of a chain that writes dst: the source
 * itself, or, once a step has written dst, a copy of it in scratch. */
static const uint8_t *step_input(augment_live_t *a, const uint8_t *from, const uint8_t *dst)
{
    if (from != dst)
        return from;
    memcpy(a->tmp, dst, (size_t)a->h * (size_t)a->w);
    return a->tmp;
}

/* With a bank: the stroke its own step, then scale, shear, rotation,
 * shift and the bank's field in one resampling (augment_bank_apply). */
static void apply_with_bank(augment_live_t *a, const augment_live_draw_t *d, const uint8_t *src,
                            uint8_t *dst)
{
    const augment_live_params_t *p = &a->p;
    const uint8_t *from = src;
    if (p->stroke > 0) {
        augment_thickness(src, a->tmp, a->tmp + (size_t)a->h * (size_t)a->w, a->h, a->w,
                          d->stroke);
        from = a->tmp;
    }
    augment_bank_warp_t warp = {.dy = d->dy, .dx = d->dx, .alpha = d->field_sign * p->alpha,
                                .field = d->field, .y = d->field_y, .x = d->field_x};
    augment_warp_matrix(d->angle, d->shear, warp.m);
    const double grow = 1.0 + d->scale / 100.0; /* augment_scale's factor */
    for (int i = 0; i < 4; i++)
        warp.m[i] /= grow;
    augment_bank_apply(&a->bank, from, dst, &warp);
}

void augment_live_apply(augment_live_t *a, uint64_t seed, int epoch, int64_t row,
                        const uint8_t *src, uint8_t *dst)
{
    const augment_live_params_t *p = &a->p;
    const int h = a->h, w = a->w;
    const augment_live_draw_t d = augment_live_draw(p, seed, epoch, row);
    if (d.distort && p->elastic_bank > 0) {
        apply_with_bank(a, &d, src, dst);
        return;
    }
    uint8_t *scratch = a->tmp + (size_t)h * (size_t)w; /* augment_thickness's own */
    const uint8_t *from = src;
    if (d.distort && p->stroke > 0) { /* another pen ... */
        augment_thickness(step_input(a, from, dst), dst, scratch, h, w, d.stroke);
        from = dst;
    }
    if (d.distort && p->scale > 0) { /* ... another size ... */
        augment_scale(step_input(a, from, dst), dst, h, w, d.scale);
        from = dst;
    }
    if (d.distort && (p->rotate > 0 || p->shear > 0)) { /* ... slant and turn, one resampling */
        double m[4];
        augment_warp_matrix(d.angle, d.shear, m);
        augment_affine(step_input(a, from, dst), dst, h, w, m, 0);
        from = dst;
    }
    if (d.distort && (d.dy || d.dx)) {
        augment_shift(step_input(a, from, dst), dst, h, w, d.dy, d.dx, 0);
        from = dst;
    }
    if (d.distort && p->alpha > 0) {
        rng_t field;
        rng_seed(&field, seed, rng_stream(AUGMENT_ELASTIC_STREAM, (uint64_t)row,
                                          (uint64_t)(epoch - 1)));
        augment_elastic(&a->elastic, step_input(a, from, dst), dst, &field, 0);
        from = dst;
    }
    if (from == src)
        memcpy(dst, src, (size_t)h * (size_t)w);
}
