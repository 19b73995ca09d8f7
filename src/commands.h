/* commands: the subcommands of the nnmpi executable. Each takes the
 * arguments after its name (argv[0] is the subcommand's name) and returns
 * the process exit status. */
#ifndef NNMPI_COMMANDS_H
#define NNMPI_COMMANDS_H

/* Exit statuses shared by every subcommand (documented in --help). */
enum {
    EXIT_OK = 0,
    EXIT_FAILURE_RUN = 1,   /* something failed while working (message says what) */
    EXIT_USAGE = 2,         /* bad command line or configuration */
};

int cmd_prepare(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_backquery(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
