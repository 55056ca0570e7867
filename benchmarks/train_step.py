"""Benchmark of one Algorithm 1 iteration of ``mnist-paper``: npgan, its floor, PyTorch.

    python benchmarks/train_step.py [--quick] [--batch 100] [--iters N] [--threads T] [--backend numpy|cupy]

One iteration is what the trainer does per minibatch with k = 1 in Algorithm 1 order:
a discriminator step on 2m rows (m real, m from G) and a generator step on m noise
vectors, batch m = ``--batch`` (default 100, the paper's), momentum SGD with the decaying
learning rate. Real MNIST is used when found ($NPGAN_DATA_DIR or ../shared/data/mnist),
else uniform random pixels of that shape.

Median ms per iteration after warm-up, the timings interleaved in blocks (``--round``)
so that a change in the machine's load hits all of them alike:

* npgan: ``GAN.d_step`` then ``GAN.g_step`` on the library's data stream, optimisers and
  initial output bias, as ``GANModel.step`` runs them (``NpganRun``);
* floor: the 25 matrix products of one iteration (``products(m)`` below, 3.57 GFLOP at
  m = 100), as bare matmuls at exactly those shapes and layouts into preallocated
  outputs, one after the other. No implementation of this algorithm can skip them, so
  npgan / floor is what everything else (activations, dropout, losses, updates, Python)
  costs on top;
* torch floor (when torch is installed): the same 25 products as bare ``torch.matmul``,
  to tell a difference of BLAS libraries from a difference of everything else;
* torch (when installed): the identical model and algorithm in PyTorch (same layers,
  init ranges, dropout, losses, momentum update, learning-rate decay, step order and
  batch), written the way PyTorch is normally used at its best: autograd, ``no_grad``
  for G in the D step, D's parameters frozen in the G step, ``torch._foreach`` updates,
  ``torch.set_num_threads(T)``.

Prints a table; a full run (not ``--quick``) appends a JSON line to
``benchmarks/results/train_step.jsonl``. OpenBLAS settings in the environment
(OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE) change the kernel NumPy uses; they are recorded
with the BLAS library threadpoolctl reports.
"""

import argparse
import os
import statistics
import sys
import time

import numpy
from _common import append_result, find_mnist

from npgan.backend import Random, asarray, backend_name, get_backend, set_backend, to_numpy
from npgan.datasets.batches import ShuffledBatches
from npgan.models.common import data_logit_mean
from npgan.models.gan.training import build_gan, build_optimizers
from npgan.presets import get_preset

M = 100  # the paper's minibatch, the default --batch
NOISE, G_HIDDEN, FEATURES = 100, 1200, 784
D_UNITS, PIECES = 240, 5
D_WIDTH = D_UNITS * PIECES  # 1200 columns of each maxout layer's W


