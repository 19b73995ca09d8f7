/* model_onnx: the ONNX graph of a net, built from protoc-c's structs and
 * packed by protobuf-c; see model_onnx.h.
 *
 * Every message lives in one graph_t (fixed arrays: a net has at most
 * NET_MAX_LAYERS layers), pointing at the weights in the book's order, so
 * building allocates nothing but the book-order copy and the packed
 * bytes. */
#include "nnmpi/model_onnx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "nnmpi/version.h"
#include "onnx_subset.pb-c.h"

#define MAX_NODES (2 * NET_MAX_LAYERS + 2)  /* Gemm and function per layer; Mul, Add */
#define MAX_TENSORS (NET_MAX_ARRAYS + 2)    /* weights, biases; the input scaling */

typedef struct {
    Onnx__NodeProto node[MAX_NODES];
    Onnx__NodeProto *node_p[MAX_NODES];
    char *io[MAX_NODES][4];                 /* up to 3 inputs, then the output */
    Onnx__AttributeProto attr[MAX_NODES];   /* one at most per node */
    Onnx__AttributeProto *attr_p[MAX_NODES];
    Onnx__TensorProto tensor[MAX_TENSORS];
    Onnx__TensorProto *tensor_p[MAX_TENSORS];
    int64_t dims[MAX_TENSORS][2];
    char names[3 * MAX_NODES + MAX_TENSORS][24];          /* values and nodes, named here */
    int n_node, n_tensor, n_name;
    float scaling[2];                       /* raw input: 0.99/255, 0.01 */
} graph_t;

/* A name (printf-style) that lives as long as the graph. */
__attribute__((format(printf, 2, 3))) static char *graph_name(graph_t *g, const char *fmt, ...)
{
    char *name = g->names[g->n_name++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof g->names[0], fmt, ap);
    va_end(ap);
    return name;
}

/* An initializer of float32 values (the machine is little-endian, as
 * ONNX's raw_data is). */
static void add_tensor(graph_t *g, const char *name, const float *data, int ndim,
                       const uint64_t *shape)
{
    const int t = g->n_tensor++;
    Onnx__TensorProto *p = &g->tensor[t];
    onnx__tensor_proto__init(p);
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        g->dims[t][i] = (int64_t)shape[i];
        count *= (size_t)shape[i];
    }
    p->n_dims = (size_t)ndim;
    p->dims = g->dims[t];
    p->has_data_type = 1;
    p->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    p->name = (char *)name;
    p->has_raw_data = 1;
    p->raw_data.data = (uint8_t *)data;
    p->raw_data.len = count * sizeof(float);
    g->tensor_p[t] = p;
}

/* A node op(in0, in1[, in2]) -> out; in1, in2 may be NULL. Returns it. */
static Onnx__NodeProto *add_node(graph_t *g, const char *op, const char *name, char *in0,
                                 char *in1, char *in2, char *out)
{
    const int k = g->n_node++;
    Onnx__NodeProto *n = &g->node[k];
    onnx__node_proto__init(n);
    char **io = g->io[k];
    io[0] = in0;
    io[1] = in1;
    io[2] = in2;
    io[3] = out;
    n->n_input = in2 ? 3 : in1 ? 2 : 1;
    n->input = io;
    n->n_output = 1;
    n->output = &io[3];
    n->name = (char *)name;
    n->op_type = (char *)op;
    g->node_p[k] = n;
    return n;
}

/* An integer attribute, the node's one. */
static void set_int_attr(graph_t *g, Onnx__NodeProto *n, const char *name, int64_t value)
{
    const int k = (int)(n - g->node);
    Onnx__AttributeProto *a = &g->attr[k];
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a->has_i = 1;
    a->i = value;
    g->attr_p[k] = a;
    n->n_attribute = 1;
    n->attribute = &g->attr_p[k];
}

/* Mul and Add that turn grey values 0..255 into nnmpi's inputs; returns
 * the scaled value's name. */
static char *add_input_scaling(graph_t *g, char *image)
{
    g->scaling[0] = (float)(0.99 / 255.0);
    g->scaling[1] = 0.01f;
    add_tensor(g, "input_scale", &g->scaling[0], 0, NULL);
    add_tensor(g, "input_offset", &g->scaling[1], 0, NULL);
    char *scaled = graph_name(g, "image_scaled"), *x = graph_name(g, "x");
    add_node(g, "Mul", "scale_input", image, "input_scale", NULL, scaled);
    add_node(g, "Add", "offset_input", scaled, "input_offset", NULL, x);
    return x;
}

/* The ONNX operator of a layer's function. */
static const char *layer_op(const net_shape_t *s, int l)
{
    static const char *const hidden[] = {"Sigmoid", "Tanh", "Relu"};
    if (l < s->n_layers)
        return hidden[s->activation];
    return s->output == NET_OUT_SOFTMAX ? "Softmax" : "Sigmoid";
}

/* Initializers and nodes of every layer, from the weights in the book's
 * order: z_l = Gemm(a, W_l, b_l, transB = 1), a_l = f(z_l). */
