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
    return 1 + spec->n_angles + 4 * spec->n_shifts + spec->elastic;
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

int augment_parse_elastic(const char *text, augment_spec_t *spec)
{
    long v;
    const char *t = text ? text : "";
    if (parse_int_item(t, t + strlen(t), "elastic copies", t, 0, AUGMENT_MAX_ELASTIC, &v) < 0)
        return -1;
    spec->elastic = (int)v;
    return 0;
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

int augment_spec_format(const augment_spec_t *spec, char *buf, size_t size)
{
    size_t used = 0;
    int cut = size == 0;
    if (size)
        buf[0] = '\0';
    const char *sep = "";
    if (spec->n_angles) {
        append(buf, size, &used, &cut, "rotations=");
        for (int i = 0; i < spec->n_angles; i++)
            append(buf, size, &used, &cut, i ? ",%g" : "%g", spec->angles[i]);
        sep = ";";
    }
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
    }
    if (!spec->n_angles && !spec->n_shifts && !spec->elastic)
        append(buf, size, &used, &cut, "none");
    return cut ? error_set("augmentation description longer than %zu characters", size) : 0;
}

/* "elastic=N[,alpha=A][,sigma=S]" after the '=' (value), up to its end. */
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
            return error_set("augmentation \"%s\": \"%s\" should be alpha=A or sigma=S", whole,
                             item);
        *eq = '\0';
        if (!strcmp(item, "alpha")) {
            if (augment_parse_number(eq + 1, "alpha", 0, 1000, &spec->alpha) < 0)
                return error_prefix("augmentation \"%s\"", whole);
        } else if (!strcmp(item, "sigma")) {
            if (augment_parse_number(eq + 1, "sigma", 0, 100, &spec->sigma) < 0)
                return error_prefix("augmentation \"%s\"", whole);
        } else {
            return error_set("augmentation \"%s\": unknown elastic setting \"%s\"", whole, item);
        }
    }
    return 0;
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
    int rc = 0;
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
