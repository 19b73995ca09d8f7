/* text: the one typeface of nnmpi's pictures, charts and montage labels
 * alike: DejaVu Sans (Debian's fonts-dejavu-core), found through fontconfig
 * and drawn anti-aliased by cairo; fontconfig substitutes another sans face
 * if it is missing, so a picture never fails for want of a font.
 *
 * Text is shown as printable ASCII: any other byte becomes '?' (a run or
 * file name in another encoding would fail cairo's UTF-8 check and vanish),
 * and at most TEXT_MAX_CHARS characters are shown. */
#ifndef NNMPI_TEXT_H
#define NNMPI_TEXT_H

#include <cairo.h>

#define TEXT_MAX_CHARS 255

/* Selects the face on cr at a size of px pixels (the em), bold or not. */
void text_font(cairo_t *cr, double px, int bold);

/* How far s advances in cr's font, in pixels. */
double text_width(cairo_t *cr, const char *s);

/* The height of a line (ascent + descent) in cr's font, in pixels. */
double text_height(cairo_t *cr);

/* Draws s with the top-left corner of its line box at (x, y). */
void text_draw(cairo_t *cr, double x, double y, const char *s);

#endif
