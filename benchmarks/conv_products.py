"""The matrix products alone of one npgan DCGAN iteration: how much of its time BLAS takes.

    python benchmarks/conv_products.py [--batch 128] [--rounds 7]

npgan's convolutions are matrix products between an unfolding and a folding
(``npgan/nn/kernels.py``), so an iteration can go no faster than its products. This
script builds ``mnist-dcgan``'s networks, lists every product one iteration makes, and
times each on random float32 matrices of its shape and layout, on one thread, by the
process's CPU time (the median of ``--rounds``). Per layer with a weight matrix, a
forward pass makes one product ``rows (M, K) @ W (K, N)``; a backward pass makes
``rows^T dY`` for the weight's gradient and ``dY W^T`` for the input's, each of the same
M K N multiply-adds. One iteration (``DCGAN.d_step`` then ``GAN.g_step``) makes:

* D step: G forward; D forward and backward on the real minibatch, then on the generated
  one, each backward with every weight gradient and the input gradient of every layer
  but the first (D's input needs none);
* G step: G forward; D forward; D backward for the input gradients alone; G backward
  with every weight gradient and the input gradient of every layer but the first.

Prints each product's shape, count and milliseconds, and their sum per iteration; set
that beside ``benchmarks/conv.py``'s iteration and per-part table.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads its BLAS

import numpy as np

from npgan.backend import Random
from npgan.models.dcgan import model as dcgan
from npgan.nn import conv
from npgan.nn.image_layers import Conv2d, ConvTranspose2d
from npgan.nn.layers import Linear
from npgan.presets import get_preset


def product_shapes(net, rows, side):
    """(name, M, K, N) of each weighted layer's forward product, for ``rows`` inputs; ``side``
    tracks the image side through the layers. Conv2d: unfolded patches (M = rows*OH*OW,
    K = k*k*Cin) times W (K, Cout). ConvTranspose2d: input pixels (M = rows*H*W, Cin) times
    W (Cin, k*k*Cout), folded after. Linear: (rows, in) times (in, out)."""
    shapes = []
    for layer in net.layers:
        if isinstance(layer, ConvTranspose2d):  # first: it is a Conv2d too
            shapes.append((repr(layer), rows * side * side, layer.in_channels, layer.kernel ** 2 * layer.out_channels))
            side = conv.transposed_size(side, layer.kernel, layer.stride, layer.padding)
        elif isinstance(layer, Conv2d):
            side = conv.output_size(side, layer.kernel, layer.stride, layer.padding)
            shapes.append((repr(layer), rows * side * side, layer.kernel ** 2 * layer.in_channels, layer.out_channels))
        elif isinstance(layer, Linear):
            n_in, n_out = layer.params["W"].shape
            shapes.append((repr(layer), rows, n_in, n_out))
    return shapes


def iteration_products(gan, m):
    """{(name, kind, M, K, N): count} for one iteration, as the module docstring counts them."""
    counts = {}

    def add(shapes, kinds, first_dx=True):
        for i, (name, mm, k, n) in enumerate(shapes):
            for kind in kinds:
                if kind == "dx" and i == 0 and not first_dx:
                    continue
                counts[(name, kind, mm, k, n)] = counts.get((name, kind, mm, k, n), 0) + 1

    g = product_shapes(gan.G, m, 1)  # G starts from a 1 x 1 "image" of noise
    d = product_shapes(gan.D, m, 28)
    add(g, ["forward"])  # D step: G(z)
    for _ in range(2):  # D on the real minibatch, then on G(z)
        add(d, ["forward", "dW", "dx"], first_dx=False)
    add(g, ["forward"])  # G step
    add(d, ["forward", "dx"])
    add(g, ["dW", "dx"], first_dx=False)
    return counts


def cpu_ms(f, rounds):
    times = []
    for _ in range(rounds):
        start = time.process_time()
        f()
        times.append(time.process_time() - start)
    return 1e3 * statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    gan = dcgan.build_dcgan(get_preset("mnist-dcgan"), Random(0))
    rng = np.random.default_rng(0)
    total, listed = 0.0, iteration_products(gan, args.batch)
    print(f"{'layer':52s} {'product':8s} {'M x K x N':>22s} {'count':>5s} {'ms each':>8s} {'GFLOP/s':>8s}")
    for (name, kind, m, k, n), count in listed.items():
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        c = rng.standard_normal((m, n), dtype=np.float32)
        f = {"forward": lambda: a @ b, "dW": lambda: a.T @ c, "dx": lambda: c @ b.T}[kind]
        ms = cpu_ms(f, args.rounds)
        total += count * ms
        print(f"{name[:52]:52s} {kind:8s} {f'{m} x {k} x {n}':>22s} {count:5d} {ms:8.2f} "
              f"{2 * m * k * n / ms / 1e6:8.1f}")
    print(f"the {sum(listed.values())} matrix products of one DCGAN iteration (batch {args.batch}, one thread): "
          f"{total:.1f} ms of CPU")


if __name__ == "__main__":
    main()
