/* optimizer: LARS and momentum for sync mode (optimizer.h). */
#include "nnmpi/optimizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"

int optimizer_wanted(const config_t *cfg)
{
    return cfg->mode == TRAIN_MODE_SYNC && (cfg->optimizer != OPT_SGD || cfg->momentum > 0);
}

static void add_layer(optimizer_t *o, const net_t *net, const float *start, size_t count,
                      int is_bias, int sliced)
{
    opt_layer_t *l = &o->layers[o->n_layers++];
    l->first = (size_t)(start - net->params);
    l->count = count;
    l->is_bias = is_bias;
    l->sliced = sliced;
}

/* Each weight matrix and bias vector, in the order of net.h's layout. The
 * hidden-unit slices cut w[0], b[0] and w[1]; the rest is replicated. */
static void find_layers(optimizer_t *o, const net_t *net)
{
    const net_shape_t *s = &net->shape;
    o->n_layers = 0;
    for (int l = 0; l < s->n_layers; l++) {
        add_layer(o, net, net->w[l], (size_t)s->sizes[l] * (size_t)s->sizes[l + 1], 0, l <= 1);
        if (net->b[l])
            add_layer(o, net, net->b[l], (size_t)s->sizes[l + 1], 1, l == 0);
    }
}

int optimizer_init(optimizer_t *o, const config_t *cfg, const net_t *net, size_t room)
{
    memset(o, 0, sizeof *o);
    o->kind = cfg->optimizer;
    o->momentum = (float)cfg->momentum;
    o->trust = (float)cfg->lars_trust;
    find_layers(o, net);
    o->grad = calloc(net->n_params + room, sizeof *o->grad);
    if (!o->grad || net_init_shape(&o->velocity, &net->shape, 0) < 0) {
        optimizer_free(o);
        return error_set("out of memory for the optimizer's %zu gradients and momenta",
                         net->n_params);
    }
    memset(o->velocity.params, 0, net->n_params * sizeof(float));
    return 0;
}

void optimizer_free(optimizer_t *o)
{
    free(o->grad);
    net_free(&o->velocity);
    memset(o, 0, sizeof *o);
}

static double sum_squares(const float *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)v[i] * v[i];
    return s;
}

void optimizer_layer_sums(const optimizer_t *o, const net_t *net, double *sums)
{
    for (int l = 0; l < o->n_layers; l++) {
        const opt_layer_t *L = &o->layers[l];
        sums[2 * l] = sum_squares(net->params + L->first, L->count);
        sums[2 * l + 1] = sum_squares(o->grad + L->first, L->count);
    }
}

/* LARS's factor for a layer; 1 for biases, and where either norm is 0
 * (nothing to scale by). */
static float layer_trust(const optimizer_t *o, const opt_layer_t *L, double w2, double g2)
{
    if (o->kind != OPT_LARS || L->is_bias || w2 <= 0.0 || g2 <= 0.0)
        return 1.0f;
    return (float)(o->trust * sqrt(w2 / g2));
}

void optimizer_step(optimizer_t *o, net_t *net, const double *sums, float lr)
{
    const float mu = o->momentum;
    for (int l = 0; l < o->n_layers; l++) {
        const opt_layer_t *L = &o->layers[l];
        const float trust = layer_trust(o, L, sums[2 * l], sums[2 * l + 1]);
        float *w = net->params + L->first, *v = o->velocity.params + L->first;
        const float *g = o->grad + L->first;
        for (size_t i = 0; i < L->count; i++) {
            v[i] = mu * v[i] + trust * g[i];
            w[i] += lr * v[i];
        }
    }
}
