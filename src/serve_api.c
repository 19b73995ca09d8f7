/* serve_api: a request to a response, no sockets (nnmpi/serve.h). The
 * endpoints (docs/design.md, "nnmpi serve"):
 *   GET  /, /app.js...          the page's files
 *   GET  /api/models            the models' names and sizes
 *   POST /api/query?model=M     body: a PNG; the answer and what was seen
 *   GET  /api/backquery?model=M&digit=D | &target=t0,...,t9
 *   GET  /api/runs              the runs, their epochs and last accuracy
 *   GET  /api/runs/NAME/metrics the run's metrics.csv as JSON, read anew */
#define _POSIX_C_SOURCE 200809L
#include "nnmpi/serve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/image.h"
#include "nnmpi/json.h"
#include "nnmpi/metrics.h"
#include "nnmpi/query.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define TARGET_TEXT_MAX 1024   /* a target vector's text, at most */

static const char out_of_memory[] = "{\"error\":\"the server is out of memory\"}";

void serve_response_free(serve_response_t *res)
{
    if (!res->is_static)
        free(res->body);
    *res = (serve_response_t){0};
}

static void set_out_of_memory(serve_response_t *res)
{
    *res = (serve_response_t){500, JSON_TYPE, (char *)out_of_memory, sizeof out_of_memory - 1, 1};
}

/* A JSON body under way: written to a memory stream, then handed over. */
typedef struct {
    FILE *out;
    char *text;
    size_t size;
} body_t;

static FILE *body_begin(body_t *b)
{
    *b = (body_t){0};
    b->out = open_memstream(&b->text, &b->size);
    return b->out;
}

/* Ends b as res's body with status; out of memory becomes a 500. */
static void body_end(body_t *b, int status, serve_response_t *res)
{
    int bad = !b->out || ferror(b->out);
    if (b->out && fclose(b->out) != 0)
        bad = 1;
    if (bad) {
        free(b->text);
        set_out_of_memory(res);
        return;
    }
    *res = (serve_response_t){status, JSON_TYPE, b->text, b->size, 0};
}

void serve_error(serve_response_t *res, int status, const char *message)
{
    body_t b;
    if (!body_begin(&b)) {
        set_out_of_memory(res);
        return;
    }
    fputs("{\"error\":", b.out);
    json_string(b.out, message);
    fputs("}", b.out);
    body_end(&b, status, res);
}

/* ------------------------------------------------------------ arguments */

/* The value of argument key, or NULL. */
static const char *arg(const serve_request_t *req, const char *key)
{
    for (int i = 0; i < req->n_args; i++)
        if (!strcmp(req->args[i].key, key))
            return req->args[i].value;
    return NULL;
}

/* 0 if every argument is one of allowed (NULL-terminated) and none is
 * repeated; else a 400 in res and -1. */
static int check_args(const serve_request_t *req, const char *const *allowed,
                      serve_response_t *res)
{
    char msg[256];
    if (req->too_many_args) {
        snprintf(msg, sizeof msg, "more than %d arguments", SERVE_MAX_ARGS);
        serve_error(res, 400, msg);
        return -1;
    }
    for (int i = 0; i < req->n_args; i++) {
        int known = 0;
        for (const char *const *a = allowed; *a; a++)
            known |= !strcmp(*a, req->args[i].key);
        for (int j = 0; j < i; j++)
            known &= !!strcmp(req->args[j].key, req->args[i].key);
        if (!known) {
            snprintf(msg, sizeof msg, "unknown or repeated argument '%.64s'", req->args[i].key);
            serve_error(res, 400, msg);
            return -1;
        }
    }
    return 0;
}

/* The model the request names with model= (the first one without it), or
 * NULL with a 400/404 in res. */
static const serve_model_t *chosen_model(const serve_catalog_t *cat, const serve_request_t *req,
                                         serve_response_t *res)
{
    const char *name = arg(req, "model");
    if (!name) {
        if (cat->count > 0)
            return &cat->models[0];
        serve_error(res, 404, "the server was started without models (--models)");
        return NULL;
    }
    const serve_model_t *m = serve_catalog_model(cat, name);
    if (!m) {
        char msg[160];
        snprintf(msg, sizeof msg, "no model named '%.64s' (GET /api/models lists them)", name);
        serve_error(res, 404, msg);
    }
    return m;
}

/* ------------------------------------------------------------ endpoints */

static void get_models(const serve_catalog_t *cat, serve_response_t *res)
{
    body_t b;
    if (!body_begin(&b))
        return set_out_of_memory(res);
    fputs("{\"models\":[", b.out);
    for (int i = 0; i < cat->count; i++) {
        const serve_model_t *m = &cat->models[i];
        fputs(i ? ",{\"name\":" : "{\"name\":", b.out);
        json_string(b.out, m->name);
        fprintf(b.out, ",\"inputs\":%d,\"hidden\":%d,\"outputs\":%d}", m->net.n_in,
                m->net.n_hidden, m->net.n_out);
    }
    fputs("]}", b.out);
    body_end(&b, 200, res);
}

