#include "nnmpi/log.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "nnmpi/preempt.h"

/* How long a line waits for room in stdout once a stop signal has come. */
#define LOG_STOPPING_WAIT_MS 200

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

/* Set once stdout went unread while the job was stopping: later lines
 * are dropped rather than waited for. */
static int stdout_given_up;

/* Writes n bytes of text to fd. Waits for room as long as need be, but
 * not once a stop signal has come (preempt.h): mpirun stops reading its
 * ranks' output when told to end the job, and a rank blocked on the full
 * terminal would never reach the checkpoint its stop promises before
 * mpirun kills it a second later (seen with a checkpoint line every 10 ms).
 * poll, unlike a write, returns on the signal whatever SA_RESTART says. */
static void write_unless_stopping(int fd, const char *text, size_t n)
{
    for (size_t done = 0; done < n && !stdout_given_up;) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int ready = poll(&p, 1, preempt_signal() ? LOG_STOPPING_WAIT_MS : -1);
        if (ready < 0 && errno == EINTR)
            continue; /* the signal: wait again, briefly now */
        if (ready == 0) {
            stdout_given_up = 1;
            return;
        }
        ssize_t w = write(fd, text + done, n - done);
        if (w < 0 && errno != EINTR && errno != EAGAIN)
            return; /* closed or gone: nothing to be done */
        done += w > 0 ? (size_t)w : 0;
    }
}

void log_info(const char *fmt, ...)
{
    if (my_rank != 0)
        return;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    char small[1024], *text = small;
    int n = vsnprintf(small, sizeof small - 1, fmt, ap);
    if (n >= (int)sizeof small - 1 && (text = malloc((size_t)n + 2)) != NULL)
        vsnprintf(text, (size_t)n + 1, fmt, again);
    va_end(again);
    va_end(ap);
    if (n < 0 || !text)
        return;
    text[n] = '\n';
    fflush(stdout); /* anything written through stdio first */
    write_unless_stopping(STDOUT_FILENO, text, (size_t)n + 1);
    if (text != small)
        free(text);
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
