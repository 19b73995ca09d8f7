#!/usr/bin/python3
"""PyTorch reference for nnmpi's deeper nets: an MLP of ReLU hidden layers, a
softmax output, cross-entropy loss and biases, He-initialised, trained with
plain minibatch SGD -- what `nnmpi train` does with

  [net] layers = 784,1000,500,10  activation = relu  output = softmax
        loss = cross_entropy  bias = true  init = he

PyTorch's fastest path for this on a CPU: the forward and backward passes
written out as matrix products on float32 tensors, the weights updated in
place (addmm_), no autograd, no optimizer object. Inputs are scaled as nnmpi
scales them (x/255*0.99 + 0.01); each epoch visits the training images in a
fresh random order; the time counts the training loop only (batch gathering
included, loading and the test set not).

  tests/bench/torch_deep.py --data data/mnist --layers 784,1000,500,10 \\
      --batch 128 --lr 0.1 --threads 2
prints "epoch 1: loss L, train accuracy A, T s,  N samples/s" (and the test
accuracy unless --no-test).
"""
import argparse
import os
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="data/mnist", help="folder with the four MNIST IDX files")
    p.add_argument("--layers", default="784,1000,500,10", help="layer sizes, input first")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1, help="per-sample rate: the update is lr x the batch mean")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit", type=int, default=0, help="train on the first N rows of each epoch's order only")
    p.add_argument("--no-test", action="store_true")
    return p.parse_args()


def use_threads(n):
    """Before importing torch: its OpenMP pool and the system OpenBLAS's own
    pool (which torch.set_num_threads does not reach) both get n."""
    for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[v] = str(n)


def read_idx(path):
    import numpy as np
    with open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(torch, folder, split):
    import numpy as np
    x = read_idx(os.path.join(folder, f"{split}-images-idx3-ubyte"))
    y = read_idx(os.path.join(folder, f"{split}-labels-idx1-ubyte"))
    x = x.reshape(x.shape[0], -1).astype(np.float32) / np.float32(255.0) * np.float32(0.99) + np.float32(0.01)
    return torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.int64))


def he_init(torch, sizes, gen):
    weights, biases = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        weights.append(torch.randn(n_out, n_in, generator=gen) * (2.0 / n_in) ** 0.5)
        biases.append(torch.zeros(n_out))
    return weights, biases


def forward(torch, weights, biases, x):
    """Every layer's output, the input first; the last is the softmax."""
    acts = [x]
    for l, (w, b) in enumerate(zip(weights, biases)):
        z = torch.addmm(b, acts[-1], w.t())
        acts.append(torch.softmax(z, dim=1) if l == len(weights) - 1 else z.clamp_(min=0))
    return acts


def train_step(torch, weights, biases, x, y, lr):
    """One SGD step on the batch; its loss sum and correct count."""
    acts = forward(torch, weights, biases, x)
    p = acts[-1]
    rows = torch.arange(x.shape[0])
    loss = -torch.log(p[rows, y].clamp(min=1e-30)).sum().item()
    correct = (p.argmax(dim=1) == y).sum().item()
    d = p.clone()  # dLoss/dz of softmax + cross-entropy: p - onehot
    d[rows, y] -= 1.0
    step = -lr / x.shape[0]
    for l in range(len(weights) - 1, -1, -1):
        below = d.mm(weights[l]) if l > 0 else None  # with the weights before their update
        weights[l].addmm_(d.t(), acts[l], alpha=step)
        biases[l].add_(d.sum(dim=0), alpha=step)
        if l > 0:
            d = below.mul_(acts[l] > 0)
    return loss, correct


def main():
    args = parse_args()
    use_threads(args.threads)
    import torch
    torch.set_num_threads(args.threads)
    sizes = [int(s) for s in args.layers.split(",")]
    x, y = load(torch, args.data, "train")
    if x.shape[1] != sizes[0]:
        sys.exit(f"torch_deep.py: the images have {x.shape[1]} pixels, --layers starts with {sizes[0]}")
    gen = torch.Generator().manual_seed(args.seed)
    weights, biases = he_init(torch, sizes, gen)
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(x.shape[0], generator=gen)
        if args.limit:
            order = order[:args.limit]
        loss = correct = 0.0
        t0 = time.perf_counter()
        for start in range(0, order.shape[0], args.batch):
            rows = order[start:start + args.batch]
            l, c = train_step(torch, weights, biases, x[rows], y[rows], args.lr)
            loss, correct = loss + l, correct + c
        seconds = time.perf_counter() - t0
        n = order.shape[0]
        line = (f"epoch {epoch}: loss {loss / n:.4f}, train accuracy {correct / n:.4f}, "
                f"{seconds:.2f} s,  {n / seconds:.0f} samples/s")
        if not args.no_test:
            xt, yt = load(torch, args.data, "t10k")
            with torch.no_grad():
                guess = forward(torch, weights, biases, xt)[-1].argmax(dim=1)
            line += f", test accuracy {(guess == yt).float().mean().item():.4f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
