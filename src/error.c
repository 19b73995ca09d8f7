#include "nnmpi/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One message per thread is enough: the first failure ends the operation
 * and is reported before anything else runs. Per thread, because
 * `nnmpi serve` answers requests on several threads at once. */
static _Thread_local char message[4096];

/* Messages quote what hostile files hold (a CSV value, an HDF5 string
 * attribute): a control character there (CR, LF, ESC) must neither break
 * the one line a message is nor reach the terminal. Tabs become spaces,
 * other control characters '?'; UTF-8 passes unchanged. */
static void one_line(char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\t')
            *s = ' ';
        else if (c < 0x20 || c == 0x7f)
            *s = '?';
    }
}

int error_set(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    one_line(message);
    return -1;
}

int error_prefix(const char *fmt, ...)
{
    char prefix[1024];
    char old[sizeof message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, message, sizeof old);
    size_t used = (size_t)snprintf(message, sizeof message, "%s: ", prefix);
    if (used < sizeof message)
        snprintf(message + used, sizeof message - used, "%.*s", (int)(sizeof message - used - 1),
                 old);
    one_line(message);
    return -1;
}

const char *error_message(void)
{
    return message;
}

void error_clear(void)
{
    message[0] = '\0';
}
