# %% [markdown]
# # 3. Algorithm 1 and the paper's Figure 1, from a real run
#
# Figure 1 of the paper tells the story of training in four panels on a 1-D example:
# the data density (black dots), the generator's density (green) and the discriminator
# (blue dashes):
#
# * (a) an adversarial pair near convergence: `p_g` is close to `p_data`, D is a partially
#   accurate classifier;
# * (b) in the inner loop D is trained to discriminate, and converges towards
#   `D* = p_data / (p_data + p_g)` (tutorial 2);
# * (c) after an update of G, the gradient of D has guided `G(z)` towards regions that D
#   is more likely to classify as data;
# * (d) after several steps, if G and D have enough capacity, `p_g = p_data` and
#   `D = 1/2` everywhere.
#
# The paper drew it by hand. Here we draw it from an actual run of Algorithm 1 with
# npgan, then look at the two knobs the paper discusses: `k`, the number of D steps per
# G step, and the generator's objective (minimax vs non-saturating).

# %%
import os

# Tiny matrices (1-D data, 64 units): one BLAS thread beats two fighting over a busy
# machine. This must be set before NumPy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:  # a script: draw off-screen; a notebook keeps its own backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from npgan import plots, tutorial
from npgan.backend import Random, asarray, to_numpy
from npgan.datasets.toy import make_toy
from npgan.models.gan.training import build_gan, build_optimizers
from npgan.nn import losses
from npgan.nn.gradcheck import numerical_gradient, rel_error
from npgan.nn.optim import MomentumSGD
from npgan.presets import get_preset

FAST = tutorial.fast_mode()  # NPGAN_FAST=1: seconds, not minutes (see npgan.tutorial)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
FIGURES = tutorial.figures_folder(HERE)  # tutorials/figures/ in a full run, a scratch folder in a fast one

# %% [markdown]
# ## The setting
#
# The preset `toy-1d` describes the 1-D problem: data `N(4, 0.5^2)`, 4-D Gaussian noise
# `z`, a generator of two ReLU layers with a linear output. We change its discriminator
# to ReLU layers of 64 units with zero initial biases and take `k = 5` D steps per G
# step; with these the run below converges cleanly and tells Figure 1's story step by
# step. (Small discriminators can stall with `p_g` still too wide, a reminder that the
# theory assumes D has "enough capacity".)
#
# Algorithm 1 only asks for "any standard gradient-based learning rule". We give D and G
# their own momentum-SGD optimisers (separate state, as they must have) and let D learn
# ten times faster than G (learning rates 0.1 and 0.01), which keeps D close to its
# optimum, the regime the theory describes. (`gan_model.build_optimizers(config, gan)`,
# what training runs use, gives both the config's one learning rate, so here we make
# the two `MomentumSGD`s ourselves.)

# %%
config = get_preset("toy-1d").replace(d_activation="relu", d_hidden=(64, 64), d_bias_range=0.0, k=5)
D_LR, G_LR, MOMENTUM = 0.1, 0.01, 0.5
data = make_toy(config.dataset)
grid = np.linspace(-1.0, 7.0, 400)
print(config)
print(data)


def new_run(seed=0, **changes):
    """A fresh GAN for ``config.replace(**changes)``, with its optimisers and random stream."""
    c = config.replace(seed=seed, **changes)
    rng = Random(c.seed)
    gan = build_gan(c, rng)
    return c, rng, gan, MomentumSGD(gan.D, D_LR, MOMENTUM), MomentumSGD(gan.G, G_LR, MOMENTUM)


# %% [markdown]
# ## Algorithm 1, written out
#
# `gan.d_step(real, d_opt)` is lines 3-5 of Algorithm 1: draw `m` noise samples, take the
# real minibatch, and move D's parameters up the gradient of
# `1/m sum [log D(x) + log(1 - D(G(z)))]` (npgan descends `-V/2`). `gan.g_step(m, g_opt)`
# is lines 7-8: fresh noise, and G's parameters move along the gradient of the generator
# objective, which flows *through* D's backward pass while D's parameters stay put.

