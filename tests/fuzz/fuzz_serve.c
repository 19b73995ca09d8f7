/* libFuzzer harness: nnmpi serve's request handling (serve_handle in
 * src/serve_api.c and what it calls: the argument checks, back-query
 * targets, run names, PNG bodies through image_read_png_memory and the
 * normalisation, the JSON written back), everything a browser's request
 * reaches once libmicrohttpd has parsed it.
 *
 * Input layout (so mutations reach every part):
 *   byte 0      the method: 'P' POST, 'H' HEAD, 'D' DELETE, any other GET
 *   to '\n'     the path
 *   lines       key=value arguments (up to SERVE_MAX_ARGS + 1), until an
 *               empty line
 *   the rest    the body */
#include "fuzz_common.h"

#include <string.h>
#include <sys/stat.h>

#include "nnmpi/image.h"
#include "nnmpi/serve.h"

static serve_catalog_t cat;

/* One model of random weights and one run directory with a metrics.csv,
 * made once. */
static void setup(void)
{
    net_t net;
    rng_t rng;
    rng_seed(&rng, 1, 0);
    if (net_init(&net, IMAGE_PIXELS, 16, 10) < 0)
        abort();
    net_init_weights(&net, &rng);
    if (serve_catalog_add_model(&cat, "runs/fast/model.h5", &net) < 0)
        abort();
    static const char csv[] = "epoch,train_loss,train_accuracy,test_accuracy,lr,samples_per_s,"
                              "wall_s,ranks\n1,0.1,0.9,0.91,0.1,1000,1,2\n2,0.1,0.9,,0.1,1000,2,2\n";
    const char *path = fuzz_tmpfile((const uint8_t *)csv, sizeof csv - 1);
    char dir[300];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    char run[400];
    snprintf(run, sizeof run, "%s/run", dir);
    mkdir(run, 0700);
    char metrics[450];
    snprintf(metrics, sizeof metrics, "%s/metrics.csv", run);
    if (rename(path, metrics) != 0 || strlist_add(&cat.run_roots, dir) < 0)
        abort();
}

/* The next line of [*p, end) as a NUL-terminated copy in buf; 0 at the end. */
static int next_line(const char **p, const char *end, char *buf, size_t size)
{
    if (*p >= end)
        return 0;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = (size_t)((nl ? nl : end) - *p);
    n = n < size - 1 ? n : size - 1;
    memcpy(buf, *p, n);
    buf[n] = '\0';
    *p = nl ? nl + 1 : end;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char lines[SERVE_MAX_ARGS + 2][2048];
    if (!cat.count)
        setup();
    if (size < 1)
        return 0;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    const char *method = data[0] == 'P' ? "POST" : data[0] == 'H' ? "HEAD" : data[0] == 'D' ? "DELETE" : "GET";
    serve_request_t req = {.method = method, .path = lines[0]};
    if (!next_line(&p, end, lines[0], sizeof lines[0]))
        lines[0][0] = '\0';
    for (int i = 1; i < SERVE_MAX_ARGS + 2 && next_line(&p, end, lines[i], sizeof lines[i]) &&
                    lines[i][0];
         i++) {
        if (req.n_args == SERVE_MAX_ARGS) {
            req.too_many_args = 1;
            break;
        }
        char *eq = strchr(lines[i], '=');
        if (eq)
            *eq = '\0';
        req.args[req.n_args++] = (serve_arg_t){lines[i], eq ? eq + 1 : ""};
    }
    req.body = (const uint8_t *)p;
    req.body_size = (size_t)(end - p);
    serve_response_t res;
    serve_handle(&cat, &req, &res);
    if (res.status < 200 || res.status > 599 || !res.type || (res.size && !res.body))
        abort();
    if (res.status >= 400 && (res.size < 10 || memcmp(res.body, "{\"error\":\"", 10)))
        abort();   /* every refusal is a JSON message */
    serve_response_free(&res);
    return 0;
}
