/* agree: every rank reaches the same verdict before training, or all stop
 * with one message.
 *
 * Ranks may differ without knowing it: another config or data copy on one
 * host, a path missing there, another CPU, another build. Each rank brings
 * its own status and the values that must be the same everywhere; one
 * gather to rank 0 and one broadcast give every rank the same answer, so no
 * rank trains with settings the others lack, and none waits for ever in a
 * collective that a failed rank never reaches. */
#ifndef NNMPI_AGREE_H
#define NNMPI_AGREE_H

#define AGREE_VALUE_MAX 256
#define AGREE_MAX_ITEMS 96

typedef struct {
    char name[64];                 /* e.g. "[train] lr", "data: training rows" */
    char value[AGREE_VALUE_MAX];   /* this rank's, as text */
} agree_item_t;

typedef struct {
    agree_item_t items[AGREE_MAX_ITEMS];
    int count;
} agree_list_t;

/* Adds an item: its name and a printf-style value, cut at AGREE_VALUE_MAX - 1
 * characters. -1 when the list is full. */
int agree_add(agree_list_t *l, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Collective over MPI_COMM_WORLD. status: 0, or the exit status this rank
 * would end with (its reason in error_message()). Returns 0 when every rank
 * brought 0 and the same items; otherwise the same exit status and message
 * (error_message()) on every rank: the lowest failing rank's own status and
 * message as "rank R (HOST): ...", or, when items differ, EXIT_USAGE
 * (exitstatus.h) with "the ranks disagree on NAME: 'V0' on rank 0 (HOST0),
 * 'V' on rank R (HOST)...". items may be NULL. */
int agree_all(int status, const agree_list_t *items);

#endif
