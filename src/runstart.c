#include "nnmpi/runstart.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "nnmpi/agree.h"
#include "nnmpi/ckptdir.h"
#include "nnmpi/error.h"
#include "nnmpi/exitstatus.h"
#include "nnmpi/log.h"
#include "nnmpi/rundir.h"
#include "nnmpi/watchdog.h"

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int rank_of_world(void)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

static int lock_dir(runstart_t *s, const char *dir)
{
    if (s->locked_dir[0] && strcmp(s->locked_dir, dir) != 0) {
        error_set("internal error: %s is locked, not %s", s->locked_dir, dir);
        return EXIT_FAILURE_RUN;
    }
    if (s->locked_dir[0])
        return 0;
    int rc = runlock_acquire(dir, &s->lock);
    if (rc == RUNLOCK_BUSY)
        return EXIT_DIR_IN_USE;
    if (rc < 0)
        return EXIT_FAILURE_RUN;
    snprintf(s->locked_dir, sizeof s->locked_dir, "%s", dir);
    if (s->lock.taken_over[0])
        log_warn("%s: took over the run lock of a job that is gone: %s", dir,
                 s->lock.taken_over);
    return 0;
}

static void new_run_id(runstart_t *s)
{
    unsigned char bytes[CKPT_RUN_ID_LEN / 2];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) {
        /* no entropy source: time and pid still tell runs apart */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long v = (unsigned long long)ts.tv_sec * 1000003u ^
                               (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 32);
        memcpy(bytes, &v, sizeof bytes);
    }
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(s->run_id + 2 * i, 3, "%02x", bytes[i]);
}

/* ------------------------------------------------------------- locate */

