# %% [markdown]
# # 7. Mode collapse, measured
#
# The paper names the main weakness of the method in its Section 6: G must not be
# trained too much without updating D, "in order to avoid the Helvetica scenario in
# which G collapses too many values of z to the same value of x to have enough
# diversity to model p_data". This is mode collapse. On MNIST it is hard to measure
# (tutorial 5 used nearest-neighbour labels as a proxy); on 2-D toy data whose modes are
# known it can be counted exactly.
#
# The benchmarks and the protocol are those of PacGAN (Lin et al., 2018):
#
# * **ring-8**: 8 Gaussians of std 0.01 on the unit circle;
# * **grid-25**: 25 Gaussians of std 0.05 on `{-4, -2, 0, 2, 4}^2`;
# * score 2,500 samples of G: a sample is **high-quality** if it lies within 3 std of
#   its nearest mode centre; a mode is **covered** if at least one high-quality sample
#   is nearest to it; and the **reverse KL** between the histogram of high-quality
#   samples over modes and the uniform one measures balance (0 = balanced, log K = all in
#   one mode). `mode_metrics(samples, toy.centres, toy.std)` computes all three.
#
# We train the plain presets `ring-8-plain` and `grid-25-plain`, watch the samples as
# training goes, change `k` and the generator's objective, and end with what the remedies
# of `npgan.nn.remedies` and a better schedule change (the presets `ring-8` and `grid-25`).

# %%
import os

# Small matrices (2-D data, 128 units): one BLAS thread beats two fighting over a busy
# machine. This must be set before NumPy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys
import tempfile
import time
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:  # a script: draw off-screen; a notebook keeps its own backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import npgan
from npgan import tutorial
from npgan.backend import Random, to_numpy
from npgan.datasets.toy import make_toy
from npgan.evaluation.modes import mode_metrics
from npgan.models.gan.training import GANModel, build_optimizers
from npgan.presets import get_preset
from npgan.train import Trainer, train

FAST = tutorial.fast_mode()  # NPGAN_FAST=1: seconds, not minutes (see npgan.tutorial)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
FIGURES = tutorial.figures_folder(HERE)  # tutorials/figures/ in a full run, a scratch folder in a fast one
RUNS = Path(tempfile.mkdtemp(prefix="npgan-tutorial-07-"))  # the runs' checkpoints and logs
N_EVAL = 2500  # samples scored, as in PacGAN

# %% [markdown]
# ## The plain presets
#
# Both plain presets use small MLPs (G: 2-d Gaussian noise, two ReLU layers of 128, a linear
# output; D: two maxout layers of 128 units x 2 pieces, no dropout), batch 100,
# momentum SGD with momentum 0.5, and `k = 1`, the paper's choice. An "epoch" is just a
# count of minibatches (`iters_per_epoch`), since the data are drawn fresh for every
# minibatch.
#
# The modes are tiny (std 0.01 on the ring, so "high quality" means within 0.03 of a
# centre), and at a constant learning rate the SGD noise alone keeps G's samples
# jittering by more than that. So the presets let the learning rate fall about tenfold
# over a run (`lr_decay`, the schedule of the paper's MNIST model, only faster; each
# run below prints the rate it ended with).
#
# Training is the library's: `GANModel(config)` holds the networks, their optimisers
# and the data stream and takes one step of Algorithm 1; `Trainer` runs its epochs,
# writes a checkpoint and `log.csv` per epoch into a run folder, and after every epoch
# calls an `outputs` function, here one that keeps snapshots. In fast mode the runs
# shrink to 160 iterations.

# %%
def preset(name, plain=True):
    """The ``Config`` of ``NAME-plain`` (or of ``NAME``); in fast mode 10 epochs of 16 minibatches."""
    c = get_preset(f"{name}-plain" if plain else name)
    return c.replace(epochs=10, iters_per_epoch=16) if FAST else c


for name in ("ring-8", "grid-25"):
    c = preset(name)
    print(f"{name}: {c.epochs} epochs x {c.iters_per_epoch} iterations, G {c.g_hidden}, D {c.d_hidden} "
          f"{c.d_activation} x {c.d_pieces}, lr {c.lr} divided by {c.lr_decay} per update, k {c.k}; "
          f"{make_toy(name)}")


def snapshot(gan, data, seed):
    """2,500 samples of G from the noise of ``Random(seed)``, and their PacGAN metrics."""
    samples = to_numpy(gan.sample(N_EVAL, rng=Random(seed)))
    return samples, mode_metrics(samples, data.centres, data.std)


