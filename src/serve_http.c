/* serve_http: nnmpi/serve.h's API behind libmicrohttpd. MHD owns the
 * sockets and a pool of threads; each request's body is gathered here up
 * to SERVE_MAX_BODY (more: 413) and handed to serve_handle, which never
 * blocks on anything but the CPU. */
#define _POSIX_C_SOURCE 200809L
#include "nnmpi/serve.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "nnmpi/error.h"

#define CONNECTION_LIMIT 512      /* open connections at once; more wait in the backlog */
#define LISTEN_BACKLOG 512
#define IDLE_TIMEOUT_S 30         /* a client that stops sending is dropped */
#define MAX_THREADS 8

struct serve_http {
    struct MHD_Daemon *daemon;
    const serve_catalog_t *cat;
    int any_host;                 /* listening beyond loopback: any Host header */
};

/* One request in progress: its body so far. */
typedef struct {
    uint8_t *body;                /* [cap] */
    size_t size, cap;
    int too_big;
} upload_t;

/* Appends n bytes to u's body, or marks it too big (what arrives after
 * is dropped, and the request is answered 413 once it has all come). */
static void upload_add(upload_t *u, const char *data, size_t n)
{
    if (u->too_big || n > SERVE_MAX_BODY - u->size) {
        u->too_big = 1;
        return;
    }
    if (u->size + n > u->cap) {
        size_t cap = u->cap ? u->cap : 64 * 1024;
        while (cap < u->size + n)
            cap *= 2;
        uint8_t *grown = realloc(u->body, cap);
        if (!grown) {
            u->too_big = 1;   /* the nearest truthful answer: we cannot take it */
            return;
        }
        u->body = grown;
        u->cap = cap;
    }
    memcpy(u->body + u->size, data, n);
    u->size += n;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    serve_request_t *req = cls;
    if (req->n_args == SERVE_MAX_ARGS) {
        req->too_many_args = 1;
        return MHD_NO;
    }
    req->args[req->n_args++] = (serve_arg_t){key, value ? value : ""};
    return MHD_YES;
}

/* Queues res on c with the headers every answer carries; frees res. */
static enum MHD_Result send_response(struct MHD_Connection *c, serve_response_t *res)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        res->size, res->body, res->is_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
    if (!r) {
        serve_response_free(res);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    /* the page's own files only: no inline script, nothing from elsewhere */
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data: blob:; "
                            "frame-ancestors 'none'");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)res->status, r);
    MHD_destroy_response(r);
    serve_response_free(res);
    return ok;
}

static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *message)
{
    serve_response_t res;
    serve_error(&res, status, message);
    return send_response(c, &res);
}

/* Whether the Host header names this machine's loopback. A web page from
 * elsewhere can make a browser send requests here under its own host name
 * (DNS rebinding); refusing other names keeps such pages out when the
 * server listens on loopback only. No Host (HTTP/1.0 tools): allowed. */
static int host_allowed(const struct serve_http *h, struct MHD_Connection *c)
{
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (h->any_host || !host)
        return 1;
    size_t n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":");
    static const char *const local[] = {"localhost", "127.0.0.1", "[::1]"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
        if (strlen(local[i]) == n && !strncasecmp(host, local[i], n))
            return 1;
    return 0;
}

/* Too large by its Content-Length: refused before any byte is read. */
static int declared_too_big(struct MHD_Connection *c)
{
    const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_CONTENT_LENGTH);
    return len && strtoull(len, NULL, 10) > SERVE_MAX_BODY;
}

/* MHD calls this first with the headers, then once per piece of body,
 * then once more with none: the request is answered then. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **state)
{
    struct serve_http *h = cls;
    upload_t *u = *state;
    if (!u) {
        if (!(u = calloc(1, sizeof *u)))
            return MHD_NO;
        *state = u;
        if (!host_allowed(h, c))
            return send_error(c, 403, "this server answers requests for localhost only");
        if (declared_too_big(c))
            return send_error(c, 413, "the request body is over 4 MiB");
        return MHD_YES;
    }
    if (*upload_data_size) {
        upload_add(u, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (u->too_big)
        return send_error(c, 413, "the request body is over 4 MiB");
    serve_request_t req = {.method = method, .path = url, .body = u->body,
                           .body_size = u->size};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &req);
    serve_response_t res;
    serve_handle(h->cat, &req, &res);
    return send_response(c, &res);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode why)
{
    upload_t *u = *state;
    if (u) {
        free(u->body);
        free(u);
        *state = NULL;
    }
}

/* MHD's own messages (a failed accept...) are not ours to print. */
static void quiet(void *cls, const char *fmt, va_list ap) {}

int serve_http_start(const serve_catalog_t *cat, const char *host, int port, serve_http_t **out)
{
    *out = NULL;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (port < 0 || port > 65535 || inet_pton(AF_INET, host, &addr.sin_addr) != 1)
        return error_set("'%s:%d' is not an IPv4 address and port", host, port);
    struct serve_http *h = calloc(1, sizeof *h);
    if (!h)
        return error_set("out of memory");
    h->cat = cat;
    h->any_host = ntohl(addr.sin_addr.s_addr) >> 24 != 127;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = cpus < 2 ? 2 : cpus > MAX_THREADS ? MAX_THREADS : (unsigned)cpus;
    net_input_table(); /* its lazy first fill must not race between threads */
    h->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT, MHD_OPTION_LISTEN_BACKLOG_SIZE,
        (unsigned)LISTEN_BACKLOG, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_EXTERNAL_LOGGER, quiet,
        NULL, MHD_OPTION_END);
    if (!h->daemon) {
        free(h);
        return error_set("cannot listen on %s:%d (in use, or not an address of this machine?)",
                         host, port);
    }
    *out = h;
    return 0;
}

int serve_http_port(const serve_http_t *h)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : -1;
}

void serve_http_stop(serve_http_t *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