static void add_layers(graph_t *g, const net_t *net, const float *book, char *x)
{
    const net_shape_t *s = &net->shape;
    net_array_t a[NET_MAX_ARRAYS];
    const int n = net_arrays(s, a);
    for (int i = 0, l = 1; i < n; l++) {
        const net_array_t *w = &a[i++], *b = s->bias ? &a[i++] : NULL;
        uint64_t shape[2] = {w->rows, w->cols};
        char *w_name = graph_name(g, "%s", w->py_name), *b_name = NULL;
        add_tensor(g, w_name, book + w->offset, 2, shape);
        if (b)
            add_tensor(g, b_name = graph_name(g, "%s", b->py_name), book + b->offset, 1, shape);
        char *z = graph_name(g, "z%d", l);
        char *out = l == s->n_layers ? "scores" : graph_name(g, "a%d", l);
        Onnx__NodeProto *gemm = add_node(g, "Gemm", graph_name(g, "layer%d_gemm", l), x, w_name,
                                         b_name, z);
        set_int_attr(g, gemm, "transB", 1);
        const char *op = layer_op(s, l);
        Onnx__NodeProto *f = add_node(g, op, graph_name(g, "layer%d_function", l), z, NULL,
                                      NULL, out);
        if (!strcmp(op, "Softmax"))
            set_int_attr(g, f, "axis", 1);
        x = out;
    }
}

/* The typed tensor [N, width] named name, N left to the caller. */
typedef struct {
    Onnx__ValueInfoProto info;
    Onnx__TypeProto type;
    Onnx__TypeProto__Tensor tensor;
    Onnx__TensorShapeProto shape;
    Onnx__TensorShapeProto__Dimension dim[2];
    Onnx__TensorShapeProto__Dimension *dim_p[2];
} value_t;

static Onnx__ValueInfoProto *make_value(value_t *v, const char *name, int width,
                                        const char *doc)
{
    onnx__value_info_proto__init(&v->info);
    onnx__type_proto__init(&v->type);
    onnx__type_proto__tensor__init(&v->tensor);
    onnx__tensor_shape_proto__init(&v->shape);
    for (int i = 0; i < 2; i++) {
        onnx__tensor_shape_proto__dimension__init(&v->dim[i]);
        v->dim_p[i] = &v->dim[i];
    }
    v->dim[0].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
    v->dim[0].dim_param = "N";
    v->dim[1].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    v->dim[1].dim_value = width;
    v->shape.n_dim = 2;
    v->shape.dim = v->dim_p;
    v->tensor.has_elem_type = 1;
    v->tensor.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    v->tensor.shape = &v->shape;
    v->type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    v->type.tensor_type = &v->tensor;
    v->info.name = (char *)name;
    v->info.type = &v->type;
    v->info.doc_string = (char *)doc;
    return &v->info;
}

/* Everything the packed model points to. */
typedef struct {
    graph_t g;
    value_t input, output;
    Onnx__ValueInfoProto *input_p, *output_p;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opset_p;
    Onnx__ModelProto model;
} model_t;

static void build_model(model_t *m, const net_t *net, const float *book, int raw_input)
{
    const net_shape_t *s = &net->shape;
    char *image = "image";
    add_layers(&m->g, net, book, raw_input ? add_input_scaling(&m->g, image) : image);
    m->input_p = make_value(&m->input, image, s->sizes[0],
                            raw_input ? "grey values 0..255, 0 the background, one row per image"
                                      : "pixel / 255 * 0.99 + 0.01, one row per image");
    m->output_p = make_value(&m->output, "scores", s->sizes[s->n_layers],
                             "the class scores; the largest is the answer");
    onnx__graph_proto__init(&m->graph);
    m->graph.name = "nnmpi";
    m->graph.n_node = (size_t)m->g.n_node;
    m->graph.node = m->g.node_p;
    m->graph.n_initializer = (size_t)m->g.n_tensor;
    m->graph.initializer = m->g.tensor_p;
    m->graph.n_input = 1;
    m->graph.input = &m->input_p;
    m->graph.n_output = 1;
    m->graph.output = &m->output_p;
    onnx__operator_set_id_proto__init(&m->opset);
    m->opset.domain = "";
    m->opset.has_version = 1;
    m->opset.version = MODEL_ONNX_OPSET;
    m->opset_p = &m->opset;
    onnx__model_proto__init(&m->model);
    m->model.has_ir_version = 1;
    m->model.ir_version = MODEL_ONNX_IR;
    m->model.producer_name = "nnmpi";
    m->model.producer_version = NNMPI_VERSION;
    m->model.graph = &m->graph;
    m->model.n_opset_import = 1;
    m->model.opset_import = &m->opset_p;
}

int model_onnx_write(const char *path, const net_t *net, int raw_input)
{
    model_t *m = calloc(1, sizeof *m);
    float *book = malloc(net->n_params * sizeof *book);
    uint8_t *bytes = NULL;
    int rc = 0;
    if (!m || !book) {
        rc = error_set("out of memory for %s", path);
    } else {
        net_to_book_order(net, book);
        build_model(m, net, book, raw_input);
        size_t n = onnx__model_proto__get_packed_size(&m->model);
        bytes = malloc(n ? n : 1);
        rc = bytes ? 0 : error_set("out of memory for %s (%zu bytes)", path, n);
        if (!rc && onnx__model_proto__pack(&m->model, bytes) != n)
            rc = error_set("%s: protobuf-c packed another size than it measured", path);
        rc = rc ? rc : fs_write_bytes(path, bytes, n);
    }
    free(bytes);
    free(book);
    free(m);
    return rc;
}
