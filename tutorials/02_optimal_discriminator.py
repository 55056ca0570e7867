# %% [markdown]
# # 2. The optimal discriminator and the virtual training criterion
#
# Section 4 of the paper answers two questions about the value function
#
#     V(D, G) = E_{x ~ p_data}[log D(x)] + E_{z ~ p_z}[log(1 - D(G(z)))]
#             = integral [ p_data(x) log D(x) + p_g(x) log(1 - D(x)) ] dx,
#
# (the second line writes the expectation over `z` as one over `x = G(z) ~ p_g`):
#
# * **Proposition 1.** For a fixed generator, the best discriminator is
#   `D*(x) = p_data(x) / (p_data(x) + p_g(x))`.
# * **Theorem 1.** With that discriminator, `C(G) = max_D V(D, G) = -log 4 + 2 JSD(p_data || p_g)`,
#   whose global minimum `-log 4` is reached if and only if `p_g = p_data`.
#
# Here we check both on 1-D densities, where every integral is a sum on a fine grid
# (`npgan.evaluation.theory`), and then train a real discriminator with npgan's layers against a
# fixed "generator" to watch it approach `D*`.

# %%
import os

# Tiny matrices (a 1-D input, 32 units): one BLAS thread is faster than two fighting
# over a busy machine. This must be set before NumPy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import math
import sys
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:  # a script: draw off-screen; a notebook keeps its own backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from npgan import tutorial
from npgan.backend import Random, asarray, get_backend, to_numpy
from npgan.evaluation import theory
from npgan.nn import losses, mlp
from npgan.nn.functional import sigmoid
from npgan.nn.optim import ExponentialDecay, MomentumSGD

FAST = tutorial.fast_mode()  # NPGAN_FAST=1: seconds, not minutes (see npgan.tutorial)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
FIGURES = tutorial.figures_folder(HERE)  # tutorials/figures/ in a full run, a scratch folder in a fast one
xp = get_backend()

# %% [markdown]
# ## Densities on a grid
#
# `npgan.evaluation.theory` takes densities as arrays of values on a uniform grid with spacing `dx`
# and integrates with the rectangle rule, `integral f ~ sum_i f(x_i) dx`. For smooth
# densities whose tails have vanished at the grid's ends this is accurate to far below
# 1e-10. Each density must integrate to 1 on the grid; the functions check it.
#
# Our pair: the data are `N(0, 1)`, the generator is `N(1.5, 0.6^2)`, narrower and
# shifted.
#
# One numerical trap. Far out in the tails one density can be 1e-40 while the other is
# 1e-10. Then `D* = p_data / (p_data + p_g)` rounds to exactly 1.0, and
# `p_g log(1 - D*)` becomes `1e-40 * log(0) = -inf`, although the true contribution,
# `p_g log(p_g / (p_data + p_g))`, is a harmless 1e-38. We avoid it by setting density
# values below 1e-12 to exactly 0 (the convention `0 log 0 = 0` then applies) and
# renormalising; the mass removed is below 1e-11.

# %%
grid = np.linspace(-12.0, 12.0, 2401 if FAST else 12001)
dx = grid[1] - grid[0]


def gaussian(x, mean, std):
    """The N(mean, std^2) density on the grid, with its negligible tails cut to 0."""
    p = np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))
    p[p < 1e-12] = 0.0
    return p / (p.sum() * dx)


DATA_MEAN, DATA_STD, G_MEAN, G_STD = 0.0, 1.0, 1.5, 0.6
p_data = gaussian(grid, DATA_MEAN, DATA_STD)
p_g = gaussian(grid, G_MEAN, G_STD)
print("integrals:", p_data.sum() * dx, p_g.sum() * dx)

# %% [markdown]
# ## Proposition 1: `D*(x) = p_data / (p_data + p_g)`
#
# `V` is an integral over `x` of `a log y + b log(1 - y)` with `y = D(x)`,
# `a = p_data(x)`, `b = p_g(x)`. A discriminator is free to choose `D(x)` separately at
# every `x`, so `V` is maximised pointwise. For `a, b > 0`,
# `d/dy [a log y + b log(1 - y)] = a/y - b/(1 - y) = 0` at `y = a / (a + b)`, and the second
# derivative `-a/y^2 - b/(1-y)^2` is negative: a unique maximum.
#
# Notice the shape: `D*` is *not* a threshold on `x`. It is 1/2 where the densities
# cross, near 1 where only the data have mass, near 0 where only the generator does,
# and it climbs back towards 1 in the far right tail, because there the wide data
# Gaussian outweighs the narrow generator one.