# %%
def algorithm1(c, rng, gan, d_opt, g_opt, iterations, d_steps=None, g_steps=1):
    """``iterations`` rounds of: ``d_steps`` (default ``c.k``) D updates, then ``g_steps`` G updates."""
    d_steps = c.k if d_steps is None else d_steps
    for _ in range(iterations):
        for _ in range(d_steps):  # lines 2-6: k steps of the discriminator
            gan.d_step(data.sample(c.batch_size, rng, c.dtype), d_opt)
        for _ in range(g_steps):  # lines 7-8: one step of the generator
            gan.g_step(c.batch_size, g_opt)


def distance_to_data(gan, n=5000):
    """1-D Wasserstein distance between G's samples and fresh data: mean |sorted - sorted|."""
    s = np.sort(to_numpy(gan.sample(n, rng=Random(1)))[:, 0])
    x = np.sort(to_numpy(data.sample(n, Random(2), "float64"))[:, 0])
    return float(np.abs(s - x).mean())


# %% [markdown]
# ## The generator's step, by hand
#
# `gan.g_step` holds the one piece of backpropagation that is particular to GANs. G's
# loss is a function of D's output, and G's parameters reach it only *through* D:
#
#     z --G--> x = G(z) --D--> l (logits) --L_G--> loss,    L_G = mean softplus(-l)
#
# so the chain rule runs backwards through both networks:
#
#     dL/dl     = (sigmoid(l) - 1) / m              losses.generator_loss     (m, 1)
#     dL/dx     = D.backward(dL/dl)                 D's Jacobian, transposed  (m, features)
#     dL/dtheta = G.backward(dL/dx)                 every parameter of G
#
# `D.backward` is called with `param_grads=False`: only its *input* gradient is wanted.
# The G step moves G alone; D's parameter gradients of G's loss would cost a matrix
# product per layer, and left in `D.grads` they would invite an optimiser to move D down
# G's loss, that is, to help G fool it.

# %%
def generator_step_by_hand(gan, z):
    """Algorithm 1, line 8, written out: leaves dL_G/dtheta in ``gan.G.grads``; returns L_G."""
    fake = gan.G.forward(z, training=True)  # (m, features)
    logits = gan.D.forward(fake, training=True)  # (m, 1)
    loss, dlogits = losses.generator_loss(logits, gan.gen_loss)  # dL/dl, (m, 1)
    dfake = gan.D.backward(dlogits, param_grads=False)  # dL/dx, (m, features); D's grads untouched
    gan.G.backward(dfake, input_grad=False)  # dL/dtheta for G; z is not learned, so no dL/dz
    return loss


# %% [markdown]
# The tempting slip is to skip D's backward and hand G the gradient at D's *logit* as
# if it were the gradient at G's *output*: `G.backward(dlogits)`. On MNIST npgan's
# layers would refuse it (`dlogits` is (m, 1), G's output (m, 784)); here the data are
# 1-D, so both are (m, 1) and nothing complains. The step it gives is wrong in a telling way:
# `dL/dl = (D(G(z)) - 1) / m` is negative for every sample, so it tells every sample to
# move right, whatever D says; D's slope, the only thing that knows where the data are,
# never enters. This is no straw man: numpy-ml's WGAN-GP shipped it (its
# `update_generator` passes the critic's output gradient straight to the generator's
# backward).
#
# As in tutorial 1, a float64 central difference settles it. Fix `z`, treat `L_G` as a
# function of one of G's parameter arrays, and differentiate numerically
# (`gradcheck.numerical_gradient`), for every array of G.

# %%
def generator_step_skipping_d(gan, z):
    """The broken step: D's backward skipped."""
    logits = gan.D.forward(gan.G.forward(z, training=True), training=True)
    loss, dlogits = losses.generator_loss(logits, gan.gen_loss)
    gan.G.backward(dlogits, input_grad=False)  # wrong: dL/dl is not dL/dx
    return loss


check_config = config.replace(dtype="float64")
check_gan = build_gan(check_config, Random(7))
z = check_gan.sample_noise(16)


def generator_loss_at_z():
    logits = check_gan.D.forward(check_gan.G.forward(z, training=True), training=True)
    return losses.generator_loss(logits, check_gan.gen_loss)[0]


