/* model_npz: a network as a NumPy .npz archive, and the book's own weights
 * brought back in.
 *
 * Written: one float32 array per weight matrix and bias vector in the
 * book's orientation ([outputs, inputs]), named as the book names them,
 * wih [H, 784] and who [10, H] for its net, w1, b1, w2, ... for others
 * (net_arrays' list), and "meta.json": {"format": "nnmpi-npz",
 * "format_version": 1, "layers": [...], "activation", "output", "loss",
 * "bias", "arrays": [...], "input_scaling": ..., "classes": [...]}.
 * numpy.load(FILE)["meta.json"] gives its bytes.
 *
 * Read: the book's layout, wih [H, I] and who [O, H], float32 or float64
 * (numpy.savez(file, wih=n.wih, who=n.who) of the book's class writes
 * float64), as the book's sigmoid net without biases. */
#ifndef NNMPI_MODEL_NPZ_H
#define NNMPI_MODEL_NPZ_H

#include "nnmpi/net.h"

#define MODEL_NPZ_FORMAT "nnmpi-npz"
#define MODEL_NPZ_VERSION 1

/* Writes net to path (atomically); 0 or -1 naming the file. */
int model_npz_write(const char *path, const net_t *net);

/* Reads the book's wih and who from path into net (allocated; net_free
 * it); 0, or -1 with one line naming the fault: no such array, a shape
 * that does not fit, another dtype, a damaged archive, a value that is
 * not finite. */
int model_npz_read_book(const char *path, net_t *net);

#endif
