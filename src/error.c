#include "nnmpi/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One message per process is enough: the first failure ends the operation
 * and is reported before anything else runs. */
static char message[4096];

int error_set(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
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
