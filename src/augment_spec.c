/* The description of an augmentation: the lists given to `nnmpi prepare`
 * and the text kept in a dataset's `augmentation` attribute, which must read
 * back into the same description (nnmpi report does, for the angles). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/augment.h"
#include "nnmpi/error.h"

void augment_spec_init(augment_spec_t *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->alpha = AUGMENT_ALPHA_DEFAULT;
    spec->sigma = AUGMENT_SIGMA_DEFAULT;
}

int augment_spec_copies(const augment_spec_t *spec)
{
    return 1 + spec->n_angles + 4 * spec->n_shifts + spec->elastic + spec->n_thickness +
           spec->n_scales + spec->gaps + spec->noise;
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* One whole number in [lo, hi] from the item [p, end) of a list; `what` and
 * `text` name it in messages. */
static int parse_int_item(const char *p, const char *end, const char *what, const char *text,
                          long lo, long hi, long *value)
{
    while (p < end && is_blank(*p))
        p++;
    while (end > p && is_blank(end[-1]))
        end--;
    char item[64];
    size_t len = (size_t)(end - p);
    if (len == 0 || len >= sizeof item)
        return error_set("%s \"%s\": \"%.*s\" is not a whole number", what, text, (int)len, p);
    memcpy(item, p, len);
    item[len] = '\0';
    char *stop;
    errno = 0;
    long v = strtol(item, &stop, 10);
    if (*stop || errno)
        return error_set("%s \"%s\": \"%s\" is not a whole number", what, text, item);
    if (v < lo || v > hi)
        return error_set("%s \"%s\": %ld is outside %ld..%ld", what, text, v, lo, hi);
    *value = v;
    return 0;
}

int augment_parse_shifts(const char *text, augment_spec_t *spec)
{
    spec->n_shifts = 0;
    if (!text)
        return 0;
    const char *p = text;
    while (is_blank(*p))
        p++;
    if (!*p)
        return 0;
    for (;;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        long v;
        if (parse_int_item(p, end, "shift list", text, 1, AUGMENT_MAX_SHIFT, &v) < 0)
            return -1;
        for (int i = 0; i < spec->n_shifts; i++)
            if (spec->shifts[i] == v)
                return error_set("shift list \"%s\": %ld is listed twice", text, v);
        if (spec->n_shifts >= AUGMENT_MAX_SHIFTS)
            return error_set("shift list \"%s\": more than %d distances", text,
                             AUGMENT_MAX_SHIFTS);
        spec->shifts[spec->n_shifts++] = (int)v;
        if (!*end)
            break;
        p = end + 1;
    }
    return 0;
}

/* The item of a list that starts at p, up to the comma or the end, without
 * the blanks around it, for messages. */
static int item_length(const char *p, const char **start)
{
    while (is_blank(*p))
        p++;
    const char *e = p;
    while (*e && *e != ',')
        e++;
    while (e > p && is_blank(e[-1]))
        e--;
    *start = p;
    return (int)(e - p);
}

int augment_parse_list(const char *text, const char *what, double lo, double hi,
                       double *values, int max)
{
    const char *p = text ? text : "";
    while (is_blank(*p))
        p++;
    if (*p == '\0')
        return 0;
    int n = 0;
    for (;;) {
        char *end;
        const char *item;
        int len = item_length(p, &item);
        double v = strtod(item, &end);
        const char *item_end = end;
        while (is_blank(*end))
            end++;
        if (end == item || (*end != ',' && *end != '\0'))
            return error_set("%s list \"%s\": \"%.*s\" is not a number", what, text, len, item);
        if (!(v >= lo && v <= hi))
            return error_set("%s list \"%s\": %s \"%.*s\" is outside %g..%g", what, text, what,
                             (int)(item_end - item), item, lo, hi);
        if (n >= max)
            return error_set("%s list \"%s\": more than %d %s%s", what, text, max, what,
                             what[strlen(what) - 1] == 's' ? "es" : "s");
        values[n++] = v;
        if (*end == '\0')
            break;
        p = end + 1;
    }
    return n;
}

/* A list of nonzero values (0 would make plain copies of the originals),
 * none twice; the count or -1. */
static int parse_nonzero_list(const char *text, const char *what, double limit, double *values,
                              int max)
{
    int n = augment_parse_list(text, what, -limit, limit, values, max);
    for (int i = 0; i < n; i++) {
        if (values[i] == 0.0)
            return error_set("%s list \"%s\": 0 would be a plain copy of each original", what,
                             text);
        for (int j = 0; j < i; j++)
            if (values[j] == values[i])
                return error_set("%s list \"%s\": %g is listed twice", what, text, values[i]);
    }
    return n;
}

