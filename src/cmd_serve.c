/* nnmpi serve: the page where a person draws a digit and the network
 * answers, and where runs are charted as they train (nnmpi/serve.h). */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_common.h"
#include "nnmpi/error.h"
#include "nnmpi/log.h"
#include "nnmpi/serve.h"

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 8080

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnmpi serve [-m MODEL]... [-r RUNS]... [--listen HOST:PORT]\n"
            "\n"
            "A web page, served from this machine: draw a digit with the mouse or a finger\n"
            "and see what the network answers, how sure it is and the 28x28 picture it\n"
            "saw; the back-query pictures of each model; and each run's test accuracy per\n"
            "epoch as a chart that grows while the run trains. The page is built in: no\n"
            "files to install, nothing fetched from the internet.\n"
            "\n"
            "  -m, --models PATH    a model.h5 or checkpoint; a run directory (its\n"
            "                       model.h5); or a folder of them (every NAME/model.h5\n"
            "                       and *.h5 in it). Repeat it for more\n"
            "  -r, --runs DIR       a run directory, or a folder of run directories (runs\n"
            "                       started later appear too). Repeat it for more\n"
            "  -l, --listen HOST:PORT  where to listen (default %s:%d); PORT 0 takes\n"
            "                       a free port. The page has no password: any address\n"
            "                       but 127.x.x.x lets others on the network use it\n"
            "  -h, --help           this text\n"
            "\n"
            "Requests name models and runs only by the names the server lists; no path\n"
            "in a request is opened. Ctrl-C or SIGTERM stops the server.\n"
            "\n"
            "From a laptop, to a server on a cluster's login node:\n"
            "  ssh -L 8080:127.0.0.1:8080 LOGIN-NODE   then open http://localhost:8080/\n"
            "\n"
            "exit status: 0 stopped by a signal, 1 a model could not be read or the\n"
            "address not bound, 2 a bad command line.\n",
            DEFAULT_HOST, DEFAULT_PORT);
}

typedef struct {
    strlist_t models, runs;
    char host[64];
    int port;
} serve_opts_t;

/* "HOST:PORT" (or ":PORT", or "PORT") into o; -1 with a message. */
static int parse_listen(const char *text, serve_opts_t *o)
{
    const char *colon = strrchr(text, ':');
    const char *port = colon ? colon + 1 : text;
    size_t host_len = colon ? (size_t)(colon - text) : 0;
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535 || host_len >= sizeof o->host)
        return error_set("--listen: '%s' is not HOST:PORT (e.g. 127.0.0.1:8080)", text);
    if (host_len) {
        memcpy(o->host, text, host_len);
        o->host[host_len] = '\0';
    }
    o->port = (int)p;
    return 0;
}

/* The options into *o; an exit status if the command is to end now, else -1. */
static int parse_options(int argc, char **argv, serve_opts_t *o)
{
    static const struct option options[] = {
        {"models", required_argument, NULL, 'm'}, {"runs", required_argument, NULL, 'r'},
        {"listen", required_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    snprintf(o->host, sizeof o->host, "%s", DEFAULT_HOST);
    o->port = DEFAULT_PORT;
    int opt;
    cmd_options_t c = cmd_options("serve", argc, argv, "m:r:l:h", options, usage);
    while ((opt = cmd_option(&c))) {
        int rc = 0;
        switch (opt) {
        case 'm': rc = strlist_add(&o->models, optarg); break;
        case 'r': rc = strlist_add(&o->runs, optarg); break;
        case 'l': rc = parse_listen(optarg, o); break;
        }
        if (rc < 0)
            return cmd_usage_error("serve: %s", error_message());
    }
    if (c.finished)
        return c.status;
    if (optind < argc)
        return cmd_usage_error("serve: unexpected operand '%s' (models go after -m, runs "
                               "after -r; see nnmpi serve --help)", argv[optind]);
    if (!o->models.count && !o->runs.count)
        return cmd_usage_error("serve: needs -m MODEL or -r RUNS (see nnmpi serve --help)");
    return -1;
}

/* Every model the operands name, into cat; -1 with the message. */
static int load_models(const strlist_t *operands, serve_catalog_t *cat)
{
    strlist_t paths = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < operands->count; i++)
        rc = serve_model_paths(operands->items[i], &paths);
    for (size_t i = 0; rc == 0 && i < paths.count; i++) {
        net_t net = {0};
        rc = cmd_load_picture_model(paths.items[i], &net);
        if (rc == 0 && (rc = serve_catalog_add_model(cat, paths.items[i], &net)) < 0)
            net_free(&net);
    }
    strlist_free(&paths);
    return rc;
}

/* Serves until SIGINT, SIGTERM or SIGHUP. The signals are blocked before
 * the server's threads start (they inherit the mask) and taken here by
 * sigwait, so no handler runs inside a request. */
static int serve_until_signal(const serve_catalog_t *cat, const serve_opts_t *o)
{
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);   /* a client that hung up is MHD's to notice */
    serve_http_t *http;
    if (serve_http_start(cat, o->host, o->port, &http) < 0)
        return cmd_fail();
    if (strncmp(o->host, "127.", 4))
        log_warn("listening on %s: the page has no password, so anyone who can reach this "
                 "address can use it (the default 127.0.0.1 with ssh -L is safer)", o->host);
    for (int i = 0; i < cat->count; i++)
        printf("model %s: %s (784-%d-%d)\n", cat->models[i].name, cat->models[i].path,
               cat->models[i].net.n_hidden, cat->models[i].net.n_out);
    printf("nnmpi serve: open http://%s:%d/ (Ctrl-C stops)\n",
           strcmp(o->host, "0.0.0.0") ? o->host : "THIS-HOST", serve_http_port(http));
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    printf("nnmpi serve: stopping (%s)\n", sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP");
    serve_http_stop(http);
    return EXIT_OK;
}

int cmd_serve(int argc, char **argv)
{
    serve_opts_t o = {0};
    serve_catalog_t cat = {0};
    int status = parse_options(argc, argv, &o);
    if (status < 0) {
        /* many requests at once: each forward pass on its own thread, with
         * no threads of OpenBLAS's own competing */
        openblas_set_num_threads(1);
        if (load_models(&o.models, &cat) < 0 || strlist_append(&cat.run_roots, &o.runs) < 0)
            status = cmd_fail();
        else
            status = serve_until_signal(&cat, &o);
    }
    serve_catalog_free(&cat);
    strlist_free(&o.models);
    strlist_free(&o.runs);
    return status;
}
