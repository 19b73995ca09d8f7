#include "nnmpi/log.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static int my_rank = 0;
static int world_size = 1;
static char my_host[256] = "?";

void log_set_rank(int rank, int size)
{
    my_rank = rank;
    world_size = size;
    if (gethostname(my_host, sizeof my_host - 1) != 0)
        snprintf(my_host, sizeof my_host, "?");
}

const char *log_host(void)
{
    return my_host;
}

void log_info(const char *fmt, ...)
{
    if (my_rank != 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

/* One fprintf per line so lines from different ranks do not interleave. */
static void log_to_stderr(const char *kind, int name_rank, const char *fmt, va_list ap)
{
    char text[2048];
    vsnprintf(text, sizeof text, fmt, ap);
    if (name_rank && world_size > 1)
        fprintf(stderr, "nnmpi: %s: rank %d (%s): %s\n", kind, my_rank, my_host, text);
    else
        fprintf(stderr, "nnmpi: %s: %s\n", kind, text);
    fflush(stderr);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_to_stderr("warning", 1, fmt, ap);
    va_end(ap);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_to_stderr("error", 1, fmt, ap);
    va_end(ap);
}

void log_job_error(const char *fmt, ...)
{
    if (my_rank != 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_to_stderr("error", 0, fmt, ap);
    va_end(ap);
}

void log_format_duration(double s, char *buf, size_t size)
{
    if (!isfinite(s))
        snprintf(buf, size, "?");
    else if (s < 60)
        snprintf(buf, size, "%.1f s", s);
    else if (s < 3600)
        snprintf(buf, size, "%.0fm%02.0fs", floor(s / 60), floor(fmod(s, 60)));
    else
        snprintf(buf, size, "%.0fh%02.0fm", floor(s / 3600), floor(fmod(s / 60, 60)));
}
