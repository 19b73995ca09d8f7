/* error: where a library function leaves its message for main to print.
 *
 * Library code never prints and never exits: a failing function records one
 * line with error_set() and returns a negative status (or NULL); the caller
 * may add context with error_prefix() and pass the status up; only main (or a
 * subcommand) prints error_message() and decides the exit code. */
#ifndef NNMPI_ERROR_H
#define NNMPI_ERROR_H

/* Records a printf-style message (replacing any earlier one); returns -1 so a
 * caller can write `return error_set("...")`. */
int error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Puts "context: " in front of the recorded message; returns -1. */
int error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The recorded message, or "" when there is none. */
const char *error_message(void);

void error_clear(void);

#endif