def products(m):
    """The 25 matrix products of one iteration at batch ``m``: (what, rows x inner, inner x cols, layout).

    Layout "nn": a @ b; "tn": a.T @ b (a stored (inner, rows)); "nt": a @ b.T (b stored
    (cols, inner)), as linear_backward forms dW = x^T dy and dx = dy W^T without copies.
    """
    return [
        # D step: G forward (training=False) on m noise vectors
        ("D step: G linear 1 forward", (m, NOISE), (NOISE, G_HIDDEN), "nn"),
        ("D step: G linear 2 forward", (m, G_HIDDEN), (G_HIDDEN, G_HIDDEN), "nn"),
        ("D step: G linear 3 forward", (m, G_HIDDEN), (G_HIDDEN, FEATURES), "nn"),
        # D forward on [real; fake], 2m rows
        ("D step: D maxout 1 forward", (2 * m, FEATURES), (FEATURES, D_WIDTH), "nn"),
        ("D step: D maxout 2 forward", (2 * m, D_UNITS), (D_UNITS, D_WIDTH), "nn"),
        ("D step: D linear 3 forward", (2 * m, D_UNITS), (D_UNITS, 1), "nn"),
        # D backward: weight gradients of every layer, input gradients except the first's
        ("D step: D linear 3 dW = x^T dy", (D_UNITS, 2 * m), (2 * m, 1), "tn"),
        ("D step: D linear 3 dx = dy W^T", (2 * m, 1), (1, D_UNITS), "nt"),
        ("D step: D maxout 2 dW", (D_UNITS, 2 * m), (2 * m, D_WIDTH), "tn"),
        ("D step: D maxout 2 dx", (2 * m, D_WIDTH), (D_WIDTH, D_UNITS), "nt"),
        ("D step: D maxout 1 dW", (FEATURES, 2 * m), (2 * m, D_WIDTH), "tn"),
        # G step: G forward (training) on m noise vectors
        ("G step: G linear 1 forward", (m, NOISE), (NOISE, G_HIDDEN), "nn"),
        ("G step: G linear 2 forward", (m, G_HIDDEN), (G_HIDDEN, G_HIDDEN), "nn"),
        ("G step: G linear 3 forward", (m, G_HIDDEN), (G_HIDDEN, FEATURES), "nn"),
        # D forward on the m fakes
        ("G step: D maxout 1 forward", (m, FEATURES), (FEATURES, D_WIDTH), "nn"),
        ("G step: D maxout 2 forward", (m, D_UNITS), (D_UNITS, D_WIDTH), "nn"),
        ("G step: D linear 3 forward", (m, D_UNITS), (D_UNITS, 1), "nn"),
        # D backward: input gradients only (D's weights do not move in the G step)
        ("G step: D linear 3 dx", (m, 1), (1, D_UNITS), "nt"),
        ("G step: D maxout 2 dx", (m, D_WIDTH), (D_WIDTH, D_UNITS), "nt"),
        ("G step: D maxout 1 dx", (m, D_WIDTH), (D_WIDTH, FEATURES), "nt"),
        # G backward: weight gradients of every layer, input gradients except the first's
        ("G step: G linear 3 dW", (G_HIDDEN, m), (m, FEATURES), "tn"),
        ("G step: G linear 3 dx", (m, FEATURES), (FEATURES, G_HIDDEN), "nt"),
        ("G step: G linear 2 dW", (G_HIDDEN, m), (m, G_HIDDEN), "tn"),
        ("G step: G linear 2 dx", (m, G_HIDDEN), (G_HIDDEN, G_HIDDEN), "nt"),
        ("G step: G linear 1 dW", (NOISE, m), (m, G_HIDDEN), "tn"),
    ]


def product_flops(m):
    return sum(2 * a[0] * a[1] * b[1] for _, a, b, _ in products(m))


# ---- the floor ----------------------------------------------------------------------


class Floor:
    """The 25 products at batch ``m`` with their operands stored as the layers store them."""

    def __init__(self, xp, m, convert=None):
        rng = numpy.random.default_rng(0)
        self.xp, self.calls = xp, []
        convert = convert or xp.asarray
        for _, (r, k), (k2, c), layout in products(m):
            assert k == k2
            a = rng.standard_normal((k, r) if layout == "tn" else (r, k), dtype=numpy.float32)
            b = rng.standard_normal((c, k) if layout == "nt" else (k, c), dtype=numpy.float32)
            a, b = convert(a), convert(b)
            a = a.T if layout == "tn" else a
            b = b.T if layout == "nt" else b
            self.calls.append((a, b, convert(numpy.empty((r, c), dtype=numpy.float32))))

    def __call__(self):
        matmul = self.xp.matmul
        for a, b, out in self.calls:
            matmul(a, b, out=out)

    def each(self, sync, repeat=20):
        """Median seconds of each product alone (for the JSON record)."""
        times = []
        for a, b, out in self.calls:
            samples = []
            for _ in range(repeat):
                start = time.perf_counter()
                self.xp.matmul(a, b, out=out)
                sync()
                samples.append(time.perf_counter() - start)
            times.append(statistics.median(samples))
        return times


# ---- data ----------------------------------------------------------------------------


def load_train():
    """(50,000 x 784 float32 training images in [0, 1], source description)."""
    mnist, source = find_mnist()
    if mnist is not None:
        return mnist.train_x, source
    return numpy.random.default_rng(0).random((50000, FEATURES), dtype=numpy.float32), source


# ---- npgan ----------------------------------------------------------------------------