/* The answer as JSON: digit, confidence, runner-up, the outputs and the
 * 28x28 the network saw (ink: 0 paper, 255 ink; row-major). */
static void write_answer(FILE *out, const serve_model_t *m, const query_answer_t *a,
                         const float *outputs, const uint8_t *seen)
{
    fputs("{\"model\":", out);
    json_string(out, m->name);
    fprintf(out, ",\"digit\":%d,\"confidence\":", a->digit);
    json_number(out, a->confidence);
    fprintf(out, ",\"runner_up\":%d,\"runner_up_confidence\":", a->runner_up);
    json_number(out, a->runner_up_confidence);
    fputs(",\"outputs\":", out);
    json_floats(out, outputs, (size_t)m->net.n_out);
    fprintf(out, ",\"seen\":{\"side\":%d,\"pixels\":", IMAGE_SIDE);
    json_bytes(out, seen, IMAGE_PIXELS);
    fputs("}}", out);
}

/* POST /api/query: the PNG body read, normalised (MNIST frame) and asked,
 * as `nnmpi query` does. A picture it cannot read or find a digit in is
 * a 400 with the reason. */
static void post_query(const serve_catalog_t *cat, const serve_request_t *req,
                       serve_response_t *res)
{
    static const char *const allowed[] = {"model", NULL};
    const serve_model_t *m;
    if (check_args(req, allowed, res) < 0 || !(m = chosen_model(cat, req, res)))
        return;
    image_t img;
    uint8_t seen[IMAGE_PIXELS];   /* [28*28] ink */
    if (image_read_png_memory(req->body, req->body_size, "the picture", &img) < 0 ||
        image_normalise(&img, IMAGE_FRAME_MNIST, seen) < 0) {
        image_free(&img);
        return serve_error(res, 400, error_message());
    }
    image_free(&img);
    net_work_t work;
    if (net_work_init(&work, &m->net, 1) < 0)
        return set_out_of_memory(res);
    query_answer_t a = query_ask(&m->net, &work, seen);
    body_t b;
    if (body_begin(&b)) {
        write_answer(b.out, m, &a, work.o, seen);
        body_end(&b, 200, res);
    } else {
        set_out_of_memory(res);
    }
    net_work_free(&work);
}

/* The target of a back-query from digit=D or target=t0,t1,... into
 * target[n]; -1 with the reason in msg. */
static int parse_target(const serve_request_t *req, int n, float *target, char *msg, size_t size)
{
    const char *digit = arg(req, "digit"), *text = arg(req, "target");
    if (!digit == !text)
        return snprintf(msg, size, "give digit=D or target=t0,...,t%d (one of them)", n - 1), -1;
    if (digit) {
        char *end;
        errno = 0;
        long d = strtol(digit, &end, 10);
        if (errno || end == digit || *end || d < 0 || d >= n)
            return snprintf(msg, size, "digit must be a whole number 0..%d", n - 1), -1;
        for (int k = 0; k < n; k++)
            target[k] = k == d ? NET_TARGET_HIGH : NET_TARGET_LOW;
        return 0;
    }
    if (strlen(text) > TARGET_TEXT_MAX)
        return snprintf(msg, size, "target is too long"), -1;
    const char *p = text;
    for (int k = 0; k < n; k++) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (errno || end == p || !(v > 0 && v < 1) || *end != (k + 1 < n ? ',' : '\0'))
            return snprintf(msg, size, "target must be %d numbers strictly between 0 and 1, "
                                       "separated by commas", n), -1;
        target[k] = (float)v;
        p = end + 1;
    }
    return 0;
}

/* GET /api/backquery: the picture the network "imagines" for a target
 * (0..255, 255 = strongest signal; row-major 28x28). */
static void get_backquery(const serve_catalog_t *cat, const serve_request_t *req,
                          serve_response_t *res)
{
    static const char *const allowed[] = {"model", "digit", "target", NULL};
    const serve_model_t *m;
    if (check_args(req, allowed, res) < 0 || !(m = chosen_model(cat, req, res)))
        return;
    const int n = m->net.n_out;
    if (n > QUERY_MAX_OUTPUTS || m->net.n_in != IMAGE_PIXELS)
        return serve_error(res, 400, "this model's back-query is not a 28x28 picture");
    float target[QUERY_MAX_OUTPUTS], image[IMAGE_PIXELS];   /* image: 0.01..0.99 */
    char msg[160];
    if (parse_target(req, n, target, msg, sizeof msg) < 0)
        return serve_error(res, 400, msg);
    if (net_backquery(&m->net, target, image) < 0)
        return serve_error(res, 400, error_message());
    uint8_t px[IMAGE_PIXELS];
    image_from_floats(image, IMAGE_PIXELS, NET_TARGET_LOW, NET_TARGET_HIGH, px);
    body_t b;
    if (!body_begin(&b))
        return set_out_of_memory(res);
    fputs("{\"model\":", b.out);
    json_string(b.out, m->name);
    fputs(",\"target\":", b.out);
    json_floats(b.out, target, (size_t)n);
    fprintf(b.out, ",\"side\":%d,\"pixels\":", IMAGE_SIDE);
    json_bytes(b.out, px, IMAGE_PIXELS);
    fputs("}", b.out);
    body_end(&b, 200, res);
}