# %%
d_star = theory.optimal_discriminator(p_data, p_g)
c_of_g = theory.value(d_star, p_data, p_g, dx)
print(f"V(D*, G) = {c_of_g:.6f}")

# Any other discriminator does worse; the gap is the (p_data + p_g)-weighted KL divergence
# between the coin flips D*(x) and D(x), so it is never negative.
for name, other in [
    ("D = 1/2 everywhere", np.full_like(grid, 0.5)),
    ("a threshold at x = 0.75", np.where(grid < 0.75, 0.9, 0.1)),
    ("D* pushed towards 1/2 by 10%", 0.9 * d_star + 0.05),
]:
    print(f"V({name}) = {theory.value(other, p_data, p_g, dx):.6f}  <  {c_of_g:.6f}")
    assert theory.value(other, p_data, p_g, dx) < c_of_g

# %% [markdown]
# ## Theorem 1: `C(G) = -log 4 + 2 JSD(p_data || p_g)`
#
# Put `D*` into `V` and write `m = (p_data + p_g) / 2`:
#
#     C(G) = integral p_data log(p_data / (2m)) + p_g log(p_g / (2m))
#          = -log 2 - log 2 + KL(p_data || m) + KL(p_g || m)
#          = -log 4 + 2 JSD(p_data || p_g).
#
# The Jensen-Shannon divergence is non-negative and zero only when the two densities are
# equal, so `-log 4 = -1.386` is the least `C(G)` can be, reached only at `p_g = p_data`.
#
# We check both halves of the statement on a family of generators `N(mu, s^2)`: for
# every member, `V(D*, G)` computed directly must equal `-log 4 + 2 JSD`, and the
# smallest value must sit at `(mu, s) = (0, 1)`.

# %%
def criterion_both_ways(mean, std):
    q = gaussian(grid, mean, std)
    direct = theory.value(theory.optimal_discriminator(p_data, q), p_data, q, dx)
    via_jsd = -theory.LOG_4 + 2 * theory.jensen_shannon(p_data, q, dx)
    return direct, via_jsd


means = np.linspace(-3, 3, 31 if FAST else 121)
stds = np.geomspace(0.25, 4, 31 if FAST else 121)
by_mean = np.array([criterion_both_ways(m, DATA_STD) for m in means])  # (n, 2)
by_std = np.array([criterion_both_ways(DATA_MEAN, s) for s in stds])
worst = max(np.abs(by_mean[:, 0] - by_mean[:, 1]).max(), np.abs(by_std[:, 0] - by_std[:, 1]).max())
print(f"largest |V(D*, G) - (-log 4 + 2 JSD)| over the family: {worst:.1e}")
print(f"min over mu: {by_mean[:, 0].min():.6f} at mu = {means[by_mean[:, 0].argmin()]:+.3f}")
print(f"min over s:  {by_std[:, 0].min():.6f} at s  = {stds[by_std[:, 0].argmin()]:.3f}")
print(f"-log 4     = {-theory.LOG_4:.6f}")
assert worst < 1e-9
assert abs(by_mean[:, 0].min() + theory.LOG_4) < 1e-9 and abs(means[by_mean[:, 0].argmin()]) < 1e-9

