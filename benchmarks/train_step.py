"""Benchmark of one Algorithm 1 iteration of ``mnist-paper``: npgan, its floor, PyTorch.

    python benchmarks/train_step.py [--quick] [--iters N] [--threads T] [--backend numpy|cupy]

One iteration is what the trainer does per minibatch with k = 1: a discriminator step
on 200 rows (100 real, 100 from G) and a generator step on 100 noise vectors, batch 100,
momentum SGD with the decaying learning rate. Real MNIST is used when found
($NPGAN_DATA_DIR or ../shared/data/mnist), else uniform random pixels of that shape.

Median ms per iteration after warm-up, the timings interleaved iteration by iteration
(``--round``) so that a change in the machine's load hits all of them alike:

* npgan: ``GAN.d_step`` then ``GAN.g_step``, as ``npgan.train`` calls them;
* floor: the 25 matrix products of one iteration (``PRODUCTS`` below, 3.57 GFLOP), as
  bare matmuls at exactly those shapes and layouts into preallocated outputs, one after
  the other. No implementation of this algorithm can skip them, so npgan / floor is
  what everything else (activations, dropout, losses, updates, Python) costs on top;
* torch floor (when torch is installed): the same 25 products as bare ``torch.matmul``,
  to tell a difference of BLAS libraries from a difference of everything else;
* torch (when installed): the identical model and algorithm in PyTorch (same layers,
  init ranges, dropout, losses, momentum update, learning-rate decay and step order),
  written the way PyTorch is normally used at its best: autograd, ``no_grad`` for G in
  the D step, D's parameters frozen in the G step, ``torch._foreach`` updates,
  ``torch.set_num_threads(T)``.

Prints a table and appends a JSON line to ``benchmarks/results/train_step.jsonl``.
OpenBLAS settings in the environment (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE) change the
kernel NumPy uses; they are recorded with the BLAS library threadpoolctl reports.
"""

import argparse
import os
import statistics
import sys
import time

import numpy

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
SHARED_MNIST = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "mnist"))

M = 100  # minibatch
NOISE, G_HIDDEN, FEATURES = 100, 1200, 784
D_UNITS, PIECES = 240, 5
D_WIDTH = D_UNITS * PIECES  # 1200 columns of each maxout layer's W

# The 25 matrix products of one iteration: (what, rows x inner, inner x cols, layout).
# Layout "nn": a @ b; "tn": a.T @ b (a stored (inner, rows)); "nt": a @ b.T (b stored
# (cols, inner)), as linear_backward forms dW = x^T dy and dx = dy W^T without copies.
PRODUCTS = [
    # D step: G forward (training=False) on 100 noise vectors
    ("D step: G linear 1 forward", (M, NOISE), (NOISE, G_HIDDEN), "nn"),
    ("D step: G linear 2 forward", (M, G_HIDDEN), (G_HIDDEN, G_HIDDEN), "nn"),
    ("D step: G linear 3 forward", (M, G_HIDDEN), (G_HIDDEN, FEATURES), "nn"),
    # D forward on [real; fake], 200 rows
    ("D step: D maxout 1 forward", (2 * M, FEATURES), (FEATURES, D_WIDTH), "nn"),
    ("D step: D maxout 2 forward", (2 * M, D_UNITS), (D_UNITS, D_WIDTH), "nn"),
    ("D step: D linear 3 forward", (2 * M, D_UNITS), (D_UNITS, 1), "nn"),
    # D backward: weight gradients of every layer, input gradients except the first's
    ("D step: D linear 3 dW = x^T dy", (D_UNITS, 2 * M), (2 * M, 1), "tn"),
    ("D step: D linear 3 dx = dy W^T", (2 * M, 1), (1, D_UNITS), "nt"),
    ("D step: D maxout 2 dW", (D_UNITS, 2 * M), (2 * M, D_WIDTH), "tn"),
    ("D step: D maxout 2 dx", (2 * M, D_WIDTH), (D_WIDTH, D_UNITS), "nt"),
    ("D step: D maxout 1 dW", (FEATURES, 2 * M), (2 * M, D_WIDTH), "tn"),
    # G step: G forward (training) on 100 noise vectors
    ("G step: G linear 1 forward", (M, NOISE), (NOISE, G_HIDDEN), "nn"),
    ("G step: G linear 2 forward", (M, G_HIDDEN), (G_HIDDEN, G_HIDDEN), "nn"),
    ("G step: G linear 3 forward", (M, G_HIDDEN), (G_HIDDEN, FEATURES), "nn"),
    # D forward on the 100 fakes
    ("G step: D maxout 1 forward", (M, FEATURES), (FEATURES, D_WIDTH), "nn"),
    ("G step: D maxout 2 forward", (M, D_UNITS), (D_UNITS, D_WIDTH), "nn"),
    ("G step: D linear 3 forward", (M, D_UNITS), (D_UNITS, 1), "nn"),
    # D backward: input gradients only (D's weights do not move in the G step)
    ("G step: D linear 3 dx", (M, 1), (1, D_UNITS), "nt"),
    ("G step: D maxout 2 dx", (M, D_WIDTH), (D_WIDTH, D_UNITS), "nt"),
    ("G step: D maxout 1 dx", (M, D_WIDTH), (D_WIDTH, FEATURES), "nt"),
    # G backward: weight gradients of every layer, input gradients except the first's
    ("G step: G linear 3 dW", (G_HIDDEN, M), (M, FEATURES), "tn"),
    ("G step: G linear 3 dx", (M, FEATURES), (FEATURES, G_HIDDEN), "nt"),
    ("G step: G linear 2 dW", (G_HIDDEN, M), (M, G_HIDDEN), "tn"),
    ("G step: G linear 2 dx", (M, G_HIDDEN), (G_HIDDEN, G_HIDDEN), "nt"),
    ("G step: G linear 1 dW", (NOISE, M), (M, G_HIDDEN), "tn"),
]
assert len(PRODUCTS) == 25