numerical = {key: numerical_gradient(generator_loss_at_z, p) for key, p in check_gan.G.params.items()}
step_errors = {}
for name, step in [("through D", generator_step_by_hand), ("skipping D", generator_step_skipping_d)]:
    step(check_gan, z)
    step_errors[name] = {key: rel_error(check_gan.G.grads[key], numerical[key]) for key in numerical}
    print(f"G step {name:10s}: worst relative error over G's {len(numerical)} arrays "
          f"{max(step_errors[name].values()):.1e}")
assert max(step_errors["through D"].values()) < 1e-7 < min(step_errors["skipping D"].values())

# The library's step computes these same gradients: an identical GAN (same seed, so the
# same parameters and the same next z) takes one gan.g_step.
library_gan = build_gan(check_config, Random(7))
library_gan.g_step(16, build_optimizers(check_config, library_gan)[1])
generator_step_by_hand(check_gan, z)
library_difference = max(rel_error(library_gan.G.grads[key], g) for key, g in check_gan.G.grads.items())
print(f"gan.g_step's gradients vs the hand-written step's: {library_difference:.1e}")
assert library_difference < 1e-12

# %% [markdown]
# The correct step matches the central difference to 1e-9 or better in every array of
# G; the broken one misses by tenths in every array (an error of 1 would mean unrelated
# numbers). Training would not have told you so quickly: early on, with the data to the
# right of G's samples, "move right" is even roughly the right advice.
#
# ## Figure 1, panel by panel
#
# * (a) Train with Algorithm 1 until `p_g` has reached the data, still too wide.
# * (b) Freeze G and train only D for many steps: the inner loop run to convergence.
# * (c) Freeze D and take a few G steps: G's mass flows uphill on D.
# * (d) Resume Algorithm 1 until the end.
#
# `plots.figure1_panel` samples 20,000 points from G (its own random stream, so the
# pictures never disturb training), histograms them, and evaluates `D(x)` on the grid.

# %%
A_ITERATIONS, D_ONLY, G_ONLY = (25, 100, 10) if FAST else (25, 500, 25)
c, rng, gan, d_opt, g_opt = new_run()
panels = [plots.figure1_panel(gan, data, grid, "start")]
algorithm1(c, rng, gan, d_opt, g_opt, A_ITERATIONS)
panels.append(plots.figure1_panel(gan, data, grid, f"(a) Algorithm 1, {A_ITERATIONS} iterations"))
algorithm1(c, rng, gan, d_opt, g_opt, 1, d_steps=D_ONLY, g_steps=0)
panels.append(plots.figure1_panel(gan, data, grid, f"(b) then {D_ONLY} steps of D alone"))
b = panels[-1]  # D against Proposition 1's D*, with G's density from the panel's histogram
d_star = b["data_density"] / np.maximum(b["data_density"] + b["generator_density"], 1e-12)
for x in data.mean + data.std * np.array([-2.0, -1.0, 0.0, 1.0, 2.0]):
    i = int(np.argmin(np.abs(grid - x)))
    print(f"(b) at x = {grid[i]:.2f}: D(x) = {b['discriminator'][i]:.3f}, D*(x) = {d_star[i]:.3f}")
algorithm1(c, rng, gan, d_opt, g_opt, 1, d_steps=0, g_steps=G_ONLY)
panels.append(plots.figure1_panel(gan, data, grid, f"(c) then {G_ONLY} steps of G alone"))
final_iterations = 200 if FAST else 3000
algorithm1(c, rng, gan, d_opt, g_opt, final_iterations)
panels.append(plots.figure1_panel(gan, data, grid, f"(d) after {final_iterations} more iterations"))
print("distance to the data at the end:", round(distance_to_data(gan), 4))
d_final = panels[-1]["discriminator"]
inside = np.abs(grid - data.mean) < data.std  # within one standard deviation of the mean
print("D(x) where the data are: from", d_final[inside].min().round(3), "to", d_final[inside].max().round(3))

path = FIGURES / "03_figure1.png"
plots.figure1(panels, path)  # black dots: data; green: G; blue dashes: D
print("saved", path)

