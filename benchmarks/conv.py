"""npgan's convolution layers and one DCGAN iteration beside PyTorch on the CPU, in one process.

    python benchmarks/conv.py [--quick] [--batch 128] [--threads T] [--rounds 7] [--plain]

Rows (float32, the shapes of ``mnist-dcgan`` at batch m = ``--batch``):

* each convolution of DCGAN's D and G, forward then backward (dx, dW and db when the
  layer has a bias), on the activations it sees in training, and batch norm over
  (m, 128, 7, 7) in training mode;
* one training iteration of ``mnist-dcgan``: ``DCGAN.d_step`` (G in training mode, D on
  the real and the generated minibatch in separate passes) then ``GAN.g_step``, Adam
  with lr 2e-4 and beta1 0.5, against the same model and the same step in PyTorch
  (``torch.nn`` layers of the same shapes and initialisation, BN in training mode, the
  two D passes backpropagated before one Adam step, D's parameters frozen in the G step).

Each row runs npgan and torch in alternating blocks of ``--reps`` calls for ``--rounds``
rounds (so a change of load hits both alike) and reports the median milliseconds of
each and their ratio npgan / torch, twice: by the clock on the wall and by the
process's CPU time (every thread). On a machine that others share, the wall clock
counts the time the process waited for a core; CPU time does not, so on one thread
its ratio is the one to read there (on two threads CPU time adds the threads' work,
and only the wall clock of a quiet machine shows what the second core buys).

Then where the iteration's CPU time goes, part by part (unfold, products, fold, batch
norm, activations, optimiser, the rest): npgan's by timing each kernel the layers call
(wrapped for the measurement), torch's from its profiler (oneDNN's convolutions do
their unfolding, products and folding inside one operator: one row).

Peak memory, the one figure not from the shared
process: each library's model is built in a fresh Python process, which then runs three
iterations; the memory they add is the resident set's high-water mark over them
(``VmHWM``, reset just before them through ``/proc/self/clear_refs``; Linux) minus the
resident set before them (npgan's holds MNIST, torch's one random minibatch: the
difference is the iterations' own). ``--threads`` sets NumPy's BLAS
threads (threadpoolctl) and torch's; the default is every core. A full run appends one
JSON line to ``benchmarks/results/conv.jsonl``. ``--plain`` times npgan's layers on the
plain forms (``conv``, ``normalization``, ``activations``) instead of the fast ones of
``kernels``, for the speed before them; ``--return-freed`` leaves the C allocator at its
defaults (large freed blocks handed back to the system, their pages faulted in afresh),
where by default the process keeps them as ``npgan train`` does
(``npgan.backend.keep_freed_memory``), for npgan and torch alike; ``--quick`` (batch 16, few rounds)
records nothing.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

import numpy
from _common import append_result
from threadpoolctl import threadpool_info, threadpool_limits

from npgan.backend import Random, keep_freed_memory
from npgan.models.dcgan.training import DCGANModel
from npgan.nn.image_layers import BatchNorm, Conv2d, ConvTranspose2d
from npgan.presets import get_preset


def _status_mib(field):
    with open("/proc/self/status") as f:
        return int(re.search(rf"{field}:\s+(\d+)", f.read()).group(1)) / 1024  # kB -> MiB


def memory_child(library, m, threads):
    """In a fresh process: build ``library``'s mnist-dcgan, run three iterations, print the peak they add."""
    import torch

    torch.set_num_threads(threads)
    with threadpool_limits(threads, user_api="blas"):
        if library == "npgan":
            model = DCGANModel(get_preset("mnist-dcgan").replace(batch_size=m))
            model.begin_epoch(0, True)
            step = iter(range(3)).__next__
            run = lambda: model.step(step())  # noqa: E731
        else:
            run = TorchDCGAN(m, torch).step
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # the high-water mark starts again from the resident set now
        before = _status_mib("VmRSS")
        for _ in range(3):
            run()
    print(json.dumps({"before_mib": before, "added_mib": _status_mib("VmHWM") - before}))


def peak_mib(library, m, threads, forms="fast", keep_freed=True):
    """``memory_child`` of ``library`` in a new Python process: ``{"before_mib", "added_mib"}``."""
    flags = (["--plain"] if forms == "plain" else []) + ([] if keep_freed else ["--return-freed"])
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-child", library, "--batch", str(m),
                          "--threads", str(threads), *flags], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def timed_pair(ours, theirs, rounds, reps):
    """Median milliseconds per call of ``ours`` and ``theirs``, alternating blocks of ``reps`` calls.

    Returns ``{"wall": (ours, theirs), "cpu": (ours, theirs)}``: the wall-clock time and the
    process's CPU time (every thread) of the same calls.
    """
    ours(), theirs()  # warm up
    times = {"wall": ([], []), "cpu": ([], [])}
    for _ in range(rounds):
        for k, fn in enumerate((ours, theirs)):
            for _ in range(reps):
                wall, cpu = time.perf_counter(), time.process_time()
                fn()
                times["cpu"][k].append(time.process_time() - cpu)
                times["wall"][k].append(time.perf_counter() - wall)
    return {clock: tuple(1e3 * statistics.median(t) for t in pair) for clock, pair in times.items()}


