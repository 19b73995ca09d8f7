/* log: the single place nnmpi's programs talk to the user.
 *
 * Progress and results go through log_info, which prints on rank 0 only, so
 * an MPI job prints each line once. Warnings and errors print on whichever
 * rank has them, naming the rank when the job has more than one. */
#ifndef NNMPI_LOG_H
#define NNMPI_LOG_H

#include <stddef.h>

/* Tells the logger who we are (and notes the host name); before this every
 * process counts as rank 0. */
void log_set_rank(int rank, int size);

/* This process's host name, as messages give it. */
const char *log_host(void);

/* Rank 0 only, to stdout, flushed at once (progress must show under mpirun). */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Any rank, to stderr: "nnmpi: warning: [rank R (HOST): ]..." */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Any rank, to stderr: "nnmpi: error: [rank R (HOST): ]..." */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Rank 0 only, to stderr: "nnmpi: error: ...", naming no rank. For a
 * failure every rank shares, whose message names the rank it came from
 * (agree.c), so that the job says it once. */
void log_job_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A duration as people read it: "7.4 s", "1m02s", "3h05m" ("?" if not
 * finite). Counted in doubles: the ETA of a million slow epochs, or the
 * wall time of a damaged metrics.csv, overflows an int. */
void log_format_duration(double seconds, char *buf, size_t size);

#endif
