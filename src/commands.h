/* commands: the subcommands of the nnmpi executable. Each takes the
 * arguments after its name (argv[0] is the subcommand's name) and returns
 * the process exit status. */
#ifndef NNMPI_COMMANDS_H
#define NNMPI_COMMANDS_H

#include "nnmpi/exitstatus.h"

int cmd_prepare(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_backquery(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_augment_preview(int argc, char **argv);

#endif
