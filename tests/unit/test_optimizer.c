/* Tests of the optimizer's step (optimizer.h) against its formulas, on a
 * small net with biases: heavy-ball momentum over two steps, and LARS's
 * per-layer scaling (biases and zero norms unscaled); the layers it finds
 * and which of them hidden-unit slices cut; parts of the parameters
 * stepped apart, as data-parallel groups share the step out. The sums over ranks are
 * e2e_optimizer's. */
#include <math.h>
#include <string.h>

#include "nnmpi/optimizer.h"
#include "testutil.h"

static net_t small_net(int bias)
{
    net_shape_t shape = {.n_layers = 3, .sizes = {5, 4, 3, 2}, .activation = NET_ACT_RELU,
                         .output = NET_OUT_SOFTMAX, .loss = NET_LOSS_CROSS_ENTROPY, .bias = bias};
    net_t net;
    CU_ASSERT_FATAL(net_init_shape(&net, &shape, 0) == 0);
    for (size_t i = 0; i < net.n_params; i++)
        net.params[i] = 0.05f * (float)((int)(i % 17) - 8);
    return net;
}

static optimizer_t make(const net_t *net, optimizer_kind_t kind, double momentum)
{
    config_t cfg;
    config_defaults(&cfg);
    cfg.optimizer = kind;
    cfg.momentum = momentum;
    cfg.lars_trust = 0.02;
    optimizer_t o;
    CU_ASSERT_FATAL(optimizer_init(&o, &cfg, net, 3) == 0);
    for (size_t i = 0; i < net->n_params; i++)
        o.grad[i] = 0.01f * (float)((int)(i % 11) - 5);
    return o;
}

static void test_layers_in_order(void)
{
    net_t net = small_net(1);
    optimizer_t o = make(&net, OPT_SGD, 0.5);
    CU_ASSERT_EQUAL(o.n_layers, 6); /* w0 b0 w1 b1 w2 b2 */
    size_t next = 0;
    for (int l = 0; l < o.n_layers; l++) {
        CU_ASSERT_EQUAL(o.layers[l].first, next);
        next += o.layers[l].count;
        CU_ASSERT_EQUAL(o.layers[l].is_bias, l % 2);
        CU_ASSERT_EQUAL(o.layers[l].sliced, l <= 2); /* w0, b0 and w1's columns */
    }
    CU_ASSERT_EQUAL(next, net.n_params);
    CU_ASSERT_EQUAL(o.layers[1].count, 4);
    optimizer_free(&o);
    net_free(&net);
}

static void test_momentum_two_steps(void)
{
    net_t net = small_net(0);
    optimizer_t o = make(&net, OPT_SGD, 0.5);
    float w0[64], g[64];
    memcpy(w0, net.params, net.n_params * sizeof(float));
    memcpy(g, o.grad, net.n_params * sizeof(float));
    double sums[2 * OPT_MAX_LAYERS] = {0};
    optimizer_step(&o, &net, sums, 0.1f);
    optimizer_step(&o, &net, sums, 0.2f);
    for (size_t i = 0; i < net.n_params; i++) {
        float v1 = g[i], v2 = 0.5f * v1 + g[i];
        CU_ASSERT_DOUBLE_EQUAL(o.velocity.params[i], v2, 1e-7);
        CU_ASSERT_DOUBLE_EQUAL(net.params[i], w0[i] + 0.1f * v1 + 0.2f * v2, 1e-6);
    }
    optimizer_free(&o);
    net_free(&net);
}

