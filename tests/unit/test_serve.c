/* serve: the JSON writer (escaping, invalid UTF-8, non-finite numbers),
 * the catalog's names (models made unique, runs only of safe names inside
 * their roots, never through a symbolic link) and serve_handle's routing
 * and argument checks, without a socket; a PNG held in memory is answered
 * exactly as the same picture read from a file. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnmpi/error.h"
#include "nnmpi/image.h"
#include "nnmpi/json.h"
#include "nnmpi/query.h"
#include "nnmpi/serve.h"
#include "testutil.h"

static char *dir;

/* What writer(out) writes, in a static buffer. */
static const char *written(void (*writer)(FILE *out, const void *arg), const void *arg)
{
    static char buf[4096];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    writer(f, arg);
    fclose(f);
    return buf;
}
static void write_string(FILE *out, const void *s) { json_string(out, s); }
static void write_number(FILE *out, const void *v) { json_number(out, *(const double *)v); }

static void test_json_string(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "\"plain\""},
        {"a\"b\\c", "\"a\\\"b\\\\c\""},
        {"\n\t\x01\x7f", "\"\\u000a\\u0009\\u0001\\u007f\""},
        {"<script>&", "\"\\u003cscript\\u003e\\u0026\""},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
        /* a lone continuation byte, a cut sequence, an overlong '/', a
         * surrogate, a code point past U+10FFFF */
        {"\x80", "\"\\ufffd\""},
        {"\xe2\x82", "\"\\ufffd\\ufffd\""},
        {"\xc0\xaf", "\"\\ufffd\\ufffd\""},
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CU_ASSERT_STRING_EQUAL(written(write_string, cases[i].in), cases[i].out);
}

static void test_json_number(void)
{
    double v[] = {0.25, -3, NAN, INFINITY, 1e300};
    const char *want[] = {"0.25", "-3", "null", "null", "1e+300"};
    for (int i = 0; i < 5; i++)
        CU_ASSERT_STRING_EQUAL(written(write_number, &v[i]), want[i]);
}

/* ------------------------------------------------------------ catalog */

static void add_model(serve_catalog_t *cat, const char *path, uint64_t seed)
{
    net_t net;
    CU_ASSERT_EQUAL_FATAL(net_init(&net, IMAGE_PIXELS, 16, 10), 0);
    rng_t rng;
    rng_seed(&rng, seed, 0);
    net_init_weights(&net, &rng);
    CU_ASSERT_EQUAL_FATAL(serve_catalog_add_model(cat, path, &net), 0);
    CU_ASSERT_PTR_NULL(net.params);   /* taken over */
}

static void test_model_names(void)
{
    serve_catalog_t cat = {0};
    add_model(&cat, "runs/fast/model.h5", 1);
    add_model(&cat, "other/fast/model.h5", 2);
    add_model(&cat, "ckpt-e000001.h5", 3);
    add_model(&cat, "we ird/<b>.h5", 4);
    add_model(&cat, "model.h5", 5);
    CU_ASSERT_STRING_EQUAL(cat.models[0].name, "fast");
    CU_ASSERT_STRING_EQUAL(cat.models[1].name, "fast-2");
    CU_ASSERT_STRING_EQUAL(cat.models[2].name, "ckpt-e000001");
    CU_ASSERT_STRING_EQUAL(cat.models[3].name, "_b_");
    CU_ASSERT_STRING_EQUAL(cat.models[4].name, "model");
    CU_ASSERT_PTR_EQUAL(serve_catalog_model(&cat, "fast-2"), &cat.models[1]);
    CU_ASSERT_PTR_NULL(serve_catalog_model(&cat, "../fast"));
    serve_catalog_free(&cat);
}