int augment_parse_thickness(const char *text, augment_spec_t *spec)
{
    int n = parse_nonzero_list(text, "thickness", AUGMENT_MAX_THICKNESS, spec->thickness,
                               AUGMENT_MAX_THICKNESSES);
    spec->n_thickness = n < 0 ? 0 : n;
    return n < 0 ? -1 : 0;
}

int augment_parse_scales(const char *text, augment_spec_t *spec)
{
    int n = parse_nonzero_list(text, "scale", AUGMENT_MAX_SCALE, spec->scales,
                               AUGMENT_MAX_SCALES);
    spec->n_scales = n < 0 ? 0 : n;
    return n < 0 ? -1 : 0;
}

/* A number of copies, 0..max, into *copies. */
static int parse_copies(const char *text, const char *what, long max, int *copies)
{
    long v;
    const char *t = text ? text : "";
    if (parse_int_item(t, t + strlen(t), what, t, 0, max, &v) < 0)
        return -1;
    *copies = (int)v;
    return 0;
}

int augment_parse_gaps(const char *text, augment_spec_t *spec)
{
    return parse_copies(text, "copies with gaps", AUGMENT_MAX_GAPS, &spec->gaps);
}

int augment_parse_noise(const char *text, augment_spec_t *spec)
{
    return parse_copies(text, "noisy copies", AUGMENT_MAX_NOISE, &spec->noise);
}

int augment_parse_elastic_bank(const char *text, augment_spec_t *spec)
{
    double bank;
    if (augment_parse_number(text, "elastic bank", 1, AUGMENT_MAX_BANK, &bank) < 0)
        return -1;
    if (bank != (int)bank)
        return error_set("elastic bank '%s': expected a whole number of fields", text);
    spec->elastic_bank = (int)bank;
    return 0;
}

int augment_parse_elastic(const char *text, augment_spec_t *spec)
{
    return parse_copies(text, "elastic copies", AUGMENT_MAX_ELASTIC, &spec->elastic);
}

int augment_parse_number(const char *text, const char *what, double lo, double hi, double *out)
{
    const char *t = text ? text : "";
    char *end;
    errno = 0;
    double v = strtod(t, &end);
    while (is_blank(*end))
        end++;
    if (end == t || *end || errno)
        return error_set("%s \"%s\" is not a number", what, t);
    if (!(v >= lo && v <= hi))
        return error_set("%s %s is outside %g..%g", what, t, lo, hi);
    *out = v;
    return 0;
}

/* snprintf that appends to buf and remembers whether anything was cut. */
__attribute__((format(printf, 5, 6)))
static void append(char *buf, size_t size, size_t *used, int *cut, const char *fmt, ...)
{
    if (*used >= size) {
        *cut = 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, size - *used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size - *used)
        *cut = 1;
    *used += n > 0 ? (size_t)n : 0;
}

/* "NAME=v1,v2,..." after the separator, if the list is not empty. */
static void append_list(char *buf, size_t size, size_t *used, int *cut, const char **sep,
                        const char *name, const double *values, int n)
{
    if (!n)
        return;
    append(buf, size, used, cut, "%s%s=", *sep, name);
    for (int i = 0; i < n; i++)
        append(buf, size, used, cut, i ? ",%g" : "%g", values[i]);
    *sep = ";";
}

/* "NAME=copies" after the separator, if there are copies. */
static void append_copies(char *buf, size_t size, size_t *used, int *cut, const char **sep,
                          const char *name, int copies)
{
    if (!copies)
        return;
    append(buf, size, used, cut, "%s%s=%d", *sep, name, copies);
    *sep = ";";
}

int augment_spec_format(const augment_spec_t *spec, char *buf, size_t size)
{
    size_t used = 0;
    int cut = size == 0;
    if (size)
        buf[0] = '\0';
    const char *sep = "";
    append_list(buf, size, &used, &cut, &sep, "rotations", spec->angles, spec->n_angles);
    if (spec->n_shifts) {
        append(buf, size, &used, &cut, "%sshifts=", sep);
        for (int i = 0; i < spec->n_shifts; i++)
            append(buf, size, &used, &cut, i ? ",%d" : "%d", spec->shifts[i]);
        sep = ";";
    }
    if (spec->elastic) {
        append(buf, size, &used, &cut, "%selastic=%d", sep, spec->elastic);
        append(buf, size, &used, &cut, ",alpha=%g", spec->alpha);
        append(buf, size, &used, &cut, ",sigma=%g", spec->sigma);
        if (spec->elastic_bank)
            append(buf, size, &used, &cut, ",bank=%d", spec->elastic_bank);
        sep = ";";
    }
    append_list(buf, size, &used, &cut, &sep, "thickness", spec->thickness, spec->n_thickness);
    append_list(buf, size, &used, &cut, &sep, "scale", spec->scales, spec->n_scales);
    append_copies(buf, size, &used, &cut, &sep, "gaps", spec->gaps);
    append_copies(buf, size, &used, &cut, &sep, "noise", spec->noise);
    if (augment_spec_copies(spec) == 1)
        append(buf, size, &used, &cut, "none");
    return cut ? error_set("augmentation description longer than %zu characters", size) : 0;
}