# %% [markdown]
# The family gives another view of JSD: far from the data, `C(G)` flattens out towards
# `-log 4 + 2 log 2 = 0`, the value for disjoint supports. There the criterion barely
# changes as `mu` moves, which is a first hint of why a generator far from the data gets
# little gradient through `log(1 - D)` (tutorial 3 takes that up).
#
# ## A trained discriminator approaches `D*`
#
# Proposition 1 says what a discriminator *with unlimited capacity* converges to. Let us
# train a real one, with npgan's layers, exactly as inner loop of Algorithm 1 would, but
# with the generator frozen: the "generator" is just a sampler for `N(1.5, 0.6^2)`.
#
# * D is `mlp.discriminator`: two maxout layers of 32 units x 3 pieces, then a Linear
#   layer to one logit `l`, with `D(x) = sigmoid(l)`; no dropout (keep probability 1).
# * Its loss is `losses.discriminator_loss(real_logits, fake_logits)
#   = 0.5 (BCE(D(x), 1) + BCE(D(G(z)), 0)) = -V/2` on the minibatch, so descending it
#   ascends `V`.
# * Momentum SGD (`optim.MomentumSGD`), momentum 0.5, learning rate 0.1 divided by
#   1.001 after every step (`optim.ExponentialDecay`), so that the minibatch noise in
#   the updates dies down and D can settle.
#
# We track `V(D_t, G)` on the grid (it must rise towards `C(G)`) and the distance
# between `D_t` and `D*`, weighted by `m = (p_data + p_g)/2` (where there is no mass the
# minibatches never say anything about D, and Proposition 1 says nothing either).

# %%
rng = Random(0)
D = mlp.discriminator(1, (32, 32), n_pieces=3, keep_input=1.0, keep_hidden=1.0,
                         init_range=0.5, rng=rng, dtype="float32")
optimizer = MomentumSGD(D, lr=0.1, momentum=0.5, lr_schedule=ExponentialDecay(0.1, 1.001, 1e-3))
print(D)

m = 128  # examples of each kind per minibatch
steps = 300 if FAST else 4000
snapshots = {0, 100, 1000, steps} if not FAST else {0, 100, steps}
grid_input = asarray(grid[::10, None], dtype="float32")  # evaluate D on every 10th point
p_coarse, q_coarse = p_data[::10], p_g[::10]
p_coarse, q_coarse = p_coarse / (p_coarse.sum() * dx * 10), q_coarse / (q_coarse.sum() * dx * 10)
mixture = 0.5 * (p_coarse + q_coarse)
d_star_coarse = theory.optimal_discriminator(p_coarse, q_coarse)


def d_on_grid():
    """D(x) on the coarse grid, in evaluation mode, as host float64 clipped inside (0, 1)."""
    d = to_numpy(sigmoid(D.forward(grid_input, training=False)))[:, 0].astype(np.float64)
    return np.clip(d, 1e-12, 1 - 1e-12)


history, curves = [], {}
for t in range(steps + 1):
    if t in snapshots:
        curves[t] = d_on_grid()
    if t % 50 == 0:
        d = d_on_grid()
        gap = theory.value(d_star_coarse, p_coarse, q_coarse, dx * 10) - theory.value(d, p_coarse, q_coarse, dx * 10)
        distance = float(np.sum(mixture * np.abs(d - d_star_coarse)) * dx * 10)
        history.append((t, gap, distance))
    if t == steps:
        break
    real = rng.normal((m, 1), "float32", mean=DATA_MEAN, std=DATA_STD)  # x ~ p_data
    fake = rng.normal((m, 1), "float32", mean=G_MEAN, std=G_STD)  # G(z) ~ p_g, G frozen
    logits = D.forward(xp.concatenate([real, fake]), training=True)  # (2m, 1)
    loss, dreal, dfake = losses.discriminator_loss(logits[:m], logits[m:])
    D.backward(xp.concatenate([dreal, dfake]), input_grad=False)
    optimizer.step()

history = np.array(history)
for t, gap, distance in history[np.unique(np.linspace(0, len(history) - 1, 9).astype(int))]:
    print(f"step {int(t):5d}: C(G) - V(D_t, G) = {gap:.5f}   E_m|D_t - D*| = {distance:.4f}")

# %% [markdown]
# The gap `C(G) - V(D_t, G)` shrinks by orders of magnitude but never reaches zero: the
# minibatches are noisy (the loss is estimated from 256 points), and in the tails,
# where `m` is tiny, D is only weakly constrained. That is the practical reading of
# Proposition 1: D* is what D *approaches* when it has capacity and enough steps; the
# paper's Algorithm 1 keeps D near it by taking `k` steps of D per step of G.
#
# Look at the right tail in panel (c) below: D* climbs back to 1 beyond `x = 3`, but the
# trained D stays near 0 there. With `p_data(4) ~ 1e-4`, a minibatch of 128 data points
# almost never lands there, so no gradient ever tells D about it. The weighted distance
# barely notices, since neither density has mass there; a generator pushed by this D,
# however, would be told nothing true about that region.
#
# ## The picture