def product_flops():
    return sum(2 * a[0] * a[1] * b[1] for _, a, b, _ in PRODUCTS)


# ---- the floor ----------------------------------------------------------------------


class Floor:
    """The 25 products with their operands stored as the layers store them."""

    def __init__(self, xp, convert=None):
        rng = numpy.random.default_rng(0)
        self.xp, self.calls = xp, []
        convert = convert or xp.asarray
        for _, (r, k), (k2, c), layout in PRODUCTS:
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
    from npgan.data import DataError, load_mnist

    for directory in (os.environ.get("NPGAN_DATA_DIR"), SHARED_MNIST):
        if directory and os.path.isdir(directory):
            try:
                return load_mnist(directory, download=False).train_x, "mnist:" + directory
            except DataError:
                continue
    rng = numpy.random.default_rng(0)
    return rng.random((50000, FEATURES), dtype=numpy.float32), "random"


def logit_mean(x):
    mean = numpy.clip(x.mean(axis=0), 1e-7, 1 - 1e-7)
    return numpy.log(mean / (1 - mean)).astype(numpy.float32)


# ---- npgan ----------------------------------------------------------------------------


class NpganRun:
    """npgan's mnist-paper GAN and optimisers, stepped exactly as the trainer steps them."""

    def __init__(self, x_host, bias_host):
        from npgan.backend import Random, asarray
        from npgan.gan_model import build_gan
        from npgan.optim import ExponentialDecay, MomentumSGD
        from npgan.presets import get_preset

        c = self.config = get_preset("mnist-paper")
        self.rng = Random(c.seed)
        self.x = asarray(x_host, dtype="float32")
        self.gan = build_gan(c, self.rng, asarray(bias_host))
        self.d_opt = MomentumSGD(self.gan.D, c.lr, c.momentum_start, ExponentialDecay(c.lr, c.lr_decay, c.lr_min))
        self.g_opt = MomentumSGD(self.gan.G, c.lr, c.momentum_start, ExponentialDecay(c.lr, c.lr_decay, c.lr_min))
        self.order, self.index = self.rng.permutation(self.x.shape[0]), 0

    def step(self):
        if (self.index + 1) * M > self.x.shape[0]:
            self.order, self.index = self.rng.permutation(self.x.shape[0]), 0
        real = self.x[self.order[self.index * M:(self.index + 1) * M]]
        self.index += 1
        out = self.gan.d_step(real, self.d_opt)  # Algorithm 1, lines 3-5 (k = 1)
        out.update(self.gan.g_step(M, self.g_opt))  # lines 7-8
        return out


# ---- PyTorch ----------------------------------------------------------------------------


class TorchRun:
    """The same model and Algorithm 1 in PyTorch, in its ordinary best practice."""

    def __init__(self, x_host, bias_host, device, seed=0):
        import torch
        import torch.nn.functional as F

        self.torch, self.F, self.device = torch, F, device
        c = _paper()
        self.c = c
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
        self.ones = torch.ones(M, 1, device=device)
        self.zeros = torch.zeros(M, 1, device=device)

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
        return (self.torch.rand(M, NOISE, device=self.device) * (2 * s)) - s

    def _update(self, params, velocity, grads, updates):
        c, torch = self.c, self.torch
        lr = max(c.lr / c.lr_decay**updates, c.lr_min)
        with torch.no_grad():  # v = m v - lr g;  p = p + v
            torch._foreach_mul_(velocity, c.momentum_start)
            torch._foreach_add_(velocity, grads, alpha=-lr)
            torch._foreach_add_(params, velocity)

    def step(self):
        torch, F = self.torch, self.F
        if (self.index + 1) * M > len(self.x):
            self.order, self.index = torch.randperm(len(self.x), device=self.device), 0
        real = self.x[self.order[self.index * M:(self.index + 1) * M]]
        self.index += 1
        # D step: G's forward needs no graph
        with torch.no_grad():
            fake = self.G(self.noise())
        logits = self.D(torch.cat([real, fake]))
        d_loss = 0.5 * (F.binary_cross_entropy_with_logits(logits[:M], self.ones)
                        + F.binary_cross_entropy_with_logits(logits[M:], self.zeros))
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