/* Every rank: found and the configuration text, from rank 0. */
static int share_found(runstart_t *s)
{
    long long head[2] = {s->found, s->found && s->meta.config_text
                                       ? (long long)strlen(s->meta.config_text) : 0};
    watchdog_enter("sharing the checkpoint's configuration", 0, 0);
    MPI_Bcast(head, 2, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    watchdog_leave();
    s->found = (int)head[0];
    if (!s->found)
        return 0;
    s->config_text = malloc((size_t)head[1] + 1);
    int status = agree_all(s->config_text ? 0 : (error_set("out of memory"), EXIT_FAILURE_RUN),
                           NULL);
    if (status)
        return status;
    if (rank_of_world() == 0)
        memcpy(s->config_text, s->meta.config_text, (size_t)head[1] + 1);
    watchdog_enter("sharing the checkpoint's configuration", 0, 0);
    MPI_Bcast(s->config_text, (int)head[1] + 1, MPI_CHAR, 0, MPI_COMM_WORLD);
    watchdog_leave();
    return 0;
}

int runstart_locate(const char *spec, const char *dir, runstart_t *s)
{
    memset(s, 0, sizeof *s);
    s->lock.fd = -1;
    int status = 0;
    if (rank_of_world() == 0) {
        int is_path = spec && strcmp(spec, "auto") != 0;
        if (!is_path)
            status = lock_dir(s, dir);
        if (!status && spec && !is_path)
            runstart_choose_auto(s, dir);
        if (!status && is_path) {
            snprintf(s->path, sizeof s->path, "%s", spec);
            if (ckpt_read(spec, &s->net, &s->meta) < 0)
                status = (error_prefix("--resume"), EXIT_FAILURE_RUN);
            s->found = !status;
        }
    }
    status = agree_all(status, NULL);
    return status ? status : share_found(s);
}

/* --------------------------------------------------------------- plan */

/* The run continues: its id (a new one for files older than run ids), the
 * checkpoint it continues from, and the lineage so far. */
static int continue_lineage(runstart_t *s)
{
    if (s->meta.run_id[0])
        memcpy(s->run_id, s->meta.run_id, sizeof s->run_id);
    else
        new_run_id(s);
    snprintf(s->parent, sizeof s->parent, "%s sha256:%.16s", base_name(s->path),
             s->meta.weights_sha256);
    s->lineage = strdup(s->meta.lineage ? s->meta.lineage : "");
    return s->lineage ? 0 : (error_set("out of memory"), EXIT_FAILURE_RUN);
}

/* --resume PATH: refused into a directory holding another run; otherwise
 * what lies after PATH in dir is the future it abandons. */
static int plan_explicit(runstart_t *s, const char *dir)
{
    char id[CKPT_RUN_ID_LEN + 1], from[4200];
    if (rundir_has_run(dir)) {
        if (!rundir_run_id(dir, id, from, sizeof from))
            return error_set("cannot resume %s into %s: that directory holds a run whose files do "
                             "not load; resume into another [output] dir, or start over there "
                             "with --fresh", s->path, dir), EXIT_FAILURE_RUN;
        if (id[0] && s->meta.run_id[0] && strcmp(id, s->meta.run_id) != 0)
            return error_set("cannot resume %s into %s: that directory holds another run (run %s, "
                             "as %s says) and the checkpoint belongs to run %s; resume it into "
                             "its own directory or a new one (--set output.dir=...), or start "
                             "over in %s with --fresh", s->path, dir, id, from, s->meta.run_id,
                             dir), EXIT_FAILURE_RUN;
    }
    s->aside_kind = "abandoned";
    s->aside_epoch = s->meta.epoch;
    s->aside_step = s->meta.step;
    return continue_lineage(s);
}

int runstart_plan(runstart_t *s, const char *spec, int fresh, const char *dir)
{
    int status = lock_dir(s, dir);
    if (status)
        return status;
    if (spec && strcmp(spec, "auto") != 0)
        return plan_explicit(s, dir);
    if (s->found)
        return continue_lineage(s);
    if (!spec && rundir_has_run(dir)) {
        if (!fresh)
            return error_set("%s holds an earlier run (checkpoints or model.h5): continue it with "
                             "--resume auto, start over with --fresh (the earlier run is moved "
                             "into a previous- folder, not deleted), or choose another [output] "
                             "dir", dir), EXIT_FAILURE_RUN;
        s->aside_kind = "previous";
        s->aside_epoch = -1;
    }
    new_run_id(s);
    s->lineage = strdup("");
    return s->lineage ? 0 : (error_set("out of memory"), EXIT_FAILURE_RUN);
}

/* ------------------------------------------------------- shared or not */

/* What each rank says of the run directory. */
typedef struct {
    int sees_marker;   /* sees the file rank 0 just wrote there */
    int checkpoints;   /* checkpoints in the directory of that name on its host */
    char host[64];
} sight_t;

/* Rank 0: the marker every rank looks for. */
static int write_marker(const char *dir, char *marker, size_t size)
{
    snprintf(marker, size, "%s/.visible-%ld", dir, (long)getpid());
    int fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return error_set("%s: cannot write: %s", marker, strerror(errno)), EXIT_FAILURE_RUN;
    close(fd);
    return 0;
}

static sight_t look(const char *marker, const char *dir)
{
    sight_t me = {0};
    me.sees_marker = access(marker, F_OK) == 0;
    strlist_t names = ckptdir_list(dir);
    me.checkpoints = (int)names.count;
    strlist_free(&names);
    snprintf(me.host, sizeof me.host, "%s", log_host());
    return me;
}

/* Rank 0: says where the directory lives when not every rank sees it, and
 * refuses a fresh start that would leave another host's run behind. */
static int judge_sight(const runstart_t *s, const char *spec, const char *dir, const sight_t *all,
                       int size)
{
    char blind[512] = "";
    int n_blind = 0;
    for (int r = 1; r < size; r++) {
        if (all[r].sees_marker)
            continue;
        if (spec && !strcmp(spec, "auto") && !s->found && all[r].checkpoints > 0)
            return error_set("--resume auto: rank 0 (%s) finds no checkpoint in %s, but rank %d "
                             "(%s) sees %d there: the run directory is not shared between the "
                             "hosts, and starting afresh would leave that run behind; start the "
                             "job so that rank 0 runs on %s (Open MPI's mpirun puts it on its "
                             "own host when the hostfile lists it, else on the hostfile's "
                             "first), or copy the directory to %s (--fresh starts over anyway)",
                             all[0].host, dir, r,
                             all[r].host, all[r].checkpoints, all[r].host, all[0].host),
                   EXIT_FAILURE_RUN;
        if (!strstr(blind, all[r].host) && strlen(blind) + strlen(all[r].host) + 3 < sizeof blind)
            snprintf(blind + strlen(blind), sizeof blind - strlen(blind), "%s%s",
                     n_blind ? ", " : "", all[r].host);
        n_blind++;
    }
    if (n_blind)
        log_warn("the run directory %s is on %s only: %d rank%s on %s do%s not see it. Only rank "
                 "0 writes it, so training goes on, but --resume auto finds this run only with "
                 "rank 0 on %s again; clusters share run directories on a common file system "
                 "(docs/cluster.md)", dir, all[0].host, n_blind, n_blind == 1 ? "" : "s", blind,
                 n_blind == 1 ? "es" : "", all[0].host);
    return 0;
}

int runstart_check_shared(runstart_t *s, const char *spec, const char *dir)
{
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size == 1)
        return 0;
    char marker[4200] = "";
    int status = rank == 0 ? write_marker(dir, marker, sizeof marker) : 0;
    if ((status = agree_all(status, NULL)) != 0)
        return status;
    long pid = (long)getpid();
    watchdog_enter("checking the run directory", 0, 0);
    MPI_Bcast(&pid, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    watchdog_leave();
    snprintf(marker, sizeof marker, "%s/.visible-%ld", dir, pid);
    sight_t me = look(marker, dir), *all = rank == 0 ? calloc((size_t)size, sizeof *all) : NULL;
    watchdog_enter("checking the run directory", 0, 0);
    MPI_Gather(&me, (int)sizeof me, MPI_BYTE, all, (int)sizeof me, MPI_BYTE, 0, MPI_COMM_WORLD);
    watchdog_leave();
    if (rank == 0) {
        unlink(marker);
        status = all ? judge_sight(s, spec, dir, all, size) : (error_set("out of memory"), 1);
    }
    free(all);
    return agree_all(status, NULL);
}

/* -------------------------------------------------------------- begin */

static const char *aside_reason(const runstart_t *s)
{
    if (!strcmp(s->aside_kind, "abandoned"))
        return "the future abandoned by resuming an older checkpoint";
    if (!strcmp(s->aside_kind, "previous"))
        return "the previous run, replaced by --fresh";
    if (s->aside_epoch < 0)
        return "a run none of whose checkpoints loads";
    return "checkpoints that do not load, and what came after the one resumed";
}

/* Whether path is a checkpoint file directly in dir. */
static int in_dir(const char *path, const char *dir)
{
    char a[PATH_MAX], b[PATH_MAX], parent[4200];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(parent, sizeof parent, ".");
    return realpath(parent, a) && realpath(dir, b) && !strcmp(a, b) &&
           ckptdir_parse_name(base_name(path), NULL, NULL);
}

/* This session's line of the lineage. */
static int add_session(runstart_t *s, const char *dir, int ranks, const char *aside_note)
{
    char when[64], how[4400], job[96] = "";
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    if (s->found)
        snprintf(how, sizeof how, "resumed %s (%d epoch%s done, step %lld)", s->path,
                 s->meta.epoch, s->meta.epoch == 1 ? "" : "s", (long long)s->meta.step);
    else
        snprintf(how, sizeof how, "new run %s", s->run_id);
    if (!s->found)
        log_info("a new run in %s: %s", dir, s->run_id);
    const char *slurm = getenv("SLURM_JOB_ID");
    if (slurm && *slurm)
        snprintf(job, sizeof job, ", SLURM job %.60s", slurm);
    size_t old = strlen(s->lineage), add = strlen(when) + strlen(how) + strlen(job) +
                                           strlen(aside_note) + 512;
    char *text = realloc(s->lineage, old + add);
    if (!text)
        return error_set("out of memory");
    s->lineage = text;
    snprintf(text + old, add, "%s  %s; %d rank%s, rank 0 on %s%s%s\n", when, how, ranks,
             ranks == 1 ? "" : "s", log_host(), job, aside_note);
    return 0;
}

int runstart_begin(runstart_t *s, const char *dir, int ranks)
{
    char where[4200] = "", note[4400] = "";
    if (s->aside_kind) {
        int moved = rundir_set_aside(dir, s->aside_kind, s->aside_epoch, s->aside_step, where,
                                     sizeof where);
        if (moved < 0)
            return -1;
        if (moved > 0) {
            log_info("set aside %d entr%s into %s: %s", moved, moved == 1 ? "y" : "ies", where,
                     aside_reason(s));
            snprintf(note, sizeof note, "; set aside %s", base_name(where));
        }
    }
    char latest[256];
    ckptdir_link_target(dir, "latest.h5", latest, sizeof latest);
    if (s->found && !latest[0] && in_dir(s->path, dir) &&
        ckptdir_set_link(dir, "latest.h5", base_name(s->path)) < 0)
        return -1;
    if (s->found && rundir_repoint_best(dir, &s->meta.metrics) < 0)
        return -1;
    ckptdir_clean_temporaries(dir); /* left by a run killed while writing */
    return add_session(s, dir, ranks, note);
}

void runstart_free(runstart_t *s)
{
    runlock_release(&s->lock);
    free(s->config_text);
    free(s->lineage);
    net_free(&s->net);
    ckpt_meta_free(&s->meta);
    memset(s, 0, sizeof *s);
    s->lock.fd = -1;
}