static void test_lars_scales_each_layer(void)
{
    net_t net = small_net(1);
    optimizer_t o = make(&net, OPT_LARS, 0.0);
    float w0[128];
    memcpy(w0, net.params, net.n_params * sizeof(float));
    double sums[2 * OPT_MAX_LAYERS];
    optimizer_layer_sums(&o, &net, sums);
    sums[2 * 4 + 1] = 0.0; /* as if w2's gradient were 0: unscaled */
    optimizer_step(&o, &net, sums, 1.0f);
    for (int l = 0; l < o.n_layers; l++) {
        const opt_layer_t *L = &o.layers[l];
        double w2 = 0, g2 = 0;
        for (size_t i = L->first; i < L->first + L->count; i++) {
            w2 += (double)w0[i] * w0[i];
            g2 += (double)o.grad[i] * o.grad[i];
        }
        if (l != 4)
            CU_ASSERT_DOUBLE_EQUAL(sums[2 * l + 1], g2, 1e-12);
        double trust = L->is_bias || l == 4 ? 1.0 : 0.02 * sqrt(w2 / g2);
        for (size_t i = L->first; i < L->first + L->count; i++)
            CU_ASSERT_DOUBLE_EQUAL(net.params[i], w0[i] + trust * o.grad[i], 1e-6);
    }
    optimizer_free(&o);
    net_free(&net);
}

/* Two parts stepped apart (sums added over them, as the groups do) give
 * the whole step; each leaves the other's floats alone. */
static void test_parts_make_the_whole_step(void)
{
    net_t whole = small_net(1), a = small_net(1), b = small_net(1);
    optimizer_t ow = make(&whole, OPT_LARS, 0.9), oa = make(&a, OPT_LARS, 0.9),
                ob = make(&b, OPT_LARS, 0.9);
    const size_t cut = 22; /* inside w1 */
    optimizer_set_part(&oa, 0, cut);
    optimizer_set_part(&ob, cut, whole.n_params);
    double sw[2 * OPT_MAX_LAYERS], sa[2 * OPT_MAX_LAYERS], sb[2 * OPT_MAX_LAYERS];
    optimizer_layer_sums(&ow, &whole, sw);
    optimizer_layer_sums(&oa, &a, sa);
    optimizer_layer_sums(&ob, &b, sb);
    for (int i = 0; i < 2 * ow.n_layers; i++) {
        CU_ASSERT_DOUBLE_EQUAL(sa[i] + sb[i], sw[i], 1e-12);
        sa[i] = sb[i] = sa[i] + sb[i];
    }
    optimizer_step(&ow, &whole, sw, 0.5f);
    optimizer_step(&oa, &a, sa, 0.5f);
    optimizer_step(&ob, &b, sb, 0.5f);
    net_t fresh = small_net(1);
    for (size_t i = 0; i < whole.n_params; i++) {
        const net_t *mine = i < cut ? &a : &b, *other = i < cut ? &b : &a;
        CU_ASSERT_DOUBLE_EQUAL(mine->params[i], whole.params[i], 1e-6);
        CU_ASSERT_EQUAL(other->params[i], fresh.params[i]);
    }
    net_free(&fresh);
    optimizer_free(&ow);
    optimizer_free(&oa);
    optimizer_free(&ob);
    net_free(&whole);
    net_free(&a);
    net_free(&b);
}

static void test_wanted_in_sync_mode_only(void)
{
    config_t cfg;
    config_defaults(&cfg);
    CU_ASSERT_FALSE(optimizer_wanted(&cfg)); /* sgd, no momentum: the book's in-place step */
    cfg.momentum = 0.9;
    CU_ASSERT_TRUE(optimizer_wanted(&cfg));
    cfg.momentum = 0;
    cfg.optimizer = OPT_LARS;
    CU_ASSERT_TRUE(optimizer_wanted(&cfg));
    cfg.mode = TRAIN_MODE_LOCAL;
    CU_ASSERT_FALSE(optimizer_wanted(&cfg));
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"the layers, in order, and the sliced ones", test_layers_in_order},
        {"momentum over two steps", test_momentum_two_steps},
        {"LARS scales each weight layer, not biases nor a zero gradient", test_lars_scales_each_layer},
        {"parts stepped apart make the whole step", test_parts_make_the_whole_step},
        {"wanted in sync mode, off for the book's step", test_wanted_in_sync_mode_only},
        {NULL, NULL},
    };
    return testutil_run("optimizer", cases);
}