def _paper():
    from npgan.presets import get_preset

    return get_preset("mnist-paper")


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


def timed(fn, sync, n):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 20 timed iterations, 3 warm-up")
    parser.add_argument("--iters", type=int, default=120, help="timed iterations of each (default 120)")
    parser.add_argument("--warmup", type=int, default=10)
    # Blocks of 20, not single iterations: OpenBLAS's and torch's OpenMP worker threads
    # each spin for a while after their last parallel region, so alternating the libraries
    # iteration by iteration made them fight over the second core (on 2 cores: floor at
    # 128 GFLOP/s instead of 181, torch 71 ms instead of 29). Blocks still interleave, so
    # a change of load hits every column alike.
    parser.add_argument("--round", type=int, default=20,
                        help="iterations per interleaved block (default 20: npgan x20, floor x20, torch floor x20, torch x20, ...)")
    parser.add_argument("--threads", type=int, default=None, help="BLAS/torch threads (default: all cores)")
    parser.add_argument("--backend", choices=("numpy", "cupy"), default=None)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-record", action="store_true", help="do not append to results/")
    args = parser.parse_args(argv)
    if args.quick:
        args.iters, args.warmup = 20, 3
    if args.backend:
        os.environ["NPGAN_BACKEND"] = args.backend
    import npgan
    from npgan.backend import backend_name, get_backend

    if args.backend:
        npgan.set_backend(args.backend)
    xp = get_backend()
    gpu = backend_name() == "cupy"
    threads = args.threads or len(os.sched_getaffinity(0))
    limiter = None
    if not gpu:
        try:
            from threadpoolctl import threadpool_limits

            limiter = threadpool_limits(threads, user_api="blas")
        except ImportError:
            pass
    sync = (lambda: xp.cuda.Device().synchronize()) if gpu else (lambda: None)

    x_host, source = load_train()
    x_host = numpy.array(x_host[:50000], dtype=numpy.float32)  # a writable copy (torch shares it)
    bias = logit_mean(x_host)
    runs = {"npgan": NpganRun(x_host, bias), "floor": Floor(xp)}
    run_fns = {"npgan": runs["npgan"].step, "floor": runs["floor"]}
    torch_version, torch_sync = None, sync
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
            runs["torch floor"] = Floor(torch, lambda a: torch.from_numpy(a).to(device))
            run_fns["torch floor"] = runs["torch floor"]
            runs["torch"] = TorchRun(x_host, bias, device)
            run_fns["torch"] = runs["torch"].step
            if gpu:
                torch_sync = torch.cuda.synchronize
    syncs = {"npgan": sync, "floor": sync, "torch floor": torch_sync, "torch": torch_sync}
    blas = blas_info()

    for name, fn in run_fns.items():  # warm-up: allocator, caches, BLAS threads
        timed(fn, syncs[name], args.warmup)
    times = {name: [] for name in run_fns}
    while len(times["npgan"]) < args.iters:
        for name, fn in run_fns.items():
            times[name] += timed(fn, syncs[name], args.round)
    per_product = runs["floor"].each(sync)
    if limiter is not None:
        limiter.restore_original_limits()

    ms = {name: 1000 * statistics.median(t) for name, t in times.items()}
    p10 = {name: 1000 * float(numpy.percentile(t, 10)) for name, t in times.items()}
    flops = product_flops()
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                                          "OMP_NUM_THREADS")}
    print(f"Algorithm 1 iteration of mnist-paper (batch {M}, k=1), median of {len(times['npgan'])} "
          f"after {args.warmup} warm-up; {threads} threads; data {source}; backend {backend_name()}")
    print(f"  BLAS: {blas}; env: { {k: v for k, v in env.items() if v is not None} }")
    print(f"  {'':12s} {'ms/iter':>9s}  {'p10-p90':>15s}")
    for name in run_fns:
        q = numpy.percentile(1000 * numpy.asarray(times[name]), [10, 90])
        print(f"  {name:12s} {ms[name]:9.2f}  {q[0]:6.2f} - {q[1]:6.2f}")
    print(f"  floor = 25 matrix products, {flops / 1e9:.3f} GFLOP -> {flops / ms['floor'] / 1e6:.0f} GFLOP/s")
    print(f"  npgan / floor = {ms['npgan'] / ms['floor']:.2f}   (of the 10th percentiles, the least "
          f"disturbed iterations: {p10['npgan'] / p10['floor']:.2f})")
    if "torch" in ms:
        print(f"  npgan / torch = {ms['npgan'] / ms['torch']:.2f}   (10th percentiles: "
              f"{p10['npgan'] / p10['torch']:.2f}; torch {torch_version})")
    if not args.no_record:
        from _common import append_result

        record = {
            "benchmark": "train_step", "preset": "mnist-paper", "iterations": len(times["npgan"]),
            "warmup": args.warmup, "threads": threads, "data": source, "quick": args.quick,
            "npgan_ms": ms["npgan"], "floor_ms": ms["floor"], "torch_ms": ms.get("torch"),
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
