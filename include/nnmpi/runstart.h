/* runstart: how a training run starts -- afresh or from a checkpoint, in a
 * run directory that rank 0 holds locked for the job (runlock.h).
 *
 * The rules that keep one run, one lineage, per directory (rundir.h) are
 * decided here, before anything is touched:
 *  - without --resume the directory must not hold a run; --fresh sets the
 *    one it holds aside (previous-TIME/) and starts a new run;
 *  - --resume auto takes the checkpoint latest.h5 names: the newest of the
 *    directory's lineage, not the highest epoch (or a newer one of the same
 *    lineage: a kill between a checkpoint and its link). Checkpoints that do not
 *    load are passed (named in warnings) for the next older one, and set
 *    aside with everything after the one taken (damaged-TIME/); when none
 *    loads, the run's files are set aside and the run starts afresh;
 *  - --resume PATH into a directory holding another run (another run id) is
 *    refused, naming both; a PATH older than the directory's newest
 *    checkpoint sets the future it abandons aside (abandoned-TIME/).
 * A run id is made at every fresh start and kept by every checkpoint of
 * the run, with the checkpoint each session continued from and one line
 * per session (the lineage, which `nnmpi info DIR` shows). The moves wait
 * until training really starts (runstart_begin), so a start refused for
 * any reason (another configuration, another dataset...) changes nothing. */
#ifndef NNMPI_RUNSTART_H
#define NNMPI_RUNSTART_H

#include <stdint.h>

#include "nnmpi/checkpoint.h"
#include "nnmpi/net.h"
#include "nnmpi/runlock.h"

typedef struct {
    /* every rank */
    int found;              /* a checkpoint was loaded */
    char *config_text;      /* its resolved configuration */
    /* rank 0 */
    char path[4096];        /* the checkpoint */
    net_t net;
    ckpt_meta_t meta;
    runlock_t lock;         /* held from runstart_locate/plan to runstart_free */
    char locked_dir[4096];  /* the directory it locks, "" before */
    const char *aside_kind; /* runstart_begin moves aside: NULL nothing; else the
                               folder's kind (abandoned, previous, damaged) ... */
    int aside_epoch;        /* ... with the files past this position (-1: all) */
    int64_t aside_step;
    char run_id[CKPT_RUN_ID_LEN + 1];
    char parent[4200];      /* "NAME sha256:PREFIX" of the checkpoint, or "" */
    char *lineage;          /* the run's sessions, this one's line last (begin) */
} runstart_t;

/* Collective. spec: NULL (no --resume), "auto" or a checkpoint path. Rank 0
 * locks dir (unless spec is a path: the directory is known only from the
 * configuration, which may be the checkpoint's own) and reads the
 * checkpoint; every rank learns found and config_text. Returns 0 or an exit
 * status (exitstatus.h), the same on every rank, with the message in
 * error_message(). */
int runstart_locate(const char *spec, const char *dir, runstart_t *s);

/* Rank 0, the decision of --resume auto alone (no MPI, no lock; s zeroed
 * but for lock.fd = -1): the checkpoint dir's run continues from, by the
 * rules above, into s->found, s->path, s->net and s->meta, and what
 * runstart_begin is to set aside after it (s->aside_*). Checkpoints that
 * do not load are named in warnings (log_warn). runstart_locate calls it. */
void runstart_choose_auto(runstart_t *s, const char *dir);

/* Rank 0, once the configuration is final: locks dir if runstart_locate did
 * not, and applies the rules above. 0, or an exit status with the message. */
int runstart_plan(runstart_t *s, const char *spec, int fresh, const char *dir);

/* Collective: whether every rank sees the run directory (rank 0 wrote it),
 * said in the log when some do not (it lives on rank 0's host only). When
 * rank 0 found nothing to resume but another rank sees checkpoints in dir,
 * the run is refused (exit status): the directory is not shared, and
 * starting afresh would leave that progress behind. */
int runstart_check_shared(runstart_t *s, const char *spec, const char *dir);

/* Rank 0, once training really starts: moves aside what the plan says,
 * relinks latest.h5 and best.h5, and adds this session's line (ranks,
 * host, job) to the lineage. 0 or -1 with the message. */
int runstart_begin(runstart_t *s, const char *dir, int ranks);

void runstart_free(runstart_t *s);

#endif