# %% [markdown]
# Panel (a): after a few iterations `p_g` has moved onto the data but is too wide, and D
# is a partially accurate classifier. Panel (b) is Proposition 1 at work: with G frozen,
# D takes the shape of `D* = p_data / (p_data + p_g)` (printed above at five points):
# highest at the centre, where the data are dense compared with G, and falling towards
# 0 in G's wide tails, where only G has mass. It gets closest where samples are
# plentiful, as in tutorial 2. Panel (c) shows how the game moves G: its only
# information is `dD/dx` at its samples, and following it draws G's mass in from its
# tails towards the centre, where D says "data". D is right only where it has seen
# samples, and G, pushed long enough against a frozen D, piles onto wherever D is
# highest (tutorial 7 makes this collapse happen): that is why Algorithm 1 keeps
# alternating, with G taking small steps.
# In (d), D is close to 1/2 where the data are: it can no longer tell the two apart.
# (Away from the data D is whatever its last steps left: neither density has mass
# there, so nothing constrains it, and the theory says nothing about it either.)
#
# ## The role of k
#
# The theory assumes D is optimal before every G step. Algorithm 1 approximates that
# with `k` steps of D per step of G ("k is a hyperparameter; we used k = 1, the least
# expensive option"). Fewer D steps per G step give a D that lags behind G: G then
# follows a stale picture of where the data are. We run the same setting with
# `k = 1, 5, 20` and measure the distance between G's samples and the data against
# the number of *G* steps.

# %%
k_values = (1, 5) if FAST else (1, 5, 20)
checkpoints = [0, 25, 50, 100, 200] if FAST else [0, 50, 100, 200, 400, 800, 1600]
by_k = {}
for k in k_values:
    c, rng, gan, d_opt, g_opt = new_run(seed=1, k=k)
    distances, done = [], 0
    for n in checkpoints:
        algorithm1(c, rng, gan, d_opt, g_opt, n - done)
        done = n
        distances.append(distance_to_data(gan))
    by_k[k] = distances
    print(f"k = {k:2d}:", " ".join(f"{d:.3f}" for d in distances))

# %% [markdown]
# Per G step, a larger `k` tends to converge in fewer G steps and more steadily, since
# each G step is taken against a better discriminator; but it costs `k` D updates per
# iteration, so in compute the comparison is closer. With `k = 1` the lag of D shows
# up as oscillation: G overshoots, D catches up, G swings back. One seed of each is
# noisy; run several seeds before concluding.
#
# ## Minimax vs non-saturating generator objectives
#
# Written as a minimax game, G minimises `log(1 - D(G(z)))`. The paper observes that
# early in learning, when G is poor, D rejects its samples with high confidence, and
# this objective then *saturates*. In terms of the logit `l` with `D = sigmoid(l)`
# (npgan's `losses.generator_loss`):
#
# * minimax, `L = log(1 - sigmoid(l)) = -softplus(l)`, so `dL/dl = -sigmoid(l) = -D(G(z))`,
#   which goes to 0 exactly when D rejects the fakes;
# * non-saturating, `L = -log sigmoid(l) = softplus(-l)`, so `dL/dl = sigmoid(l) - 1 = D(G(z)) - 1`,
#   which goes to -1 there: the strongest gradient when G is worst.
#
# Both have the same fixed point (`D = 1/2`); only their gradients along the way differ.
# Below, the gradient magnitudes computed by npgan's losses themselves (times the batch
# size, since the losses are means).

# %%
logits = asarray(np.linspace(-12, 4, 161)[:, None], dtype="float64")  # (161, 1)
d_of_logit = 1 / (1 + np.exp(-to_numpy(logits)[:, 0]))
n_logits = logits.shape[0]
grad_minimax = np.abs(to_numpy(losses.generator_loss(logits, "minimax")[1])[:, 0]) * n_logits
grad_nonsat = np.abs(to_numpy(losses.generator_loss(logits, "nonsaturating")[1])[:, 0]) * n_logits
for d in (1e-4, 1e-2, 0.5):
    i = int(np.argmin(np.abs(d_of_logit - d)))
    print(f"D(G(z)) = {d_of_logit[i]:.0e}:  |dL/dl| minimax {grad_minimax[i]:.1e}   "
          f"non-saturating {grad_nonsat[i]:.2f}")

# %% [markdown]
# Now a short run of each from the same start, with the same `k`, learning rates and
# random stream. At the start G's samples sit near 0, far from the data at 4, so D
# rejects them quickly; watch `D(G(z))` and the distance to the data.