/* "elastic=N[,alpha=A][,sigma=S][,bank=B]" after the '=' (value), up to
 * its end. */
static int parse_elastic_part(const char *value, const char *whole, augment_spec_t *spec)
{
    char buf[256];
    if (strlen(value) >= sizeof buf)
        return error_set("augmentation \"%s\": the elastic part is too long", whole);
    strcpy(buf, value);
    char *save = NULL;
    char *item = strtok_r(buf, ",", &save);
    if (!item || augment_parse_elastic(item, spec) < 0)
        return error_prefix("augmentation \"%s\"", whole);
    while ((item = strtok_r(NULL, ",", &save))) {
        char *eq = strchr(item, '=');
        if (!eq)
            return error_set("augmentation \"%s\": \"%s\" should be alpha=A, sigma=S or bank=B",
                             whole, item);
        *eq = '\0';
        if (!strcmp(item, "alpha")) {
            if (augment_parse_number(eq + 1, "alpha", 0, 1000, &spec->alpha) < 0)
                return error_prefix("augmentation \"%s\"", whole);
        } else if (!strcmp(item, "sigma")) {
            if (augment_parse_number(eq + 1, "sigma", 0, 100, &spec->sigma) < 0)
                return error_prefix("augmentation \"%s\"", whole);
        } else if (!strcmp(item, "bank")) {
            if (augment_parse_elastic_bank(eq + 1, spec) < 0)
                return error_prefix("augmentation \"%s\"", whole);
        } else {
            return error_set("augmentation \"%s\": unknown elastic setting \"%s\"", whole, item);
        }
    }
    return 0;
}

/* The parts of augment_pen.c's copies: 1 parsed, 0 not one of them, -1 bad
 * (the message in error_message()). */
static int parse_pen_part(const char *name, const char *value, augment_spec_t *spec)
{
    int rc;
    if (!strcmp(name, "thickness"))
        rc = augment_parse_thickness(value, spec);
    else if (!strcmp(name, "scale"))
        rc = augment_parse_scales(value, spec);
    else if (!strcmp(name, "gaps"))
        rc = augment_parse_gaps(value, spec);
    else if (!strcmp(name, "noise"))
        rc = augment_parse_noise(value, spec);
    else
        return 0;
    return rc < 0 ? -1 : 1;
}

int augment_spec_parse(const char *text, augment_spec_t *spec)
{
    augment_spec_init(spec);
    const char *t = text ? text : "";
    while (is_blank(*t))
        t++;
    if (!*t || !strcmp(t, "none"))
        return 0;
    size_t len = strlen(t);
    char *copy = malloc(len + 1);
    if (!copy)
        return error_set("out of memory");
    memcpy(copy, t, len + 1);
    int rc = 0, known;
    char *save = NULL;
    for (char *part = strtok_r(copy, ";", &save); part && !rc; part = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(part, '=');
        if (!eq) {
            rc = error_set("augmentation \"%s\": \"%s\" is not NAME=VALUE", t, part);
            break;
        }
        *eq = '\0';
        const char *value = eq + 1;
        if (!strcmp(part, "rotations")) {
            int n = augment_parse_angles(value, spec->angles, AUGMENT_MAX_ANGLES);
            rc = n < 0 ? error_prefix("augmentation \"%s\"", t) : 0;
            spec->n_angles = n < 0 ? 0 : n;
        } else if (!strcmp(part, "shifts")) {
            rc = augment_parse_shifts(value, spec) < 0 ? error_prefix("augmentation \"%s\"", t) : 0;
        } else if (!strcmp(part, "elastic")) {
            rc = parse_elastic_part(value, t, spec);
        } else if ((known = parse_pen_part(part, value, spec)) != 0) {
            rc = known < 0 ? error_prefix("augmentation \"%s\"", t) : 0;
        } else {
            rc = error_set("augmentation \"%s\": unknown part \"%s\"", t, part);
        }
    }
    free(copy);
    return rc;
}

double augment_spec_max_angle(const augment_spec_t *spec)
{
    double m = 0.0;
    for (int i = 0; i < spec->n_angles; i++)
        if (fabs(spec->angles[i]) > m)
            m = fabs(spec->angles[i]);
    return m;
}