def pair_row(what, ms):
    """A table row from ``timed_pair``'s medians."""
    return {"what": what, "npgan_ms": ms["wall"][0], "torch_ms": ms["wall"][1],
            "npgan_cpu_ms": ms["cpu"][0], "torch_cpu_ms": ms["cpu"][1]}


# ---- the layers ---------------------------------------------------------------------------

def layer_cases(m):
    """``(name, npgan layer, torch module, input shape)`` for each convolution of mnist-dcgan, and a batch norm."""
    import torch

    rng = Random(0)
    return [
        ("D conv 1->64, 28->14", Conv2d(1, 64, 4, rng, 2, 1), torch.nn.Conv2d(1, 64, 4, 2, 1), (m, 1, 28, 28)),
        ("D conv 64->128, 14->7", Conv2d(64, 128, 4, rng, 2, 1, bias=False),
         torch.nn.Conv2d(64, 128, 4, 2, 1, bias=False), (m, 64, 14, 14)),
        ("G convT 100->128, 1->7", ConvTranspose2d(100, 128, 7, rng, bias=False),
         torch.nn.ConvTranspose2d(100, 128, 7, bias=False), (m, 100, 1, 1)),
        ("G convT 128->64, 7->14", ConvTranspose2d(128, 64, 4, rng, 2, 1, bias=False),
         torch.nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), (m, 128, 7, 7)),
        ("G convT 64->1, 14->28", ConvTranspose2d(64, 1, 4, rng, 2, 1), torch.nn.ConvTranspose2d(64, 1, 4, 2, 1),
         (m, 64, 14, 14)),
        ("BatchNorm(128) on 7x7", BatchNorm(128), torch.nn.BatchNorm2d(128), (m, 128, 7, 7)),
    ]


def layer_rows(m, rounds, reps):
    import torch

    rows = []
    for name, ours, theirs, shape in layer_cases(m):
        x = numpy.random.default_rng(1).standard_normal(shape, dtype=numpy.float32)
        dy = numpy.random.default_rng(2).standard_normal(ours.forward(x).shape, dtype=numpy.float32)
        tx, tdy = torch.tensor(x, requires_grad=True), torch.tensor(dy)
        inputs = [tx, *theirs.parameters()]

        def npgan_pass():
            ours.forward(x)
            ours.backward(dy)

        def torch_pass():
            torch.autograd.grad(theirs(tx), inputs, tdy)

        rows.append(pair_row(name, timed_pair(npgan_pass, torch_pass, rounds, reps)))
    return rows


# npgan's kernels whose time the per-part table sums (the fast channels-last forms the layers use)
NPGAN_PARTS = {"unfold": ("unfold",), "fold": ("fold",),
               "convolutions": ("conv2d_forward", "conv2d_backward", "conv_transpose2d_forward",
                                "conv_transpose2d_backward"),
               "batch norm": ("batch_norm_forward", "batch_norm_backward"),
               "activations": ("leaky_relu_forward", "leaky_relu_backward", "sigmoid")}
PART_ORDER = ("unfold", "products and layout copies", "fold", "convolutions, all", "batch norm", "activations",
              "optimiser", "the rest")


def npgan_parts(model, step, iterations):
    """CPU milliseconds per iteration in each part of npgan's DCGAN iteration, by wrapping the kernels.

    Each function of ``NPGAN_PARTS`` (looked up in ``npgan.nn.kernels`` at call time by
    the layers) and ``Adam.step`` is replaced by a wrapper that adds its time to its
    part; "products and layout copies" is the convolutions' time less their unfolding
    and folding, "the rest" the iteration less every part (the data, the losses, the
    Python of the layers).
    """
    from npgan.nn import kernels, optim

    totals = dict.fromkeys([*NPGAN_PARTS, "optimiser"], 0.0)
    saved = []

    def wrap(owner, name, part):
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                totals[part] += time.process_time() - start
        saved.append((owner, name, original))
        setattr(owner, name, timed)

    for part, names in NPGAN_PARTS.items():
        for name in names:
            wrap(kernels, name, part)
    wrap(optim.Adam, "step", "optimiser")
    try:
        step()  # warm
        totals.update(dict.fromkeys(totals, 0.0))
        start = time.process_time()
        for _ in range(iterations):
            step()
        whole = time.process_time() - start
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)
    ms = {part: 1e3 * t / iterations for part, t in totals.items()}
    out = {"unfold": ms["unfold"], "fold": ms["fold"],
           "products and layout copies": ms["convolutions"] - ms["unfold"] - ms["fold"],
           "convolutions, all": ms["convolutions"], "batch norm": ms["batch norm"],
           "activations": ms["activations"], "optimiser": ms["optimiser"]}
    out["the rest"] = 1e3 * whole / iterations - ms["convolutions"] - ms["batch norm"] - ms["activations"] \
        - ms["optimiser"]
    out["iteration"] = 1e3 * whole / iterations
    return out