# %%
objective_iterations = 150 if FAST else 1000
every = 25 if FAST else 50
by_objective = {}
for kind in ("minimax", "nonsaturating"):
    c, rng, gan, d_opt, g_opt = new_run(seed=2, gen_loss=kind)
    trace = []
    for t in range(0, objective_iterations + 1, every):
        fakes = gan.sample(1000, rng=Random(3))
        trace.append((t, float(to_numpy(gan.discriminate(fakes)).mean()), distance_to_data(gan)))
        algorithm1(c, rng, gan, d_opt, g_opt, every)
    by_objective[kind] = np.array(trace)
    print(f"{kind:14s} D(G(z)) at the start {trace[0][1]:.3f}, after {every} iterations {trace[1][1]:.1e}; "
          f"distance to data {trace[0][2]:.2f} -> {trace[-1][2]:.2f}")

# %% [markdown]
# The minimax generator receives a gradient proportional to `D(G(z))`, which D has
# driven to almost nothing; it crawls until some of G's samples earn a larger `D(G(z))`
# (and can stall outright), while the non-saturating one moves straight to the data.
# The theory is the same for both; only the dynamics differ, which is why the paper
# trains G to maximise `log D(G(z))` in practice.
#
# ## The pictures
#
# The key picture, Figure 1 itself, was saved above with `plots.figure1`. A second one
# collects the experiments on `k` and on the objective.

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
ax = axes[0]
for k, distances in by_k.items():
    ax.plot(checkpoints, distances, "o-", ms=3, label=f"k = {k}")
ax.set_yscale("log")
ax.set_xlabel("generator steps")
ax.set_ylabel("Wasserstein-1 distance to the data")
ax.set_title("the role of k")
ax.legend()

ax = axes[1]
ax.loglog(d_of_logit, grad_minimax, label="minimax: |d log(1 - D)/dl| = D")
ax.loglog(d_of_logit, grad_nonsat, label="non-saturating: |d log D/dl| = 1 - D")
ax.set_xlabel("D(G(z))")
ax.set_ylabel("gradient magnitude w.r.t. the logit")
ax.set_title("why the paper switched objectives")
ax.legend(fontsize=8)

ax = axes[2]
for kind, trace in by_objective.items():
    ax.plot(trace[:, 0], trace[:, 2], label=f"{kind}: distance to data")
    ax.plot(trace[:, 0], trace[:, 1], "--", label=f"{kind}: mean D(G(z))")
ax.set_yscale("log")
ax.set_xlabel("iterations of Algorithm 1")
ax.set_title("early training, same start")
ax.legend(fontsize=7)
fig.tight_layout()
path = FIGURES / "03_k_and_objectives.png"
fig.savefig(path, dpi=80)
plt.show()
print("saved", path)

# %% [markdown]
# ## What to take away
#
# * Algorithm 1 is two nested loops: `k` discriminator steps (`gan.d_step`), then one
#   generator step (`gan.g_step`) whose gradient passes through D's backward pass
#   (`param_grads=False`: D's input gradient only). Skipping D's backward runs without
#   complaint when the shapes agree; a float64 central difference on G's parameters
#   catches it at once.
# * Figure 1's story is visible in a real run: D approaches `D*`, G follows `dD/dx`,
#   and at the end D is about 1/2 where the data are.
# * `k` trades compute for a discriminator that is closer to optimal at each G step.
# * The minimax objective's gradient is `D(G(z))` itself, which vanishes exactly when
#   G most needs to learn; the non-saturating objective keeps the same fixed point
#   with a gradient near 1 there.
# * Next: tutorial 4 draws the game's steps as a vector field and asks why `k = 1`
#   circles around the equilibrium instead of walking straight to it.

# %% [markdown]
# ## Exercises
#
# 1. Derive the gradients of the minimax and the non-saturating generator losses with
#    respect to the logit `l` of `D(G(z))`, check them against `losses.generator_loss`
#    and central differences, and compute their ratio at `D(G(z)) = 0.01`.
# 2. Show that at `D(G(z)) = 1/2` the two gradients are equal: the objectives share the
#    fixed point.
#
# Solutions: `tutorials/solutions/03_figure1.py` (the test suite runs it in fast mode).