def keep_snapshots(data, at_epochs, into):
    """A ``Trainer`` outputs hook (called after every epoch, and at epoch 0 before the
    first step) that keeps a snapshot in ``into`` at each epoch of ``at_epochs``."""
    def outputs(model, epoch, out_dir, say):
        if epoch in at_epochs:
            into[f"iteration {epoch * model.iterations_per_epoch}"] = snapshot(model.gan, data, seed=10_000)
    return outputs


def describe(metrics):
    return (f"{metrics['modes_covered']}/{metrics['n_modes']} modes, "
            f"{100 * metrics['high_quality']:.0f}% high-quality, reverse KL {metrics['reverse_kl']:.2f}")


# %% [markdown]
# ## Watching training
#
# Snapshots of 2,500 samples at several points of each run, always from the same noise,
# so that differences between snapshots are the generator's doing.

# %%
rows, models = {}, {}
for name in ("ring-8", "grid-25"):
    c, snapshots = preset(name), {}
    at_epochs = {round(c.epochs * f) for f in (0, 0.05, 0.15, 0.4, 1.0)}
    start = time.perf_counter()
    trainer = Trainer(GANModel(c), RUNS / name, outputs=keep_snapshots(make_toy(name), at_epochs, snapshots),
                      quiet=True)
    models[name] = trainer.run()
    rows[name] = snapshots
    print(f"{name}: {c.epochs * c.iters_per_epoch} iterations in {time.perf_counter() - start:.1f} s, "
          f"learning rate at the end {models[name].g_optimizer.lr:.4f}")
    for label, (_, metrics) in snapshots.items():
        print(f"  {label:15s}: {describe(metrics)}")

# %% [markdown]
# What the snapshots show. G starts as the untrained network's fold of the noise plane,
# spreads over the ring (or the square), and then concentrates on the modes as the
# learning rate falls. Between the modes thin streaks of low-quality samples remain: a
# continuous G maps the connected noise space onto disconnected modes and cannot avoid
# leaving a trail; that is why the high-quality share stays well below 100%. On the grid, the interior modes
# are the hard ones: G's mass goes to the outer edge first.
#
# With these networks and momentum SGD, k = 1, the run covers most modes: no dramatic
# collapse. The collapse the paper warns about needs its cause.
#
# ## Collapse, caused: training G without updating D
#
# The paper (Section 6): "G must not be trained too much without updating D, in order
# to avoid the Helvetica scenario in which G collapses too many values of z to the same
# value of x". The reason is in the objective: for a *fixed* D, the best G puts all its
# mass wherever `D(x)` is largest, a single point, whatever `z` is. Alternating with D
# is what prevents this: D lowers its output wherever G piles up.
#
# We take the trained ring GAN, freeze D, and take generator steps only (the library's
# `gan.g_step`, with no `d_step` between them); then resume Algorithm 1
# (`model.step`, one iteration) and watch D chase G. By the end of the run the
# learning rates have decayed tenfold, and G-only steps at that rate barely move G, so
# both networks get fresh optimisers at the preset's starting rate, held constant
# (`lr_decay = 1`).

# %%
ring = models["ring-8"]
c, data, gan = ring.config, make_toy("ring-8"), ring.gan
ring.d_optimizer, ring.g_optimizer = build_optimizers(c.replace(lr_decay=1.0), gan)
g_only = (20, 60) if FAST else (50, 200, 600)
recovery = (100,) if FAST else (200, 1000)
helvetica, done = {"trained": snapshot(gan, data, seed=10_000)}, 0
for n in g_only:
    for _ in range(n - done):
        gan.g_step(c.batch_size, ring.g_optimizer)  # G moves, D stays
    done = n
    helvetica[f"{n} G-only steps"] = snapshot(gan, data, seed=10_000)
done = 0
for n in recovery:
    for i in range(done, n):
        ring.step(i)  # one iteration of Algorithm 1: k D steps, then one G step
    done = n
    helvetica[f"then {n} iterations"] = snapshot(gan, data, seed=10_000)
for label, (_, metrics) in helvetica.items():
    print(f"{label:22s}: {describe(metrics)}")
rows["ring-8, D frozen"] = helvetica

# %% [markdown]
# With D frozen, G's samples slide along D's gradient towards the regions D rates
# highest, which are not the modes themselves: the high-quality share falls, some modes
# empty, and the mode histogram grows lopsided (the reverse KL rises). When D moves
# again it penalises wherever G has crowded, and G spreads back out, but not
# monotonically: D and G chase each other, and the balance of modes swings from
# snapshot to snapshot. In ordinary training the same chase happens on a small scale at
# every step.
#
# ## What `k` and the objective change
#
# Same preset, changing one thing at a time, scored at the end of a run of half the
# preset's epochs: `k = 5` D steps per G step (a D closer to optimal each time G
# moves, the opposite of the experiment above), and the minimax generator objective
# `log(1 - D(G(z)))` instead of the non-saturating one. Every run takes the same number
# of G steps: an epoch is `iters_per_epoch` minibatches, each consumed by one D step, so
# with `k = 5` the epoch gets 5 times as many. `train(config, run_folder)` is the whole
# training run in one call (it is what `npgan train` does). Single runs of a GAN are
# noisy, so each setting runs with a few seeds.