class NpganRun:
    """npgan's mnist-paper GAN at batch ``m`` in Algorithm 1 order (k = 1), as the trainer runs it.

    The parts are ``GANModel``'s: the real minibatches from ``ShuffledBatches`` (a new
    order every epoch), G's initial output bias ``data_logit_mean`` of the training
    images, ``build_gan`` and ``build_optimizers`` from the preset, everything drawn
    from one ``Random(config.seed)``; ``step`` is ``GANModel.step`` for k = 1. (The
    images come in from the caller, which may hold random pixels instead of MNIST.)
    """

    def __init__(self, x_host, m=M):
        self.config = get_preset("mnist-paper").replace(update="alternating", batch_size=m)
        rng = Random(self.config.seed)
        self.data = ShuffledBatches(asarray(x_host, dtype=self.config.dtype), m, rng)
        self.output_bias = data_logit_mean(self.data.x, self.config.dtype)
        self.gan = build_gan(self.config, rng, self.output_bias)
        self.d_optimizer, self.g_optimizer = build_optimizers(self.config, self.gan)
        self.i = self.data.batches_per_epoch  # the first step starts an epoch

    def step(self):
        if self.i == self.data.batches_per_epoch:
            self.data.new_epoch()
            self.i = 0
        out = self.gan.d_step(self.data.batch(self.i), self.d_optimizer)  # Algorithm 1, lines 3-5 (k = 1)
        out.update(self.gan.g_step(self.config.batch_size, self.g_optimizer))  # lines 7-8
        self.i += 1
        return out


# ---- PyTorch ----------------------------------------------------------------------------


class TorchRun:
    """The same model and Algorithm 1 in PyTorch at batch ``m``, in its ordinary best practice."""

    def __init__(self, x_host, bias_host, device, m=M, seed=0):
        import torch
        import torch.nn.functional as F

        self.torch, self.F, self.device, self.m = torch, F, device, m
        c = self.c = get_preset("mnist-paper")
        torch.manual_seed(seed)

        def linear(n_in, n_out, init_range):
            layer = torch.nn.Linear(n_in, n_out, device=device)
            with torch.no_grad():
                layer.weight.uniform_(-init_range, init_range)
                layer.bias.zero_()
            return layer

        g1, g2, g3 = (linear(NOISE, G_HIDDEN, c.g_init_range), linear(G_HIDDEN, G_HIDDEN, c.g_init_range),
                      linear(G_HIDDEN, FEATURES, c.g_init_range))
        with torch.no_grad():
            g3.bias.copy_(torch.from_numpy(bias_host))
        self.G = torch.nn.Sequential(g1, torch.nn.ReLU(), g2, torch.nn.ReLU(), g3, torch.nn.Sigmoid())
        self.d1 = linear(FEATURES, D_WIDTH, c.d_init_range)
        self.d2 = linear(D_UNITS, D_WIDTH, c.d_init_range)
        self.d3 = linear(D_UNITS, 1, c.d_init_range)
        self.g_params = list(self.G.parameters())
        self.d_params = [p for layer in (self.d1, self.d2, self.d3) for p in layer.parameters()]
        self.g_velocity = [torch.zeros_like(p) for p in self.g_params]
        self.d_velocity = [torch.zeros_like(p) for p in self.d_params]
        self.g_updates = self.d_updates = 0
        self.x = torch.from_numpy(x_host).to(device)
        self.order, self.index = torch.randperm(len(self.x), device=device), 0
        self.ones = torch.ones(m, 1, device=device)
        self.zeros = torch.zeros(m, 1, device=device)

    def _maxout(self, layer, h):
        z = layer(h)  # (N, U*P); unit u owns columns u*P .. u*P + P - 1, as in npgan
        return z.view(len(z), D_UNITS, PIECES).max(dim=-1).values  # gradient to one piece

    def D(self, x):
        F, c = self.F, self.c
        h = F.dropout(x, 1 - c.keep_input, training=True)  # inverted: kept / keep
        h = F.dropout(self._maxout(self.d1, h), 1 - c.keep_hidden, training=True)
        h = F.dropout(self._maxout(self.d2, h), 1 - c.keep_hidden, training=True)
        return self.d3(h)  # logits

    def noise(self):
        s = self.c.noise_scale
        return (self.torch.rand(self.m, NOISE, device=self.device) * (2 * s)) - s

    def _update(self, params, velocity, grads, updates):
        c, torch = self.c, self.torch
        lr = max(c.lr / c.lr_decay**updates, c.lr_min)
        with torch.no_grad():  # v = m v - lr g;  p = p + v
            torch._foreach_mul_(velocity, c.momentum_start)
            torch._foreach_add_(velocity, grads, alpha=-lr)
            torch._foreach_add_(params, velocity)

    def step(self):
        torch, F, m = self.torch, self.F, self.m
        if (self.index + 1) * m > len(self.x):
            self.order, self.index = torch.randperm(len(self.x), device=self.device), 0
        real = self.x[self.order[self.index * m:(self.index + 1) * m]]
        self.index += 1
        # D step: G's forward needs no graph
        with torch.no_grad():
            fake = self.G(self.noise())
        logits = self.D(torch.cat([real, fake]))
        d_loss = 0.5 * (F.binary_cross_entropy_with_logits(logits[:m], self.ones)
                        + F.binary_cross_entropy_with_logits(logits[m:], self.zeros))
        grads = torch.autograd.grad(d_loss, self.d_params)
        self._update(self.d_params, self.d_velocity, grads, self.d_updates)
        self.d_updates += 1
        # G step: through D with D's parameters frozen (no weight gradients for D)
        for p in self.d_params:
            p.requires_grad_(False)
        logits = self.D(self.G(self.noise()))
        g_loss = F.binary_cross_entropy_with_logits(logits, self.ones)
        grads = torch.autograd.grad(g_loss, self.g_params)
        self._update(self.g_params, self.g_velocity, grads, self.g_updates)
        self.g_updates += 1
        for p in self.d_params:
            p.requires_grad_(True)
        return d_loss, g_loss


