/* model_onnx: a network as an ONNX model, for onnxruntime and every other
 * ONNX runtime.
 *
 * The graph (opset MODEL_ONNX_OPSET of the default domain, IR version
 * MODEL_ONNX_IR): input "image" float [N, inputs], scaled as nnmpi scales
 * pixels (x = pixel/255*0.99 + 0.01), or with raw_input the grey values
 * 0..255 themselves, scaled by a Mul and an Add at the graph's start;
 * per weight layer one Gemm (z = a W^T + b, W in the book's orientation
 * [outputs, inputs] as an initializer named as in the .npz: wih, who for
 * the book's net, w1, b1, ... for others) and its function (Sigmoid, Tanh,
 * Relu; Sigmoid or Softmax at the output); output "scores" float
 * [N, outputs], the class scores nnmpi's forward pass gives. The messages
 * are protoc-c's from proto/onnx_subset.proto. */
#ifndef NNMPI_MODEL_ONNX_H
#define NNMPI_MODEL_ONNX_H

#include "nnmpi/net.h"

#define MODEL_ONNX_OPSET 13  /* Gemm with an optional C, Softmax over the last axis */
#define MODEL_ONNX_IR 7      /* the IR version of opset 13 (ONNX 1.8) */

/* Writes net to path as an ONNX model (atomically); 0 or -1 naming the
 * file. */
int model_onnx_write(const char *path, const net_t *net, int raw_input);

#endif
