# %% [markdown]
# # 6. One code path, two array backends: NumPy and CuPy
#
# Every array operation in npgan goes through the module that `npgan.backend.get_backend()`
# returns: `numpy`, or `cupy` after `npgan.set_backend("cupy")` (or with
# `NPGAN_BACKEND=cupy` in the environment). CuPy mirrors NumPy's API on an NVIDIA GPU,
# so the same lines of `functional.py` run on either. Host-only work (files, plots)
# converts explicitly with `npgan.to_numpy`.
#
# This tutorial takes one training step of the paper's MNIST model on each available
# backend from *identical* starting points, compares the results, and times them. Two
# things must be held fixed for the comparison to mean anything:
#
# * the random numbers: CuPy's generator gives a different stream than NumPy's for the
#   same seed, so we draw the noise `z`, the real minibatch and the dropout masks once on
#   the host and hand the same values to both backends;
# * the parameters: built once, copied into each backend.
#
# Without a GPU (or without CuPy) the tutorial says so and runs the NumPy path, comparing
# float32 against a float64 reference instead, which shows the size of difference that
# "the same step" can legitimately have.

# %%
import sys
import time
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:  # a script: draw off-screen; a notebook keeps its own backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import npgan
from npgan import tutorial
from npgan.backend import Random, asarray, backend_name, cupy_available, get_backend, to_numpy
from npgan.models.gan.training import build_gan, build_optimizers
from npgan.nn.gradcheck import rel_error
from npgan.nn.layers import Dropout
from npgan.presets import get_preset

FAST = tutorial.fast_mode()  # NPGAN_FAST=1: seconds, not minutes (see npgan.tutorial)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
FIGURES = tutorial.figures_folder(HERE)  # tutorials/figures/ in a full run, a scratch folder in a fast one

HAVE_GPU = cupy_available()
print("backend at start:", backend_name())
print("CuPy with a GPU available:", HAVE_GPU)
if not HAVE_GPU:
    print("No CuPy/GPU here: the CuPy half is skipped; NumPy float32 is compared with float64.")

# %% [markdown]
# ## The step and its fixed inputs
#
# We use the paper's configuration with the update of its public code,
# `update="simultaneous"`: one forward pass of D over `[x; G(z)]` gives both objectives,
# and both gradients are applied at once (`GAN.simultaneous_step`). That uses a single
# set of dropout masks, of shape (2m, width) for each Dropout layer, which we inject
# through `Dropout.fixed_mask`.
#
# In fast mode the widths shrink (G 100-64-784, D 784-32x5) so that this runs in
# seconds; the full run uses the paper's widths (G 100-1200-1200-784, D 784-240x5-240x5).

# %%
config = get_preset("mnist-paper").replace(update="simultaneous", g_output_bias="zero")
if FAST:
    config = config.replace(g_hidden=(64,), d_hidden=(32,))
m = config.batch_size

host = Random(0)  # NumPy-side draws, done once
npgan.set_backend("numpy")
reference = build_gan(config.replace(dtype="float64"), Random(1))
host_params = {
    net: {key: to_numpy(layer.params[name]).copy() for key, layer, name in getattr(reference, net).parameters()}
    for net in ("G", "D")
}
host_noise = host.uniform(-np.sqrt(3), np.sqrt(3), (m, config.noise_dim), "float64")
host_real = host.random((m, 784), "float64")  # a stand-in for a minibatch of images in [0, 1]
dropouts = [layer for layer in reference.D.layers if isinstance(layer, Dropout)]
widths = [reference.D.layers[i + 1].n_in for i, layer in enumerate(reference.D.layers) if isinstance(layer, Dropout)]
host_masks = [host.bernoulli(d.keep_prob, (2 * m, w), "float64") for d, w in zip(dropouts, widths)]
print("noise", host_noise.shape, "real", host_real.shape, "masks", [mk.shape for mk in host_masks])


def prepared_gan(backend, dtype):
    """The GAN on ``backend`` in ``dtype``, with the shared parameters, noise and masks."""
    npgan.set_backend(backend)
    gan = build_gan(config.replace(dtype=dtype), Random(1))
    for net in ("G", "D"):
        for key, layer, name in getattr(gan, net).parameters():
            layer.params[name][...] = asarray(host_params[net][key], dtype=dtype)
    noise = asarray(host_noise, dtype=dtype)
    gan.sample_noise = lambda n, rng=None: noise[:n]  # the same z on every backend
    for layer, mask in zip([d for d in gan.D.layers if isinstance(d, Dropout)], host_masks):
        layer.fixed_mask = asarray(mask, dtype=dtype)
    return gan


def one_step(backend, dtype):
    """One simultaneous update; returns its statistics and the gradients it applied, on the host."""
    gan = prepared_gan(backend, dtype)
    d_opt, g_opt = build_optimizers(config, gan)
    stats = gan.simultaneous_step(asarray(host_real, dtype=dtype), d_opt, g_opt)
    grads = {f"{net}.{key}": to_numpy(g).astype(np.float64)
             for net in ("G", "D") for key, g in getattr(gan, net).grads.items()}
    return {k: float(v) for k, v in stats.items()}, grads


# %% [markdown]
# ## Compare
#
# What to compare: the gradients the step applied (each layer's `grads`, which a
# backward pass overwrites), with the relative error of tutorial 1,
# `max|a - b| / max(|a| + |b|)`, worst over all parameter arrays of G and D. Comparing
# the parameters after the step would say little: the first update is tiny next to the
# weights, so a float32 parameter rounds away most of its digits.