# %%
fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
ax = axes[0, 0]
ax.plot(grid, p_data, "k:", lw=2, label="p_data = N(0, 1)")
ax.plot(grid, p_g, "g-", label="p_g = N(1.5, 0.6²)")
ax.plot(grid, d_star, "b--", label="D* = p_data / (p_data + p_g)")
ax.axhline(0.5, color="gray", lw=0.5)
ax.set_xlim(-4, 5)
ax.set_title("(a) Proposition 1: the optimal discriminator")
ax.legend(fontsize=8, loc="upper left")

ax = axes[0, 1]
ax.plot(means, by_mean[:, 0], label="V(D*, G), p_g = N(μ, 1), against μ")
ax.plot(means[::6], by_mean[::6, 1], "o", ms=4, mfc="none", color="tab:blue", label="-log 4 + 2 JSD")
ax2 = ax.twiny()
ax2.plot(np.log2(stds), by_std[:, 0], color="tab:orange", label="p_g = N(0, s²), against log₂ s")
ax2.plot(np.log2(stds)[::6], by_std[::6, 1], "o", ms=4, mfc="none", color="tab:orange")
ax2.set_xlabel("log₂ s", color="tab:orange")
ax.axhline(-theory.LOG_4, color="black", ls="--", lw=1)
ax.text(0.6, -theory.LOG_4 - 0.05, "-log 4: only at p_g = p_data", fontsize=8)
ax.set_xlabel("μ")
ax.set_ylabel("C(G)")
ax.set_title("(b) Theorem 1: C(G) = -log 4 + 2 JSD", pad=28)
lines = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
ax.legend(lines, [line.get_label() for line in lines], fontsize=7, loc="upper center")

ax = axes[1, 0]
ax.plot(grid, d_star, "b--", lw=2, label="D*")
colours = plt.cm.viridis(np.linspace(0.1, 0.9, len(curves)))
for colour, (t, d) in zip(colours, sorted(curves.items())):
    ax.plot(grid[::10], d, color=colour, label=f"D after {t} steps")
ax.fill_between(grid, 0, 0.15 * p_data / p_data.max(), color="black", alpha=0.1, label="where the data are")
ax.fill_between(grid, 0, 0.15 * p_g / p_g.max(), color="green", alpha=0.1, label="where G's samples are")
ax.set_xlim(-4, 5)
ax.set_title("(c) a trained discriminator (G frozen)")
ax.legend(fontsize=7, loc="lower left")

ax = axes[1, 1]
ax.semilogy(history[:, 0], history[:, 1], label="C(G) - V(D_t, G)")
ax.semilogy(history[:, 0], history[:, 2], label="E_m |D_t - D*|")
ax.set_xlabel("discriminator steps")
ax.set_title("(d) D approaches D*")
ax.legend(fontsize=8)
fig.tight_layout()
path = FIGURES / "02_optimal_discriminator.png"
fig.savefig(path, dpi=80)
plt.show()
print("saved", path)

# %% [markdown]
# ## What to take away
#
# * For a fixed G the discriminator's problem separates over `x`, and its solution is the
#   posterior probability that `x` came from the data: `D* = p_data / (p_data + p_g)`.
# * Plugging it in turns the GAN game into minimising a divergence:
#   `C(G) = -log 4 + 2 JSD(p_data || p_g)`, minimised only at `p_g = p_data`, where
#   `D* = 1/2` everywhere.
# * A real discriminator trained by minibatch SGD tracks D* where there is probability
#   mass and is loosely constrained elsewhere; the theory assumes the inner
#   maximisation is solved, Algorithm 1 only approximates it with `k` steps.

# %% [markdown]
# ## Exercises
#
# 1. For `p_data = N(0, 1)` and `p_g = N(mu, 1)`, compute `V(D*, G)` on a grid and `-log
#    4 + 2 JSD` from the JSD's definition, for `mu = 0, 1, 3, 8`. Why must you work with
#    logarithms in the tails, and why must the grid hold all of both densities' mass?
# 2. Show numerically that every other D (pushed towards 1/2, shifted, constant 1/2) has
#    a smaller `V(D, G)` than `D*`.
#
# Solutions: `tutorials/solutions/02_optimal_discriminator.py` (the test suite runs it in fast mode).
