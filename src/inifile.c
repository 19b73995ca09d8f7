#include "nnmpi/inifile.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"

/* Trims blanks at both ends of [s, end) in place; returns the new start. */
static char *trim(char *s, char *end)
{
    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return s;
}

/* Cuts an inline comment: ';' or '#' after a blank. */
static void cut_comment(char *s)
{
    for (char *p = s + 1; *p; p++)
        if ((*p == ';' || *p == '#') && isspace((unsigned char)p[-1])) {
            *p = '\0';
            return;
        }
}

static int parse_line(char *s, int line, const char *origin, char *section, size_t section_size,
                      inifile_entry_fn fn, void *user)
{
    s = trim(s, s + strlen(s));
    if (!*s || *s == ';' || *s == '#')
        return 0;
    if (*s == '[') {
        char *close = strchr(s, ']');
        if (!close)
            return error_set("%s:%d: '[' without a closing ']'", origin, line);
        char *rest = close + 1;
        cut_comment(rest - 1);
        if (*trim(rest, rest + strlen(rest)))
            return error_set("%s:%d: text after the section header", origin, line);
        char *name = trim(s + 1, close);
        if (!*name || strlen(name) >= section_size)
            return error_set("%s:%d: a section needs a name, e.g. [train]", origin, line);
        strcpy(section, name);
        return fn(user, line, section, NULL, NULL);
    }
    char *eq = strchr(s, '=');
    if (!eq)
        return error_set("%s:%d: syntax error (expected '[section]' or 'key = value')", origin,
                         line);
    char *key = trim(s, eq);
    char *value = eq + 1;
    cut_comment(value - 1);
    value = trim(value, value + strlen(value));
    if (!*key)
        return error_set("%s:%d: a key is missing before '='", origin, line);
    return fn(user, line, section, key, value);
}

int inifile_parse(const char *text, const char *origin, inifile_entry_fn fn, void *user)
{
    char *copy = strdup(text);
    if (!copy)
        return error_set("%s: out of memory", origin);
    char section[256] = "";
    char *s = copy;
    if (!strncmp(s, "\xEF\xBB\xBF", 3)) /* a UTF-8 byte order mark */
        s += 3;
    int rc = 0;
    for (int line = 1; s && !rc; line++) {
        char *next = strchr(s, '\n');
        if (next)
            *next++ = '\0';
        rc = parse_line(s, line, origin, section, sizeof section, fn, user);
        s = next;
    }
    free(copy);
    return rc;
}