/* The run named name among the runs now, or -1 with a 404 in res. */
static int find_run(const serve_run_t *runs, int count, const char *name, serve_response_t *res)
{
    for (int i = 0; i < count; i++)
        if (!strcmp(runs[i].name, name))
            return i;
    char msg[160];
    snprintf(msg, sizeof msg, "no run named '%.64s' (GET /api/runs lists them)", name);
    serve_error(res, 404, msg);
    return -1;
}

/* One run's summary: {"name", "epochs", "test_accuracy" (the last)} */
static void write_run_summary(FILE *out, const serve_run_t *run)
{
    metrics_t m;
    int ok = serve_run_metrics(run, &m) == 0;
    fputs("{\"name\":", out);
    json_string(out, run->name);
    fprintf(out, ",\"epochs\":%d,\"test_accuracy\":", m.count);
    double last = m.count ? m.rows[m.count - 1].test_accuracy : -1;
    json_number(out, last >= 0 ? last : 0.0 / 0.0);
    fputs(",\"error\":", out);
    if (ok)
        fputs("null", out);
    else
        json_string(out, error_message());
    fputs("}", out);
    metrics_free(&m);
}

/* GET /api/runs and /api/runs/NAME/metrics (name NULL: the list). */
static void get_runs(const serve_catalog_t *cat, const char *name, serve_response_t *res)
{
    serve_run_t *runs;
    int count, i = 0;
    if (serve_catalog_runs(cat, &runs, &count) < 0)
        return serve_error(res, 500, error_message());
    body_t b;
    metrics_t m = {0};
    if (name && (i = find_run(runs, count, name, res)) < 0) {
        /* 404 set */
    } else if (name && serve_run_metrics(&runs[i], &m) < 0) {
        serve_error(res, 500, error_message());
    } else if (!body_begin(&b)) {
        set_out_of_memory(res);
    } else if (name) {
        fputs("{\"name\":", b.out);
        json_string(b.out, runs[i].name);
        fputs(",\"metrics\":", b.out);
        metrics_write_json(b.out, &m);
        fputs("}", b.out);
        body_end(&b, 200, res);
    } else {
        fputs("{\"runs\":[", b.out);
        for (int k = 0; k < count; k++) {
            fputs(k ? "," : "", b.out);
            write_run_summary(b.out, &runs[k]);
        }
        fputs("]}", b.out);
        body_end(&b, 200, res);
    }
    metrics_free(&m);
    serve_runs_free(runs, count);
}

/* -------------------------------------------------------------- routing */

/* The run name in "/api/runs/NAME/metrics" into name; 0, or -1 if path
 * has another form. */
static int run_metrics_path(const char *path, char *name)
{
    static const char prefix[] = "/api/runs/", suffix[] = "/metrics";
    size_t n = strlen(path), p = sizeof prefix - 1, s = sizeof suffix - 1;
    if (n <= p + s || strncmp(path, prefix, p) || strcmp(path + n - s, suffix) ||
        n - p - s >= SERVE_NAME_MAX)
        return -1;
    memcpy(name, path + p, n - p - s);
    name[n - p - s] = '\0';
    return strchr(name, '/') ? -1 : 0;
}

static void get_asset(const serve_request_t *req, serve_response_t *res)
{
    const serve_asset_t *a = serve_asset(!strcmp(req->path, "/") ? "/index.html" : req->path);
    if (!a)
        return serve_error(res, 404, "no such page");
    if (req->n_args || req->too_many_args)
        return serve_error(res, 400, "the page's files take no arguments");
    *res = (serve_response_t){200, a->type, (char *)a->data, a->size, 1};
}

void serve_handle(const serve_catalog_t *cat, const serve_request_t *req, serve_response_t *res)
{
    static const char *const none[] = {NULL};
    const int get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
    const int post = !strcmp(req->method, "POST");
    char name[SERVE_NAME_MAX];
    error_clear();
    if (!strcmp(req->path, "/api/query")) {
        if (post)
            return post_query(cat, req, res);
    } else if (!strcmp(req->path, "/api/models")) {
        if (get && check_args(req, none, res) == 0)
            get_models(cat, res);
        if (get)
            return;
    } else if (!strcmp(req->path, "/api/backquery")) {
        if (get)
            return get_backquery(cat, req, res);
    } else if (!strcmp(req->path, "/api/runs") || run_metrics_path(req->path, name) == 0) {
        int list = !strcmp(req->path, "/api/runs");
        if (get && check_args(req, none, res) == 0)
            get_runs(cat, list ? NULL : name, res);
        if (get)
            return;
    } else if (!strncmp(req->path, "/api/", 5) || !strcmp(req->path, "/api")) {
        return serve_error(res, 404, "no such API endpoint");
    } else if (get) {
        return get_asset(req, res);
    }
    serve_error(res, 405, "method not allowed here");
}