def torch_parts(theirs, iterations):
    """The same parts of torch's iteration, from its profiler: self time of its operators by name.

    The profiler times operators by the clock on the wall; each is scaled by the
    iteration's CPU time over its wall time, to compare with npgan's CPU times.
    oneDNN's convolutions do the unfolding, the products and the folding inside one
    operator, so torch has one convolution row; the optimiser is its ``step`` calls
    (marked with ``record_function``), "the rest" the iteration less the parts.
    """
    import torch
    from torch.profiler import ProfilerActivity, profile, record_function

    theirs.step()
    steps = (theirs.d_opt, theirs.g_opt)
    originals = [opt.step for opt in steps]
    for opt, original in zip(steps, originals):
        def marked(*args, _original=original, **kwargs):
            with record_function("npgan-bench-optimiser"):
                return _original(*args, **kwargs)
        opt.step = marked
    try:
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(iterations):
                theirs.step()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        for opt, original in zip(steps, originals):
            opt.step = original
    ms = dict.fromkeys(("convolutions, all", "batch norm", "activations", "optimiser"), 0.0)
    scale = cpu / wall / 1e3 / iterations  # profiler microseconds -> CPU milliseconds per iteration
    for event in prof.key_averages():
        name, self_ms = event.key, event.self_cpu_time_total * scale
        if name == "npgan-bench-optimiser":
            ms["optimiser"] = event.cpu_time_total * scale
        elif "conv" in name or "mkldnn" in name:
            ms["convolutions, all"] += self_ms
        elif "batch_norm" in name:
            ms["batch norm"] += self_ms
        elif any(word in name for word in ("relu", "sigmoid", "threshold_backward")):
            ms["activations"] += self_ms
    whole_ms = 1e3 * cpu / iterations  # under the profiler: a little slower than unprofiled
    ms["the rest"] = whole_ms - sum(ms.values())
    ms["iteration"] = whole_ms
    del torch
    return ms


def parts_rows(m, iterations):
    """npgan's and torch's DCGAN iteration split into parts: unfold, products, fold, batch norm, ..."""
    import torch

    model = DCGANModel(get_preset("mnist-dcgan").replace(batch_size=m))
    model.begin_epoch(0, True)
    counter = iter(range(10**9))
    ours = npgan_parts(model, lambda: model.step(next(counter) % model.iterations_per_epoch), iterations)
    theirs = torch_parts(TorchDCGAN(m, torch), iterations)
    return [{"what": f"  part: {part}", "npgan_ms": ours[part], "torch_ms": theirs.get(part)}
            for part in (*PART_ORDER, "iteration")]


# ---- one DCGAN iteration ----------------------------------------------------------------------