# %%
runs = {("numpy", "float64"): one_step("numpy", "float64"), ("numpy", "float32"): one_step("numpy", "float32")}
if HAVE_GPU:
    runs[("cupy", "float32")] = one_step("cupy", "float32")
    runs[("cupy", "float64")] = one_step("cupy", "float64")
npgan.set_backend("numpy")

ref_stats, ref_grads = runs[("numpy", "float64")]


def step_difference(grads, baseline):
    """Worst relative error over the gradient arrays of a step."""
    return max(rel_error(grads[key], b) for key, b in baseline.items())


differences = {}
for (backend, dtype), (stats, grads) in runs.items():
    differences[f"{backend} {dtype}"] = step_difference(grads, ref_grads)
    print(f"{backend:5s} {dtype}: D loss {stats['d_loss']:.8f}  G loss {stats['g_loss']:.8f}  "
          f"difference from NumPy float64: {differences[f'{backend} {dtype}']:.1e}")
if HAVE_GPU:
    gpu_vs_cpu = step_difference(runs[("cupy", "float32")][1], runs[("numpy", "float32")][1])
    print(f"CuPy float32 vs NumPy float32: {gpu_vs_cpu:.1e}")
    assert step_difference(runs[("cupy", "float64")][1], ref_grads) < 1e-9
assert differences["numpy float32"] < 1e-3

# %% [markdown]
# In float64 the two backends agree to ~1e-12 or better: the same arithmetic, in a
# different order inside the matrix products. In float32 the gradients differ from the
# float64 reference by ~1e-5 to 1e-4, on either backend: float32 carries about 7
# significant digits, and each gradient entry is a sum over hundreds of products.
# Neither backend is "more right" than the other in float32; both are within rounding
# of the float64 reference.
#
# ## Timing
#
# Best of a few repetitions of the same step (the first call also pays for memory
# allocation and, on a GPU, kernel compilation, so it is excluded). A GPU runs
# asynchronously, so the timer must wait for it (`synchronize`) before reading the clock.

# %%
def best_time(backend, repeats):
    gan = prepared_gan(backend, "float32")
    d_opt, g_opt = build_optimizers(config, gan)
    real = asarray(host_real, dtype="float32")
    xp = get_backend()
    sync = (lambda: xp.cuda.Device().synchronize()) if backend == "cupy" else (lambda: None)
    gan.simultaneous_step(real, d_opt, g_opt)  # warm-up
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        gan.simultaneous_step(real, d_opt, g_opt)
        sync()
        times.append(time.perf_counter() - start)
    return min(times)


repeats = 3 if FAST else 10
timings = {"numpy": best_time("numpy", repeats)}
if HAVE_GPU:
    timings["cupy"] = best_time("cupy", repeats)
npgan.set_backend("numpy")
for backend, seconds in timings.items():
    print(f"{backend:5s}: {1000 * seconds:8.2f} ms per step, {500 * seconds:6.1f} s per MNIST epoch (500 steps)")
if not HAVE_GPU:
    print("CuPy: not measured here (no GPU). Run this file on a machine with one to see the ratio.")

# %% [markdown]
# On a 2-core CPU one step of the paper's model is tens of milliseconds (about 3.6
# GFLOP per Algorithm 1 iteration, at a few hundred GFLOP/s at best). A data-centre GPU
# runs the same matrix products one to two orders of magnitude faster; at this model's
# small size, per-kernel launch overhead then becomes a visible share of a step.
#
# ## The picture

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
names = list(differences)
ax1.bar(names, [max(v, 1e-17) for v in differences.values()], color="tab:blue")
ax1.set_yscale("log")
ax1.set_ylabel("worst relative error of the gradients")
ax1.set_title("one step vs NumPy float64")
ax1.tick_params(axis="x", labelrotation=15)
ax2.bar(list(timings), [1000 * t for t in timings.values()], color=["tab:orange", "tab:green"][: len(timings)])
ax2.set_ylabel("ms per training step (best)")
title = "timing" if HAVE_GPU else "timing (no GPU here: NumPy only)"
ax2.set_title(f"{title}, {'fast-mode widths' if FAST else 'paper widths'}")
fig.tight_layout()
path = FIGURES / "06_backends.png"
fig.savefig(path, dpi=80)
plt.show()
print("saved", path)

# %% [markdown]
# ## What to take away
#
# * One switch, `npgan.set_backend("numpy" | "cupy")`; the layers never import NumPy.
# * To compare backends, hold everything random fixed on the host and copy it over:
#   the two libraries' generators differ for the same seed.
# * Agreement is to float tolerance: gradients within ~1e-12 in float64 and ~1e-4 in
#   float32 of a float64 reference, on either backend.
# * Time a GPU only after a warm-up and with a synchronisation before reading the clock.

# %% [markdown]
# ## Exercises
#
# 1. Check the gradient of `sum(tanh(x W))` by central differences in float32 and in
#    float64 at the same `h`: why do npgan's gradient checks run in float64?
# 2. Time a 100 x 1200 by 1200 x 1200 matrix product in float32 and float64 honestly
#    (warm-up, repeats, the best time) and compare the results.
#
# Solutions: `tutorials/solutions/06_backends.py` (the test suite runs it in fast mode).