def _torch_config():
    import torch

    return {"threads": torch.get_num_threads(), "mkldnn": torch.backends.mkldnn.is_available(),
            "mkl": torch.backends.mkl.is_available()}


# ---- driver ----------------------------------------------------------------------------


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [{k: row.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "filepath")}
            for row in threadpool_info() if row.get("user_api") == "blas"]


def blas_limiter(threads):
    """Limit NumPy's BLAS to ``threads`` (threadpoolctl, when installed); ``None`` otherwise."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(threads, user_api="blas")


def timed(fn, sync, n):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return times


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 20 timed iterations, 3 warm-up, nothing appended to results/")
    parser.add_argument("--batch", type=int, default=M, help=f"minibatch m, for npgan and torch alike (default {M})")
    parser.add_argument("--iters", type=int, default=120, help="timed iterations of each (default 120)")
    parser.add_argument("--warmup", type=int, default=10)
    # Blocks, not single iterations: OpenBLAS's and torch's OpenMP worker threads each spin
    # for a while after their last parallel region, so alternating the libraries every
    # iteration makes them fight over the cores (benchmarks/README.md). Blocks still
    # interleave, so a change of load hits every column alike.
    parser.add_argument("--round", type=int, default=20,
                        help="iterations per interleaved block (default 20: npgan x20, floor x20, "
                             "torch floor x20, torch x20, ...)")
    parser.add_argument("--threads", type=int, default=None, help="BLAS/torch threads (default: all cores)")
    parser.add_argument("--backend", choices=("numpy", "cupy"), default=None)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-record", action="store_true", help="do not append to results/")
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error("--batch must be >= 1")
    if args.quick:
        args.iters, args.warmup, args.no_record = 20, 3, True
    return args


def build_runs(args, threads, gpu, sync):
    """``(runs, syncs, source, torch_version)``: what is timed, by name; the sync after each call;
    where the images came from; torch's version (``None`` without torch)."""
    x_host, source = load_train()
    x_host = numpy.array(x_host[:50000], dtype=numpy.float32)  # a writable copy (torch shares it)
    xp = get_backend()
    npgan_run = NpganRun(x_host, args.batch)
    runs = {"npgan": npgan_run.step, "floor": Floor(xp, args.batch)}
    syncs = {"npgan": sync, "floor": sync}
    torch_version = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("torch not installed: no PyTorch column (pip install -e .[bench])", file=sys.stderr)
        else:
            torch_version = torch.__version__
            device = "cuda" if gpu else "cpu"
            if not gpu:
                torch.set_num_threads(threads)
            bias = to_numpy(npgan_run.output_bias)  # G's initial output bias, the same for both
            runs["torch floor"] = Floor(torch, args.batch, lambda a: torch.from_numpy(a).to(device))
            runs["torch"] = TorchRun(x_host, bias, device, args.batch).step
            syncs["torch floor"] = syncs["torch"] = torch.cuda.synchronize if gpu else sync
    return runs, syncs, source, torch_version


