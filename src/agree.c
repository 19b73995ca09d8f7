#include "nnmpi/agree.h"

#include <mpi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/exitstatus.h"
#include "nnmpi/log.h"
#include "nnmpi/watchdog.h"

/* What each rank sends rank 0: fixed size, so one MPI_Gather of bytes. */
typedef struct {
    int status;
    int n_items;
    uint64_t hash[AGREE_MAX_ITEMS];
    char host[64];
    char message[512];
} record_t;

typedef struct {
    int status;
    char message[1536];
} verdict_t;

int agree_add(agree_list_t *l, const char *name, const char *fmt, ...)
{
    if (l->count == AGREE_MAX_ITEMS)
        return error_set("internal error: more than %d items to agree on", AGREE_MAX_ITEMS);
    agree_item_t *it = &l->items[l->count++];
    snprintf(it->name, sizeof it->name, "%s", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->value, sizeof it->value, fmt, ap);
    va_end(ap);
    return 0;
}

/* FNV-1a over the name and the value: equal items, equal hashes. */
static uint64_t item_hash(const agree_item_t *it)
{
    uint64_t h = 1469598103934665603ULL;
    const char *parts[2] = {it->name, it->value};
    for (int p = 0; p < 2; p++)
        for (const unsigned char *c = (const unsigned char *)parts[p];; c++) {
            h = (h ^ *c) * 1099511628211ULL;
            if (!*c)
                break;
        }
    return h;
}

static void fill_record(record_t *r, int status, const agree_list_t *items)
{
    memset(r, 0, sizeof *r);
    r->status = status;
    r->n_items = items ? items->count : 0;
    for (int i = 0; i < r->n_items; i++)
        r->hash[i] = item_hash(&items->items[i]);
    snprintf(r->host, sizeof r->host, "%s", log_host());
    if (status)
        snprintf(r->message, sizeof r->message, "%s", error_message());
}

/* Rank 0: the lowest failing rank's status and message, if any failed;
 * said once, without a rank, when every rank failed alike. */
static int first_failure(const record_t *all, int size, verdict_t *v)
{
    int first = -1, others = 0, alike = 1;
    for (int r = 0; r < size; r++)
        if (all[r].status) {
            if (first < 0)
                first = r;
            else
                others++;
            alike = alike && !strcmp(all[r].message, all[first].message);
        } else {
            alike = 0;
        }
    if (first < 0)
        return 0;
    v->status = all[first].status;
    if (size == 1 || alike)
        snprintf(v->message, sizeof v->message, "%s", all[first].message);
    else
        snprintf(v->message, sizeof v->message, "rank %d (%s): %s%s", first, all[first].host,
                 all[first].message, others ? " (other ranks failed too)" : "");
    return 1;
}

/* Rank 0: the first item on which some rank differs from rank 0, or -1. */
static int first_difference(const record_t *all, int size)
{
    for (int r = 1; r < size; r++)
        if (all[r].n_items != all[0].n_items)
            return 0;
    for (int i = 0; i < all[0].n_items; i++)
        for (int r = 1; r < size; r++)
            if (all[r].hash[i] != all[0].hash[i])
                return i;
    return -1;
}

/* Collective: names item i with rank 0's value and those of (up to three
 * of) the ranks that differ. */
static void describe_difference(int i, const record_t *all, const agree_list_t *items,
                                verdict_t *v)
{
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char mine[AGREE_VALUE_MAX] = "(missing)";
    if (items && i < items->count)
        snprintf(mine, sizeof mine, "%s", items->items[i].value);
    char *values = rank == 0 ? malloc((size_t)size * AGREE_VALUE_MAX) : NULL;
    MPI_Gather(mine, AGREE_VALUE_MAX, MPI_CHAR, values, AGREE_VALUE_MAX, MPI_CHAR, 0,
               MPI_COMM_WORLD);
    if (rank != 0)
        return;
    const char *name = items && i < items->count ? items->items[i].name : "the items to agree on";
    int n = snprintf(v->message, sizeof v->message, "the ranks disagree on %s: '%s' on rank 0 "
                     "(%s)", name, values ? values : "?", all[0].host);
    int listed = 0, more = 0;
    for (int r = 1; r < size; r++) {
        if (all[r].n_items == all[0].n_items && all[r].hash[i] == all[0].hash[i])
            continue;
        if (listed == 3 || !values || n >= (int)sizeof v->message) {
            more++;
            continue;
        }
        n += snprintf(v->message + n, sizeof v->message - (size_t)n, ", '%s' on rank %d (%s)",
                      values + (size_t)r * AGREE_VALUE_MAX, r, all[r].host);
        listed++;
    }
    if (more && n < (int)sizeof v->message)
        snprintf(v->message + n, sizeof v->message - (size_t)n, " and %d more rank%s", more,
                 more == 1 ? "" : "s");
    v->status = EXIT_USAGE;
    free(values);
}

int agree_all(int status, const agree_list_t *items)
{
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    record_t mine;
    fill_record(&mine, status, items);
    record_t *all = rank == 0 ? malloc((size_t)size * sizeof *all) : NULL;
    verdict_t v = {0};
    int failed_alloc = rank == 0 && !all;
    watchdog_enter("the ranks' agreement", -1, 0);
    MPI_Bcast(&failed_alloc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (failed_alloc) {
        watchdog_leave();
        return error_set("rank 0: out of memory for the start-up agreement"), 1;
    }
    MPI_Gather(&mine, (int)sizeof mine, MPI_BYTE, all, (int)sizeof mine, MPI_BYTE, 0,
               MPI_COMM_WORLD);
    int differ = -1;
    if (rank == 0 && !first_failure(all, size, &v))
        differ = first_difference(all, size);
    MPI_Bcast(&differ, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (differ >= 0)
        describe_difference(differ, all, items, &v);
    MPI_Bcast(&v, (int)sizeof v, MPI_BYTE, 0, MPI_COMM_WORLD);
    watchdog_leave();
    free(all);
    if (v.status)
        error_set("%s", v.message);
    return v.status;
}
