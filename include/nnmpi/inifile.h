/* inifile: a strict reader of INI text, with the line number of everything
 * it reports.
 *
 * Why not inih: Debian builds it with a 200-character line limit (longer
 * lines, e.g. deep cluster paths, are silently split), it joins indented
 * lines onto the previous value, and it does not pass line numbers to the
 * handler. Here: no length limit, '[section]', 'key = value', whole-line
 * comments starting with ';' or '#', and an inline comment only where ';'
 * or '#' follows a blank ("lr = 0.1  ; the book's"). Anything else is a
 * syntax error. */
#ifndef NNMPI_INIFILE_H
#define NNMPI_INIFILE_H

/* Called for each section header (key and value NULL) and each entry; a
 * non-zero return stops the parse and is returned by inifile_parse. */
typedef int (*inifile_entry_fn)(void *user, int line, const char *section, const char *key,
                                const char *value);

/* Parses NUL-terminated text; origin names it in messages ("FILE:LINE: ...").
 * Returns 0, the callback's non-zero status, or -1 for a syntax error. */
int inifile_parse(const char *text, const char *origin, inifile_entry_fn fn, void *user);

#endif