class TorchDCGAN:
    """mnist-dcgan in PyTorch: the same layers, initialisation, step order and Adam."""

    def __init__(self, m, torch):
        nn = torch.nn
        self.torch, self.m = torch, m
        torch.manual_seed(0)
        self.G = nn.Sequential(nn.Unflatten(1, (100, 1, 1)), nn.ConvTranspose2d(100, 128, 7, bias=False),
                               nn.BatchNorm2d(128), nn.ReLU(), nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False),
                               nn.BatchNorm2d(64), nn.ReLU(), nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Flatten(),
                               nn.Sigmoid())
        self.D = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                               nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
                               nn.Flatten(), nn.Linear(6272, 1))
        for net in (self.G, self.D):
            for module in net.modules():
                if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                    nn.init.normal_(module.weight, 0.0, 0.02)
                if isinstance(module, nn.Linear):
                    nn.init.uniform_(module.weight, -0.02 * 3**0.5, 0.02 * 3**0.5)
        self.d_opt = torch.optim.Adam(self.D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.g_opt = torch.optim.Adam(self.G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.real = torch.rand(m, 784)
        self.bce = nn.BCEWithLogitsLoss()

    def step(self):
        torch, m = self.torch, self.m
        with torch.no_grad():
            fake = self.G(torch.randn(m, 100))  # G in training mode, as npgan's D step
        self.d_opt.zero_grad(set_to_none=True)
        ones, zeros = torch.ones(m, 1), torch.zeros(m, 1)
        (0.5 * self.bce(self.D(self.real), ones)).backward()  # two passes, each its own batch statistics
        (0.5 * self.bce(self.D(fake), zeros)).backward()
        self.d_opt.step()
        self.D.requires_grad_(False)
        self.g_opt.zero_grad(set_to_none=True)
        self.bce(self.D(self.G(torch.randn(m, 100))), ones).backward()
        self.g_opt.step()
        self.D.requires_grad_(True)


def iteration_row(m, rounds, reps):
    import torch

    model = DCGANModel(get_preset("mnist-dcgan").replace(batch_size=m))  # real MNIST, as npgan train reads it
    model.begin_epoch(0, True)
    counter = iter(range(10**9))

    def npgan_step():
        model.step(next(counter) % model.iterations_per_epoch)

    theirs = TorchDCGAN(m, torch)
    return pair_row(f"DCGAN iteration (D step + G step, batch {m})", timed_pair(npgan_step, theirs.step, rounds, reps))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test: batch 16, 2 rounds; records nothing")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None, help="BLAS and torch threads (default: every core)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--plain", action="store_true",
                        help="npgan's image layers on the plain NCHW forms (conv.py, normalization.py): the "
                             "speed before the fast forms")
    parser.add_argument("--return-freed", action="store_true",
                        help="leave the C allocator at its defaults, which hand large freed blocks back to the "
                             "system (npgan train keeps them: npgan.backend.keep_freed_memory)")
    parser.add_argument("--memory-child", choices=("npgan", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # As `npgan train` runs; both libraries' temporaries come from the same C allocator.
    kept = False if args.return_freed else keep_freed_memory()
    try:
        import torch
    except ImportError:
        sys.exit("benchmarks/conv.py compares with PyTorch: pip install -e .[bench]")
    m, rounds, reps = (16, 2, 2) if args.quick else (args.batch, args.rounds, args.reps)
    forms = "plain" if args.plain else "fast"
    if args.plain:
        from npgan.nn import kernels
        kernels.fast = lambda: False  # what the layers ask before each call
    threads = args.threads or len(os.sched_getaffinity(0))
    if args.memory_child:
        return memory_child(args.memory_child, m, threads)
    torch.set_num_threads(threads)
    with threadpool_limits(threads, user_api="blas"):
        rows = layer_rows(m, rounds, reps) + [iteration_row(m, rounds, reps)]
        parts = [] if args.plain else parts_rows(m, max(3, rounds))  # the parts are the fast kernels'
    blas = next((f"{i['internal_api']} {i.get('architecture', '')}".strip() for i in threadpool_info()
                 if i["user_api"] == "blas"), "unknown")
    print(f"npgan's {forms} forms, float32, batch {m}, {threads} thread(s), BLAS {blas}, torch {torch.__version__}, "
          f"freed memory {'kept' if kept else 'returned'}; "
          f"median ms of {rounds} x {reps} calls each")
    print(f"{'what':44s} {'npgan ms':>9s} {'torch ms':>9s} {'ratio':>6s}   {'npgan cpu':>9s} {'torch cpu':>9s} "
          f"{'ratio':>6s}")
    for row in rows:
        row["ratio"] = row["npgan_ms"] / row["torch_ms"]
        row["cpu_ratio"] = row["npgan_cpu_ms"] / row["torch_cpu_ms"]
        print(f"{row['what']:44s} {row['npgan_ms']:9.2f} {row['torch_ms']:9.2f} {row['ratio']:6.2f}   "
              f"{row['npgan_cpu_ms']:9.2f} {row['torch_cpu_ms']:9.2f} {row['cpu_ratio']:6.2f}")
    if parts:
        print(f"where one iteration's CPU time goes (ms per iteration, {max(3, rounds)} iterations; torch's parts "
              "from its profiler):")
    for row in parts:
        theirs = row["torch_ms"]
        print(f"{row['what']:44s} {row['npgan_ms']:9.2f} " + (f"{theirs:9.2f}" if theirs is not None else f"{'-':>9s}"))
    memory = {library: peak_mib(library, m, threads, forms, kept) for library in ("npgan", "torch")}
    print("memory three iterations add to a fresh process (peak resident set after them minus before): "
          + ", ".join(f"{library} {value['added_mib']:.0f} MiB" for library, value in memory.items()))
    if not args.quick:
        path = append_result("conv", {"forms": forms, "kept_freed_memory": kept, "batch": m, "threads": threads,
                                      "blas": blas, "torch": torch.__version__,
                                      "rounds": rounds, "reps": reps, "rows": rows, "parts": parts,
                                      "memory": memory})
        print(f"appended to {path}")


if __name__ == "__main__":
    main()
