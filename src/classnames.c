/* The names of a data set's classes, one comma-separated string: the form
 * the user types (--class-names) and the files keep, so there is one
 * spelling and nothing to escape. */
#include "nnmpi/classnames.h"

#include <string.h>

#include "nnmpi/error.h"

/* The length of name i's text from p (up to the next comma or the end). */
static size_t name_length(const char *p)
{
    const char *comma = strchr(p, ',');
    return comma ? (size_t)(comma - p) : strlen(p);
}

int classnames_check(const char *joined, int classes)
{
    int n = 0;
    for (const char *p = joined;; n++) {
        size_t len = name_length(p);
        if (len == 0 || len > CLASSNAMES_MAX_NAME)
            return error_set("class name %d is %s (each name 1..%d bytes, separated by commas)",
                             n + 1, len ? "too long" : "empty", CLASSNAMES_MAX_NAME);
        if (p[0] == ' ' || p[len - 1] == ' ')
            return error_set("class name %d (\"%.*s\") begins or ends with a blank", n + 1,
                             (int)len, p);
        for (size_t k = 0; k < len; k++)
            if ((unsigned char)p[k] < 0x20 || p[k] == 0x7f)
                return error_set("class name %d holds a control character", n + 1);
        if (!p[len])
            break;
        p += len + 1;
    }
    if (n + 1 != classes)
        return error_set("%d class names for %d classes", n + 1, classes);
    return 0;
}

const char *classnames_get(const char *joined, int i, char *buf, size_t size)
{
    buf[0] = '\0';
    const char *p = joined;
    for (int k = 0; p && *p && k < i; k++) {
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    if (p && *p && size > 0) {
        size_t len = name_length(p);
        len = len < size - 1 ? len : size - 1;
        memcpy(buf, p, len);
        buf[len] = '\0';
    }
    return buf;
}
