/* cmd_common: what every subcommand does the same way, private to the
 * commands (src/cmd_*.c): reading options, ending on a bad command line or
 * a failure, loading a model that answers 28x28 pictures.
 *
 * The option loop is an iterator over getopt_long, not a callback per
 * option: each command keeps its own `switch` on the options it has, and
 * the loop handles the two every command has, --help and a bad option:
 *
 *     cmd_options_t o = cmd_options("eval", argc, argv, "m:d:h", options, usage);
 *     while ((opt = cmd_option(&o)))
 *         switch (opt) { case 'm': ...; }
 *     if (o.finished)
 *         return o.status;
 *     ... the operands are argv[optind..argc-1] ...
 *
 * Messages go through log_error, so they read "nnmpi: error: ...". */
#ifndef NNMPI_CMD_COMMON_H
#define NNMPI_CMD_COMMON_H

#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "nnmpi/net.h"

typedef struct {
    const char *command;            /* "eval": the messages name it */
    int argc;
    char **argv;
    const char *shortopts;          /* getopt_long's; 'h' among them */
    const struct option *longopts;  /* {"help", no_argument, NULL, 'h'} among them; every
                                       flag NULL (0 ends the loop) */
    void (*usage)(FILE *out);       /* the --help text; NULL: cmd_option returns 'h' for
                                       --help and '?' for a bad option, its message recorded
                                       (train prints both on rank 0 alone) */
    int finished; /* set by cmd_option: the command returns status now: --help was printed
                     (EXIT_OK) or a bad option was reported (EXIT_USAGE) */
    int status;
} cmd_options_t;

/* The options of command (shortopts, longopts: getopt_long's) in argv;
 * resets getopt, which keeps its place in globals (a process may parse
 * twice, as the tests do). */
cmd_options_t cmd_options(const char *command, int argc, char **argv, const char *shortopts,
                          const struct option *longopts, void (*usage)(FILE *out));

/* The next option's code, as getopt_long returns it (optarg its
 * argument), or 0 when the loop is over: at the operands (optind, permuted
 * to the end as getopt_long does), or with o->finished set after --help
 * (usage to stdout) or an unknown or incomplete option (one message:
 * "CMD: unknown or incomplete option 'X' (see nnmpi CMD --help)"). */
int cmd_option(cmd_options_t *o);

/* A bad command line: prints the message (printf-style, one line, naming
 * the command) and returns EXIT_USAGE. */
int cmd_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A failure while working: prints error_message() and returns
 * EXIT_FAILURE_RUN. */
int cmd_fail(void);

/* Reads the model or checkpoint at path into net (net_free it) and checks
 * that it takes a 28x28 picture (784 inputs); 0, or -1 with the message,
 * the net freed. */
int cmd_load_picture_model(const char *path, net_t *net);

/* Reads the model or checkpoint at path into net (net_free it) and the
 * size of its pictures, *h x *w (28x28 for the digit models before files
 * recorded it); 0, or -1 with the message (a model whose size is not
 * known), the net freed. */
int cmd_load_model_sized(const char *path, net_t *net, int *h, int *w);

#endif
