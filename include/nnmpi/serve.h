/* serve: `nnmpi serve`, a small HTTP server (libmicrohttpd) for a page
 * where a person draws a digit and watches the network answer, and where
 * runs' metrics.csv are charted while they train.
 *
 * Three parts, so that everything a request can reach is testable and
 * fuzzable without a socket:
 *   src/serve_catalog.c  what may be named: the models loaded at start and
 *                        the run directories, each under a name the server
 *                        made; a request names one of those, never a path
 *   src/serve_api.c      a request (method, path, arguments, body) to a
 *                        response (status, type, bytes); JSON bodies
 *   src/serve_http.c     libmicrohttpd: sockets, threads, body limit, the
 *                        page's files compiled in (web/, serve_assets.c)
 * Every request is hostile: bad input gets a 4xx and a JSON
 * {"error": "..."}, never a crash. */
#ifndef NNMPI_SERVE_H
#define NNMPI_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "nnmpi/metrics.h"
#include "nnmpi/net.h"
#include "nnmpi/strlist.h"

#define SERVE_NAME_MAX 64              /* a model's or run's name, NUL included */
#define SERVE_MAX_BODY (4u << 20)      /* request bodies above: 413 */
#define SERVE_MAX_ARGS 8               /* query-string arguments above: 400 */
#define SERVE_MAX_MODELS 256
#define SERVE_MAX_RUNS 1024

/* ------------------------------------------------------------ catalog */

typedef struct {
    char name[SERVE_NAME_MAX];
    char *path;      /* the file it was read from, shown to the user */
    net_t net;       /* read-only once serving: shared by every thread */
} serve_model_t;

typedef struct {
    serve_model_t *models;   /* [count] in the order given */
    int count;
    strlist_t run_roots;     /* --runs operands: run directories or folders of them */
} serve_catalog_t;

/* The model files an operand of --models names, into paths: FILE as is;
 * DIR/model.h5 if there is one, else DIR/NAME/model.h5 and DIR/NAME.h5 for
 * every NAME in DIR (sorted). -1 naming DIR if it holds none. */
int serve_model_paths(const char *operand, strlist_t *paths);

/* Adds the model read from path (net is taken over, zeroed here) under a
 * name made from path: the file's name without .h5, or its folder's name
 * for model.h5; made unique with -2, -3... and kept to [A-Za-z0-9._-]. */
int serve_catalog_add_model(serve_catalog_t *cat, const char *path, net_t *net);

/* The model named name, or NULL. */
const serve_model_t *serve_catalog_model(const serve_catalog_t *cat, const char *name);

/* A run found by serve_catalog_runs. */
typedef struct {
    char name[SERVE_NAME_MAX];
    char *dir;   /* malloc'd */
} serve_run_t;

/* The runs of the roots now (a run that started after the server is
 * found): a root holding metrics.csv or config.ini is a run, named after
 * the root's last component; otherwise its sub-folders holding either
 * are, named after the sub-folder. Hidden names, symbolic links and names
 * outside [A-Za-z0-9._-] are passed over, so no run lies outside a root.
 * *runs is malloc'd (serve_runs_free). */
int serve_catalog_runs(const serve_catalog_t *cat, serve_run_t **runs, int *count);
void serve_runs_free(serve_run_t *runs, int count);

/* The run's metrics.csv, read now (training rewrites it each epoch): m
 * empty if there is none yet; -1 with the message if it is damaged or not
 * a regular file of the run's own (a symbolic link is refused). */
int serve_run_metrics(const serve_run_t *run, metrics_t *m);

void serve_catalog_free(serve_catalog_t *cat);

/* ---------------------------------------------------------------- api */

typedef struct {
    const char *key, *value;   /* decoded */
} serve_arg_t;

typedef struct {
    const char *method;        /* "GET", "POST"... */
    const char *path;          /* decoded, without the query string */
    serve_arg_t args[SERVE_MAX_ARGS];
    int n_args;
    int too_many_args;         /* more than SERVE_MAX_ARGS were sent */
    const uint8_t *body;
    size_t body_size;
} serve_request_t;

typedef struct {
    int status;                /* HTTP status */
    const char *type;          /* Content-Type */
    char *body;                /* malloc'd, or static when is_static */
    size_t size;
    int is_static;
} serve_response_t;

/* Answers req from cat: the page's files and the JSON API (docs/design.md
 * lists the endpoints). Never fails: an out-of-memory ends as a 500 with a
 * static body. serve_response_free the response. */
void serve_handle(const serve_catalog_t *cat, const serve_request_t *req, serve_response_t *res);
void serve_response_free(serve_response_t *res);

/* A 4xx/5xx response {"error": message}. */
void serve_error(serve_response_t *res, int status, const char *message);

/* ------------------------------------------------------------- assets */

/* The page's files (web/), compiled in by CMake (serve_assets.c). */
typedef struct {
    const char *path;          /* "/app.js" */
    const char *type;
    const unsigned char *data;
    size_t size;
} serve_asset_t;

const serve_asset_t *serve_asset(const char *path);

/* --------------------------------------------------------------- http */

typedef struct serve_http serve_http_t;

/* Starts serving cat on host:port (IPv4 dotted, port 0: any free one) with
 * a pool of threads; *out to serve_http_stop. */
int serve_http_start(const serve_catalog_t *cat, const char *host, int port, serve_http_t **out);

/* The port it listens on (the one chosen, for port 0). */
int serve_http_port(const serve_http_t *http);

/* Stops accepting, finishes the requests in progress, frees. */
void serve_http_stop(serve_http_t *http);

#endif