static void test_runs(void)
{
    char root[4096], outside[4096];
    snprintf(root, sizeof root, "%s/runs", dir);
    snprintf(outside, sizeof outside, "%s/outside", dir);
    const char *dirs[] = {"runs", "runs/b", "runs/a", "runs/.hidden", "runs/sp ace", "runs/empty",
                          "outside"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        CU_ASSERT_EQUAL_FATAL(mkdir(testutil_path(dir, dirs[i]), 0755), 0);
    const char *files[] = {"runs/b/config.ini", "runs/a/metrics.csv", "runs/.hidden/config.ini",
                           "runs/sp ace/config.ini", "outside/config.ini"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        CU_ASSERT_EQUAL_FATAL(testutil_write_text(testutil_path(dir, files[i]), "x\n"), 0);
    CU_ASSERT_EQUAL_FATAL(symlink(outside, testutil_path(dir, "runs/link")), 0);

    serve_catalog_t cat = {0};
    CU_ASSERT_EQUAL_FATAL(strlist_add(&cat.run_roots, root), 0);
    CU_ASSERT_EQUAL_FATAL(strlist_add(&cat.run_roots, outside), 0);   /* a run itself */
    serve_run_t *runs;
    int n;
    CU_ASSERT_EQUAL_FATAL(serve_catalog_runs(&cat, &runs, &n), 0);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_STRING_EQUAL(runs[0].name, "a");
    CU_ASSERT_STRING_EQUAL(runs[1].name, "b");
    CU_ASSERT_STRING_EQUAL(runs[2].name, "outside");
    /* a metrics.csv that is a link is refused, one that is absent is empty */
    metrics_t m;
    CU_ASSERT_EQUAL(serve_run_metrics(&runs[1], &m), 0);
    CU_ASSERT_EQUAL(m.count, 0);
    /* (linked to a file of the test's own, never to a system file, which a
     * later write through the link would overwrite) */
    CU_ASSERT_FATAL(testutil_write_file(testutil_path(dir, "secret.csv"), "x\n", 2) == 0);
    CU_ASSERT_EQUAL(symlink(testutil_path(dir, "secret.csv"),
                            testutil_path(dir, "runs/b/metrics.csv")), 0);
    CU_ASSERT_EQUAL(serve_run_metrics(&runs[1], &m), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "symbolic link"));
    serve_runs_free(runs, n);
    serve_catalog_free(&cat);
}

/* ------------------------------------------------------------- handle */

static serve_catalog_t cat;

/* serve_handle of method path?args body; the response's status, its body
 * in *body (static, NUL-terminated, cut at 64 KiB). */
static int handle(const char *method, const char *path, const char *const *args,
                  const void *data, size_t size, const char **body)
{
    static char text[65536];
    serve_request_t req = {.method = method, .path = path, .body = data, .body_size = size};
    for (; args && args[0]; args += 2)
        req.args[req.n_args++] = (serve_arg_t){args[0], args[1]};
    serve_response_t res;
    serve_handle(&cat, &req, &res);
    size_t n = res.size < sizeof text - 1 ? res.size : sizeof text - 1;
    memcpy(text, res.body, n);
    text[n] = '\0';
    *body = text;
    int status = res.status;
    serve_response_free(&res);
    return status;
}

static void test_routes(void)
{
    static const struct {
        const char *method, *path;
        int status;
        const char *says;   /* a fragment of the body */
    } cases[] = {
        {"GET", "/", 200, "<canvas id=\"pad\""},
        {"GET", "/app.js", 200, "/api/query"},
        {"HEAD", "/style.css", 200, "#pad"},
        {"GET", "/../app.js", 404, "no such page"},
        {"GET", "/api/models", 200,
         "{\"models\":[{\"name\":\"fast\",\"inputs\":784,\"hidden\":16,\"outputs\":10}]}"},
        {"POST", "/api/models", 405, "method not allowed"},
        {"GET", "/api/query", 405, "method not allowed"},
        {"GET", "/api/nothing", 404, "no such API endpoint"},
        {"GET", "/api/runs/a/b/metrics", 404, "no such API endpoint"},
        {"GET", "/api/runs//metrics", 404, "no such API endpoint"},
        {"GET", "/api/runs/nope/metrics", 404, "no run named 'nope'"},
        {"GET", "/api/runs", 200, "{\"runs\":[]}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *b;
        CU_ASSERT_EQUAL(handle(cases[i].method, cases[i].path, NULL, NULL, 0, &b), cases[i].status);
        CU_ASSERT_PTR_NOT_NULL(strstr(b, cases[i].says));
    }
}

static void test_backquery_args(void)
{
    static const struct {
        const char *args[6];   /* key, value, ..., NULL */
        int status;
    } cases[] = {
        {{"digit", "7"}, 200},
        {{"target", "0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5"}, 200},
        {{"model", "../fast", "digit", "1"}, 404},
        {{"digit", "1", "target", "0.5"}, 400},
        {{"digit", "1", "digit", "2"}, 400},
        {{"digits", "1"}, 400},
        {{"digit", "-1"}, 400},
        {{"digit", "99999999999999999999"}, 400},
        {{"target", "0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5"}, 400},
        {{"target", "0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5"}, 400},
        {{"target", "0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,1"}, 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *b;
        CU_ASSERT_EQUAL(handle("GET", "/api/backquery", cases[i].args, NULL, 0, &b), cases[i].status);
        if (cases[i].status == 200)
            CU_ASSERT_PTR_NOT_NULL(strstr(b, "\"side\":28,\"pixels\":["));
    }
}

/* The bytes of file path (malloc'd) and their count. */
static uint8_t *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = malloc(1 << 20);
    *n = f && data ? fread(data, 1, 1 << 20, f) : 0;
    if (f)
        fclose(f);
    return data;
}

static void test_query_as_file(void)
{
    /* a dark "1" on white paper, 60x40 */
    image_t img;
    CU_ASSERT_EQUAL_FATAL(image_alloc(&img, 60, 40), 0);
    for (int y = 0; y < 60; y++)
        for (int x = 0; x < 40; x++)
            img.pixels[y * 40 + x] = y > 8 && y < 52 && x > 17 && x < 23 ? 0 : 255;
    const char *path = testutil_path(dir, "one.png");
    CU_ASSERT_EQUAL_FATAL(image_write_png(path, &img, 1, IMAGE_HIGH_LIGHT), 0);
    image_free(&img);
    size_t n;
    uint8_t *png = read_bytes(path, &n);
    const char *b;
    CU_ASSERT_EQUAL_FATAL(handle("POST", "/api/query", NULL, png, n, &b), 200);

    uint8_t px[IMAGE_PIXELS];
    net_work_t work;
    CU_ASSERT_EQUAL_FATAL(image_load(path, IMAGE_FRAME_MNIST, px), 0);
    CU_ASSERT_EQUAL_FATAL(net_work_init(&work, &cat.models[0].net, 1), 0);
    query_answer_t a = query_ask(&cat.models[0].net, &work, px);
    char want[128];
    snprintf(want, sizeof want, "\"digit\":%d,\"confidence\":%.9g,", a.digit, (double)a.confidence);
    CU_ASSERT_PTR_NOT_NULL(strstr(b, want));
    net_work_free(&work);

    CU_ASSERT_EQUAL(handle("POST", "/api/query", NULL, png, 40, &b), 400);   /* cut */
    CU_ASSERT_PTR_NOT_NULL(strstr(b, "the picture: cannot read PNG"));
    CU_ASSERT_EQUAL(handle("POST", "/api/query", NULL, png, 0, &b), 400);
    CU_ASSERT_PTR_NOT_NULL(strstr(b, "empty"));
    free(png);
}

int main(void)
{
    dir = testutil_tmpdir();
    if (!dir)
        return 2;
    net_t net;   /* the model every serve_handle test asks */
    rng_t rng;
    rng_seed(&rng, 7, 0);
    if (net_init(&net, IMAGE_PIXELS, 16, 10) < 0)
        return 2;
    net_init_weights(&net, &rng);
    if (serve_catalog_add_model(&cat, "runs/fast/model.h5", &net) < 0)
        return 2;
    static const testutil_case_t cases[] = {
        {"json_string: escapes, UTF-8 kept, invalid bytes as U+FFFD", test_json_string},
        {"json_number: non-finite as null", test_json_number},
        {"model names: from paths, unique, safe", test_model_names},
        {"runs: safe names inside the roots, no links", test_runs},
        {"serve_handle: pages, endpoints, 404 and 405", test_routes},
        {"serve_handle: back-query arguments", test_backquery_args},
        {"serve_handle: a PNG in memory answered as from a file", test_query_as_file},
        {NULL, NULL},
    };
    int rc = testutil_run("serve", cases);
    serve_catalog_free(&cat);
    testutil_rmtree(dir);
    free(dir);
    return rc;
}
