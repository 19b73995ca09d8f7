/* json: writing JSON text to a stream (an open_memstream buffer, usually),
 * for `nnmpi serve`'s API. Only writing: the server takes no JSON in.
 *
 * Strings come from files and requests a browser sent, so json_string
 * escapes everything JSON requires (quote, backslash, control characters)
 * and '<', '>' and '&' as well (a response shown as HTML by mistake cannot
 * open a tag), and turns bytes that are not valid UTF-8 into U+FFFD. */
#ifndef NNMPI_JSON_H
#define NNMPI_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* s as a JSON string, quotes included. */
void json_string(FILE *out, const char *s);

/* v as a JSON number (shortest of %.9g), or null when not finite. */
void json_number(FILE *out, double v);

/* n floats as a JSON array of numbers. */
void json_floats(FILE *out, const float *v, size_t n);

/* n bytes as a JSON array of integers 0..255. */
void json_bytes(FILE *out, const uint8_t *v, size_t n);

#endif