def time_runs(runs, syncs, args):
    """Warm-up, then ``args.iters`` timed calls of each run in interleaved blocks of ``args.round``."""
    for name, fn in runs.items():  # warm-up: allocator, caches, BLAS threads
        timed(fn, syncs[name], args.warmup)
    times = {name: [] for name in runs}
    while len(times["npgan"]) < args.iters:
        for name, fn in runs.items():
            times[name] += timed(fn, syncs[name], args.round)
    return times


def main(argv=None):
    args = parse_args(argv)
    if args.backend:
        set_backend(args.backend)
    xp = get_backend()
    gpu = backend_name() == "cupy"
    threads = args.threads or len(os.sched_getaffinity(0))
    limiter = None if gpu else blas_limiter(threads)
    sync = (lambda: xp.cuda.Device().synchronize()) if gpu else (lambda: None)

    runs, syncs, source, torch_version = build_runs(args, threads, gpu, sync)
    blas = blas_info()
    times = time_runs(runs, syncs, args)
    per_product = runs["floor"].each(sync)
    if limiter is not None:
        limiter.restore_original_limits()

    ms = {name: 1000 * statistics.median(t) for name, t in times.items()}
    p10 = {name: 1000 * float(numpy.percentile(t, 10)) for name, t in times.items()}
    flops = product_flops(args.batch)
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                                          "OMP_NUM_THREADS")}
    print(f"Algorithm 1 iteration of mnist-paper (batch {args.batch}, k=1), median of {len(times['npgan'])} "
          f"after {args.warmup} warm-up; {threads} threads; data {source}; backend {backend_name()}")
    print(f"  BLAS: {blas}; env: { {k: v for k, v in env.items() if v is not None} }")
    print(f"  {'':12s} {'ms/iter':>9s}  {'p10-p90':>15s}")
    for name in runs:
        q = numpy.percentile(1000 * numpy.asarray(times[name]), [10, 90])
        print(f"  {name:12s} {ms[name]:9.2f}  {q[0]:6.2f} - {q[1]:6.2f}")
    print(f"  floor = 25 matrix products, {flops / 1e9:.3f} GFLOP -> {flops / ms['floor'] / 1e6:.0f} GFLOP/s")
    print(f"  npgan / floor = {ms['npgan'] / ms['floor']:.2f}   (of the 10th percentiles, the least "
          f"disturbed iterations: {p10['npgan'] / p10['floor']:.2f})")
    if "torch" in ms:
        print(f"  npgan / torch = {ms['npgan'] / ms['torch']:.2f}   (10th percentiles: "
              f"{p10['npgan'] / p10['torch']:.2f}; torch {torch_version})")
    if not args.no_record:
        record = {
            "benchmark": "train_step", "preset": "mnist-paper", "batch": args.batch,
            "iterations": len(times["npgan"]), "warmup": args.warmup, "threads": threads, "data": source,
            "quick": args.quick, "npgan_ms": ms["npgan"], "floor_ms": ms["floor"], "torch_ms": ms.get("torch"),
            "npgan_over_floor": ms["npgan"] / ms["floor"], "round": args.round,
            "p10_ms": p10,
            "npgan_over_torch": ms["npgan"] / ms["torch"] if "torch" in ms else None,
            "floor_gflop": flops / 1e9, "floor_products_ms": [1000 * t for t in per_product],
            "torch": torch_version, "torch_floor_ms": ms.get("torch floor"), "blas": blas, "env": env,
            "torch_config": _torch_config() if torch_version else None,
        }
        print("  appended to", append_result("train_step", record))
    return ms


if __name__ == "__main__":
    main()