# %%
def defined_mean(values):
    """Mean over the runs where a metric is defined (reverse KL is NaN with no high-quality sample)."""
    values = [v for v in values if np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")


variants = {
    "k=1, non-saturating": {},
    "k=5, non-saturating": {"k": 5},
    "k=1, minimax": {"gen_loss": "minimax"},
}
seeds = (0,) if FAST else (0, 1, 2)
name, data = "ring-8", make_toy("ring-8")
base = preset(name).replace(epochs=preset(name).epochs // 2, sample_every=0)  # sample_every=0: no pictures
iterations = base.epochs * base.iters_per_epoch  # G steps per run
table = {}
for label, changes in variants.items():
    start = time.perf_counter()
    results = []
    for s in seeds:
        k = changes.get("k", 1)
        config = base.replace(seed=s, iters_per_epoch=base.iters_per_epoch * k, **changes)
        gan = train(config, RUNS / f"{label.replace(', ', '-').replace('=', '')}-seed{s}", quiet=True)
        results.append(snapshot(gan, data, seed=10_000 + s)[1])
    table[label] = results
    modes = [r["modes_covered"] for r in results]
    quality = [100 * r["high_quality"] for r in results]
    print(f"{name}, {label:20s} modes {np.mean(modes):.1f} (runs: {modes}), high-quality "
          f"{np.mean(quality):.0f}%, reverse KL {defined_mean([r['reverse_kl'] for r in results]):.2f}  "
          f"({time.perf_counter() - start:.1f} s)")

# %% [markdown]
# How to read the table. More D steps per G step give G a sharper D to follow, at `k`
# times the discriminator's compute (and D's learning rate, which decays per update,
# falls `k` times faster). The minimax objective starts slower (its gradient vanishes
# while D rejects G's samples, tutorial 3), and a run can stay stuck for good: a run
# with 0 modes has no high-quality sample, so no reverse KL. Once `D(G(z))` is near
# 1/2 the two objectives push G the same way. With three seeds, differences of a mode
# or two are within the noise. For orientation,
# PacGAN's Table 1 reports a vanilla GAN at 6.3 +- 0.5 ring modes with its networks and
# Adam, and VEEGAN's, with other settings, at 1: the protocol and the baseline's
# settings matter as much as the method, so always run the baseline yourself.
#
# ## What the remedies, and a better schedule, change
#
# `npgan.nn.remedies` adds five remedies from the papers that followed, each a `Config`
# field that is off by default: one-sided label smoothing (`label_smoothing`), instance
# noise on D's inputs (`instance_noise`, annealed over `instance_noise_epochs`), two
# learning rates (`g_lr_ratio`), PacGAN's packing (`pack`: D judges several samples at
# once) and Karras et al.'s minibatch standard deviation (`minibatch_std`). The benchmark
# `benchmarks/mode_collapse.py` trains each on three seeds; its table
# (`benchmarks/results/mode_collapse.md`) is the place to compare them. What won on
# ring-8 there was not a remedy but the optimiser, the schedule, averaging and a deeper
# G: Adam, its rate held at 3e-3 for 15,000 minibatches and then falling 100-fold over
# the last 5,000 (five times the plain preset's length), G's parameters averaged over the
# ends of the epochs of that fall (`average_from`, Yazici et al. 2019: the mean of the
# last iterates places the modes closer to their centres than any one of them), and a G
# of three ReLU layers instead of two (the preset `ring-8`), which more than doubles the
# high-quality share; the remedies, put on top of the plain preset's momentum SGD, did
# not help, and packing diverged on some seeds at that learning rate. (On grid-25, two of
# them do help on top of that recipe: D with 5 maxout pieces and the minibatch feature over
# groups of 4, the preset `grid-25`, 92.8% high-quality against 91.8%.) Here, one seed
# each: the plain preset, the preset `ring-8`, and `ring-8` with PacGAN's packing, each
# judged by its averaged G where it has one (`npgan.load(checkpoint, averaged=True)`).

# %%
data = make_toy("ring-8")
remedies = {
    "plain (SGD)": preset("ring-8"),
    "preset ring-8 (Adam)": preset("ring-8", plain=False),
    "ring-8 + pack 2": preset("ring-8", plain=False).replace(pack=2),
}
compared = {}
for label, config in remedies.items():
    start = time.perf_counter()
    run = RUNS / f"remedy-{len(compared)}"
    gan = train(config.replace(sample_every=0), run, quiet=True)
    if 0 < config.average_from <= config.epochs:  # (fast mode ends before the averaging starts)
        gan = npgan.load(run / "checkpoint.npz", averaged=True)
    compared[label] = snapshot(gan, data, seed=10_000)
    print(f"ring-8, {label:22s}: {describe(compared[label][1])}  ({time.perf_counter() - start:.1f} s)")
rows["ring-8, schedule and remedy"] = compared

# %% [markdown]
# The preset's samples sit tighter on the modes, and far fewer of them trail between
# modes. One run can reach PacGAN's 98.2%; over the benchmark's three seeds the preset
# scores 97.5%, a little short (its page says why: the averaged G places and sizes the
# modes well, and what is left is mostly the trail a continuous G leaves between modes
# when it maps the connected noise onto separate ones).
#
# ## The picture

# %%
columns = max(len(s) for s in rows.values())
fig, axes = plt.subplots(len(rows), columns + 1, figsize=(2.4 * (columns + 1), 2.7 * len(rows)))
for row, (name, snapshots) in enumerate(rows.items()):
    data = make_toy(name.split(",")[0])
    lim = 1.5 if name.startswith("ring") else 5.5
    for col, (label, (samples, metrics)) in enumerate(snapshots.items()):
        ax = axes[row, col]
        ax.scatter(samples[:, 0], samples[:, 1], s=1, alpha=0.25, color="tab:blue", rasterized=True)
        ax.scatter(data.centres[:, 0], data.centres[:, 1], marker="x", s=15, color="red")
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{name}: {label}\n{metrics['modes_covered']}/{metrics['n_modes']} modes, "
                     f"{100 * metrics['high_quality']:.0f}% HQ, rKL {metrics['reverse_kl']:.2f}", fontsize=7)
    for col in range(len(snapshots), columns):
        axes[row, col].axis("off")
for row in range(3, len(rows)):  # the bar charts take the last column of the first three rows
    axes[row, columns].axis("off")

labels = list(table)
for row, (key, title, limit, factor) in enumerate([("modes_covered", "modes covered", 8, 1),
                                                     ("high_quality", "high-quality %", 100, 100),
                                                     ("reverse_kl", "reverse KL", np.log(8), 1)]):
    ax = axes[row, columns]
    values = [[factor * r[key] for r in table[lab] if np.isfinite(r[key])] for lab in labels]
    ax.barh(labels, [np.mean(v) if v else 0.0 for v in values], xerr=[np.std(v) if v else 0.0 for v in values],
            color="tab:purple")
    ax.set_xlim(0, limit)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(f"ring-8: {title}" + (" (runs with HQ samples)" if key == "reverse_kl" else ""), fontsize=8)
    ax.set_xlabel(f"after {iterations} G steps, {len(seeds)} seed(s)", fontsize=7)
fig.tight_layout()
path = FIGURES / "07_mode_collapse.png"
fig.savefig(path, dpi=70, bbox_inches="tight")
plt.show()
print("saved", path)
print(f"the runs' checkpoints and logs (log.csv) are in {RUNS}; delete the folder when done")

# %% [markdown]
# ## What to take away
#
# * On data with known modes, collapse is countable: modes covered, the share of
#   high-quality samples, and the reverse KL of the mode histogram (PacGAN's protocol,
#   `toy.mode_metrics`).
# * Collapse is dynamic: G's mass moves from mode to mode as D chases it, so a single
#   snapshot can flatter or condemn a run; look at several, and over seeds.
# * The paper's own warning is easy to reproduce: train G against a frozen D and it
#   collapses onto D's favourite points; alternating with D is what spreads it out.
# * `k` and the generator objective change the dynamics, not the game's optimum; neither
#   fixes collapse by itself, which is what later methods (minibatch discrimination,
#   PacGAN, unrolled GANs, VEEGAN) set out to do.

# %% [markdown]
# ## Exercises
#
# 1. Compute PacGAN's metrics (modes covered, high-quality share, reverse KL) by hand
#    for a collapsed set of ring-8 samples and check them against `mode_metrics`.
# 2. From `ring-8-plain`'s configuration, compute how far its learning rate falls over
#    the run, and when the floor `lr_min` would be reached.
# 3. For a frozen D that is a bump on each mode, show that G's loss is smaller with
#    every sample on D's highest bump than with samples spread over all modes: the
#    Helvetica scenario in three lines.
#
# Solutions: `tutorials/solutions/07_mode_collapse.py` (the test suite runs it in fast mode).
