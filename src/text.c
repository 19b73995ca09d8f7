/* text: cairo's "toy" text API is enough here: one face, one line at a
 * time, no shaping; the Pango stack would add a dependency for nothing. */
#include "nnmpi/text.h"

#include <stddef.h>

#define FACE "DejaVu Sans"

/* s as printable ASCII, cut at TEXT_MAX_CHARS. */
static const char *printable(const char *s, char out[TEXT_MAX_CHARS + 1])
{
    size_t i = 0;
    for (; s[i] && i < TEXT_MAX_CHARS; i++)
        out[i] = s[i] >= 32 && s[i] <= 126 ? s[i] : '?';
    out[i] = '\0';
    return out;
}

void text_font(cairo_t *cr, double px, int bold)
{
    cairo_select_font_face(cr, FACE, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, px);
}

double text_width(cairo_t *cr, const char *s)
{
    char buf[TEXT_MAX_CHARS + 1];
    cairo_text_extents_t e;
    cairo_text_extents(cr, printable(s, buf), &e);
    return e.x_advance;
}

double text_height(cairo_t *cr)
{
    cairo_font_extents_t f;
    cairo_font_extents(cr, &f);
    return f.ascent + f.descent;
}

void text_draw(cairo_t *cr, double x, double y, const char *s)
{
    char buf[TEXT_MAX_CHARS + 1];
    cairo_font_extents_t f;
    cairo_font_extents(cr, &f);
    cairo_move_to(cr, x, y + f.ascent);
    cairo_show_text(cr, printable(s, buf));
}
