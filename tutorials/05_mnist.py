# %% [markdown]
# # 5. The paper's MNIST model
#
# This tutorial builds the MNIST model of the paper (as transcribed from its public code,
# `mnist.yaml`), trains it for a few epochs, and then looks at the result the way the
# paper did and a little more critically:
#
# 1. what each part of the model is for (maxout, dropout, the generator's output bias);
# 2. a short training run with `npgan.train.Trainer`, and its curves of `D(x)` and
#    `D(G(z))`;
# 3. samples beside their nearest training images (the paper's Figure 2);
# 4. the Parzen-window log-likelihood (the paper's Table 1: 225 +- 2 nats) and what it
#    does and does not measure;
# 5. what mode collapse looks like, through the digit classes of the samples.
#
# A full run takes a few epochs (several minutes on 2 cores); `NPGAN_FAST=1` shrinks the
# networks and the evaluation to seconds (the pictures are then of noise, not digits).
# MNIST is read from `mnist/` under the data root `$NPGAN_DATA_DIR` (or npgan's cache,
# downloading if needed).

# %%
import csv
import sys
import tempfile
from pathlib import Path

import matplotlib

if "ipykernel" not in sys.modules:  # a script: draw off-screen; a notebook keeps its own backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from npgan import plots, tutorial
from npgan.backend import Random, asarray, to_numpy
from npgan.datasets.idx import load_mnist
from npgan.evaluation.neighbours import nearest_rows
from npgan.evaluation.parzen import parzen_protocol
from npgan.models.gan.outputs import epoch_outputs
from npgan.models.gan.training import GANModel
from npgan.nn.functional import sigmoid
from npgan.presets import get_preset
from npgan.train import Trainer

FAST = tutorial.fast_mode()  # NPGAN_FAST=1: seconds, not minutes (see npgan.tutorial)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
FIGURES = tutorial.figures_folder(HERE)  # tutorials/figures/ in a full run, a scratch folder in a fast one
RUN_DIR = Path(tempfile.mkdtemp(prefix="npgan-tutorial-05-"))  # checkpoints and logs of this run

mnist = load_mnist()
print("train", mnist.train_x.shape, "valid", mnist.valid_x.shape, "test", mnist.test_x.shape)

# %% [markdown]
# ## The model
#
# `get_preset("mnist-paper")` is the paper's configuration:
#
# * **noise** `z`: 100-d, uniform on `[-sqrt 3, sqrt 3]` (unit variance per coordinate);
# * **G**: Linear 100 -> 1200, ReLU, Linear 1200 -> 1200, ReLU, Linear 1200 -> 784,
#   Sigmoid, so every pixel lies in (0, 1);
# * **D**: dropout (keep 0.8) on the input, Maxout 784 -> 240 units x 5 pieces, dropout
#   (keep 0.5), Maxout 240 -> 240 x 5, dropout (keep 0.5), Linear 240 -> 1: one logit `l`,
#   `D(x) = sigmoid(l)`;
# * momentum SGD, batch 100, learning rate 0.1 decaying by 1.000004 per update,
#   momentum 0.5 rising towards 0.7.
#
# Why these parts:
#
# * **Maxout** (tutorial 1) is piecewise linear like ReLU, but each unit is a max of 5
#   learned lines, so it never has a flat region with zero gradient: useful in D, whose
#   input gradient is all G ever learns from.
# * **Dropout** in D only. It regularises D, which otherwise memorises the 50,000
#   training images and then rejects everything else with certainty, starving G of
#   gradient. Its masks also make D's output noisy, which G sees as well.
# * **Output bias** of G's last layer starts at the logit of the per-pixel mean of the
#   training images, `b = log(mean / (1 - mean))`, so that before any training
#   `G(z) ~ sigmoid(0 + b) = mean image` (the weights are tiny at initialisation). G
#   then starts from a blurry average digit instead of grey noise, and the black border
#   pixels, whose mean is 0, are nearly 0 from the first step.
#
# How we train it here: Algorithm 1 as the paper writes it (`update="alternating"`: a D
# step on a fresh minibatch and fresh noise, then a G step on fresh noise through the D
# just updated), which is the `mnist-algorithm1` preset. With the hyper-parameters above
# it does not train from scratch on most seeds (4 of the 5 tried): D wins within a few
# epochs (`D(G(z))` falls to 0.001).
# Two changes make it train, on every seed tried (`results/mnist/mnist.md`, "What makes
# Algorithm 1 train from scratch"):
#
# * **Adam** (learning rate 2e-4, beta1 0.5) for both networks instead of momentum SGD:
#   Adam divides each parameter's step by the running size of its gradients, so D's
#   steps do not grow with its lead (tutorial 4 derives Adam and checks npgan's against
#   it; beta1 0.5 is its momentum, lowered from the usual 0.9 for the reason tutorial 4's
#   orbits show);
# * **packing** (PacGAN, Lin et al. 2018; `pack=2`): D judges *pairs* of samples, both
#   real or both generated, concatenated into one 1568-pixel row. A G that makes the same
#   digit twice gives itself away in a pair, so G cannot settle on 1s, which is where
#   Adam alone leaves it by epochs 6-8. Each minibatch is 50 pairs: still 100 images.
#
# The paper's public code did something else again: it computed D's and G's gradients
# from the *same* minibatch (the same fakes and dropout masks) and applied both at once
# (`update="simultaneous"`, the `mnist-paper` preset, which trains with momentum SGD and
# no packing). `results/mnist/mnist.md` ("Why mnist-paper uses the simultaneous update") tells
# that story with the logs.

# %%
EPOCHS = 1 if FAST else 6
config = get_preset("mnist-algorithm1").replace(epochs=EPOCHS, sample_every=0, parzen_every=0)
print(f"update {config.update}, optimizer {config.optimizer} (lr {config.lr}, beta1 {config.adam_beta1}), "
      f"pack {config.pack}: {config.batch_size} pairs = {config.batch_size * config.pack} images a minibatch")
if FAST:  # tiny networks and big batches: 100 iterations of a few milliseconds
    config = config.replace(g_hidden=(32,), d_hidden=(16,), batch_size=250, noise_dim=10)
model = GANModel(config)  # the networks, their optimisers and the data; one step of training
trainer = Trainer(model, RUN_DIR, epoch_outputs, progress=False)  # the loop around it
gan = model.gan
print("G:", gan.G)
print("D:", gan.D)
n_params = {name: sum(int(p.size) for p in net.params.values()) for name, net in [("G", gan.G), ("D", gan.D)]}
print("parameters:", ", ".join(f"{name} {count:,}" for name, count in n_params.items()))

# %% [markdown]
# Check the claim about the output bias: the generator's very first samples are close to
# the mean training image.

# %%
output_bias = gan.G.layers[-2].params["b"]  # the last Linear, before the Sigmoid
mean_image = mnist.train_x.mean(axis=0)
first_samples = to_numpy(gan.sample(100, rng=Random(1)))
print("sigmoid(output bias) vs the mean image, largest difference:",
      float(np.abs(to_numpy(sigmoid(output_bias)) - mean_image).max()))
print("untrained samples vs the mean image, mean absolute difference:",
      float(np.abs(first_samples - mean_image).mean()))

# %% [markdown]
# ## Training
#
# `Trainer.run()` runs Algorithm 1 epoch by epoch (one epoch is one pass over the
# 50,000 training images: 500 iterations of 100 images), and appends one row per epoch to
# `log.csv`: the objectives, the mean `D(x)` on real images and the mean `D(G(z))` on
# fakes, the learning rate and the momentum. Its statistics for every iteration of the
# last epoch stay in `trainer.stats` (columns `model.stat_names`).

# %%
trainer.run()
with open(RUN_DIR / "log.csv") as f:
    log = list(csv.DictReader(f))
for row in log:
    print({k: row[k] for k in ("epoch", "seconds", "d_real", "d_fake", "d_loss", "g_loss")})
last_epoch = to_numpy(trainer.stats)  # (iterations, len(model.stat_names))

# %% [markdown]
# How to read the curves. At the equilibrium of the game `D(x) = D(G(z)) = 1/2`. Early
# on D wins easily (`D(x)` near 1, `D(G(z))` near 0); a healthy run then keeps the two
# apart but not saturated. Warning signs: `D(G(z))` pinned near 0 for long (G gets
# little signal; with the minimax objective it would get none), or the two collapsing
# onto 1/2 while the samples are still bad (D has given up, often because G has found a
# few images D cannot reject: mode collapse).
#
# ## Samples and their nearest training images
#
# A generator could score well by copying training images. The paper's Figure 2 shows
# each sample next to its nearest training image (Euclidean distance in pixel space,
# `neighbours.nearest_rows`): if they were the same, G would be memorising. For scale,
# we measure the same distance for validation images, real digits that are not in the
# training set. Compare like with like: a thin "1" has few ink pixels and is close to
# many training 1s, while a "8" is far from every other 8, so the fair reference is
# validation images of the same digits as the samples (each sample weighted equally).
# A sample much closer to its neighbour than those would be a copy.

# %%
samples = gan.sample(1000, rng=Random(1))
neighbour_index = nearest_rows(samples, mnist.train_x)  # (1000,) indices into the training set
samples_host = to_numpy(samples)
distances = np.linalg.norm(samples_host - mnist.train_x[neighbour_index], axis=1)
labels = mnist.train_y[neighbour_index]  # the digit of each sample's nearest training image
n_valid_nn = 100 if FAST else 1000
valid, valid_labels = mnist.valid_x[:n_valid_nn], mnist.valid_y[:n_valid_nn]  # real, never trained on
valid_distances = np.linalg.norm(valid - mnist.train_x[nearest_rows(valid, mnist.train_x)], axis=1)
same_digits = np.concatenate([valid_distances[valid_labels == d] for d in labels[:200]])
print(f"distance to the nearest training image, median: samples {np.median(distances):.2f}; "
      f"validation images {np.median(valid_distances):.2f}, "
      f"validation images of the samples' digits {np.median(same_digits):.2f}")
path = FIGURES / "05_samples_and_neighbours.png"
plots.nearest_grid(samples_host[:30], mnist.train_x[neighbour_index[:30]], path, ncols=6,
                   title=f"after {EPOCHS} epochs: samples (left), nearest training images (right, framed)")
print("saved", path)

# %% [markdown]
# ## The Parzen-window estimate, and its caveats
#
# The paper scores a generator by fitting a Gaussian kernel density to 10,000 of its
# samples,
#
#     p(x) = 1/m sum_j N(x; G(z_j), sigma^2 I),
#
# choosing `sigma` on 1,000 validation images, and reporting the mean log-likelihood of
# the 10,000 test images (`parzen.parzen_protocol`). Larger is better; the paper reports
# 225 +- 2 nats for MNIST.
#
# To read that number, score a "perfect generator": real training images as the centres.

# %%
n_centres, n_valid, n_test = (500, 100, 500) if FAST else (10000, 1000, 10000)
gan_result = parzen_protocol(gan.sample(n_centres, rng=Random(2)), asarray(mnist.valid_x),
                             asarray(mnist.test_x[:n_test]), n_valid=n_valid)
real_result = parzen_protocol(asarray(mnist.train_x[:n_centres]), asarray(mnist.valid_x),
                              asarray(mnist.test_x[:n_test]), n_valid=n_valid)
for name, r in [("GAN samples", gan_result), ("real training images", real_result)]:
    print(f"{name:21s}: {r['test_ll']:8.1f} +- {r['test_se']:.1f} nats   "
          f"(sigma {r['sigma']:.3f}, {r['seconds']:.1f} s)")

# %% [markdown]
# Real images as the centres score about 241 nats with the paper's protocol (on the full
# 10,000/1,000/10,000 split), and that is the catch: the estimate rewards being *close
# to test images in pixel distance*, with one bandwidth for every direction of a
# 784-dimensional space. It is a poor density estimator there: a model that is exactly
# the data distribution scores only ~241, and scores reported against it have large
# systematic error (Theis, van den Oord and Bethge, 2016, "A note on the evaluation of
# generative models", show a model can score well with bad samples and vice versa).
# So the paper's 225 means: G's samples cover the test images nearly as well, in pixel
# distance, as 10,000 real training images do. It does not mean G's density is within
# 16 nats of the truth. A run of a few epochs scores far below, often below zero: its
# samples are noisy and sit between digits, so the chosen `sigma` must grow to cover
# the test images, and every doubling of `sigma` costs `784 log 2 = 543` nats per image
# in the normalising constant. Use the number to compare runs under the same protocol,
# never as a likelihood.
#
# ## Mode collapse, seen through digit classes
#
# A GAN can fool D with a few kinds of output; the value function does not directly
# penalise dropping whole modes if D cannot exploit it in time. A quick proxy on MNIST:
# label each sample with the digit of its nearest training image, and compare the
# histogram with the data's (about 10% each). A collapsed G shows a few tall bars; a
# healthy one, ten similar bars. (Nearest-neighbour labels are crude for blurry samples;
# a trained classifier would be better, but this needs nothing beyond the data.)
#
# A short run can collapse in just this way: D rejects nearly everything (`D(G(z))`
# pinned near 0 in the log, the warning sign above), and G settles on the few shapes
# it rejects least. Collapse early in training is often a phase, not a verdict: the
# long runs of this configuration (`results/mnist/mnist.md`) cover all ten digits. Compare
# the histogram below with the samples in the first picture.

# %%
counts = np.bincount(labels, minlength=10)
data_counts = np.bincount(mnist.train_y, minlength=10)
share, data_share = counts / counts.sum(), data_counts / data_counts.sum()
print("digit:           ", " ".join(f"{d:5d}" for d in range(10)))
print("samples (%):     ", " ".join(f"{100 * s:5.1f}" for s in share))
print("training set (%):", " ".join(f"{100 * s:5.1f}" for s in data_share))
kl = float(np.sum(share[share > 0] * np.log(share[share > 0] / data_share[share > 0])))
print(f"KL(samples || data) over classes: {kl:.3f} nats (0: same mix; about log 10 = 2.30: one class)")

# %% [markdown]
# ## The pictures
#
# The key picture is the samples beside their nearest neighbours (saved above). The
# second one gathers the curves, the Parzen numbers and the class histogram.

# %%
fig, axes = plt.subplots(1, 4, figsize=(17, 3.6), gridspec_kw={"width_ratios": [1, 1.3, 1, 1.3]})
ax = axes[0]
epochs = [int(r["epoch"]) for r in log]
ax.plot(epochs, [float(r["d_real"]) for r in log], "o-", label="mean D(x)")
ax.plot(epochs, [float(r["d_fake"]) for r in log], "o-", label="mean D(G(z))")
ax.axhline(0.5, color="gray", lw=0.5)
ax.set_ylim(0, 1)
ax.set_xlabel("epoch")
ax.set_title("log.csv: epoch means")
ax.legend(fontsize=8)

ax = axes[1]
window = max(1, len(last_epoch) // 50)
smooth = lambda v: np.convolve(v, np.ones(window) / window, mode="valid")  # noqa: E731
for name in ("d_real", "d_fake"):
    label = {"d_real": "D(x)", "d_fake": "D(G(z))"}[name]
    ax.plot(smooth(last_epoch[:, model.stat_names.index(name)]), label=label)
ax.set_ylim(0, 1)
ax.set_xlabel(f"iteration of epoch {EPOCHS} (moving average of {window})")
ax.set_title("trainer.stats: the last epoch")
ax.legend(fontsize=8)

ax = axes[2]
for name, r, colour in [("GAN", gan_result, "tab:blue"), ("real images", real_result, "tab:green")]:
    ax.plot(r["sigmas"], r["valid_ll"], "o-", ms=3, color=colour, label=f"{name}: test {r['test_ll']:.0f} nats")
    ax.axvline(r["sigma"], color=colour, ls=":", lw=1)
ax.axhline(225, color="black", ls="--", lw=1, label="paper: 225")
ax.set_xscale("log")
ax.set_xlabel("sigma")
ax.set_ylabel("mean validation log-likelihood")
ax.set_title("Parzen window: choosing sigma")
ax.legend(fontsize=7)

ax = axes[3]
positions = np.arange(10)
ax.bar(positions - 0.2, 100 * share, 0.4, label="samples (nearest-neighbour label)")
ax.bar(positions + 0.2, 100 * data_share, 0.4, label="training set")
ax.set_xticks(positions)
ax.set_xlabel("digit")
ax.set_ylabel("%")
ax.set_title(f"classes of 1,000 samples (KL {kl:.2f} nats)")
ax.legend(fontsize=7)
fig.tight_layout()
path = FIGURES / "05_training_and_evaluation.png"
fig.savefig(path, dpi=72)
plt.show()
print("saved", path)
print(f"the run's checkpoint and log are in {RUN_DIR}: continue it with "
      f"`npgan train --resume {RUN_DIR / 'checkpoint.npz'} --epochs N`, or delete the directory")

# %% [markdown]
# ## The long run: the committed generator
#
# A few epochs are a start, not the paper's result. `pretrained/npgan-mnist-generator.npz`
# is this model after a long run (the numbers and commands are in `results/mnist/mnist.md`).
# It is not the last iterate of that run: it is the *average* of the generator's weights
# over the snapshots the run saved every 5 epochs (`npgan average`). With a learning
# rate that is still large, SGD leaves the last iterate jittering around a good
# solution, and its samples carry speckles; the average cancels the jitter. The Parzen
# estimate likes the result even more than it likes real images (its bias towards
# smooth centres again), so judge by the samples as well.

# %%
pretrained = HERE.parent / "pretrained" / "npgan-mnist-generator.npz"
if pretrained.exists():
    import npgan

    long_run = npgan.load(pretrained)
    averaged = long_run.state.get("averaged_epochs") or [long_run.state.get("epoch")]
    print(f"the mean of {len(averaged)} generators, epochs {averaged[0]} to {averaged[-1]}")
    long_samples = to_numpy(long_run.sample(100, rng=Random(0)))
    path = FIGURES / "05_pretrained_samples.png"
    plots.image_grid(long_samples, path, title="pretrained/npgan-mnist-generator.npz")
    print("saved", path)
    r = parzen_protocol(long_run.sample(n_centres, rng=Random(0)), asarray(mnist.valid_x),
                        asarray(mnist.test_x[:n_test]), n_valid=n_valid)
    print(f"Parzen: {r['test_ll']:.1f} +- {r['test_se']:.1f} nats (sigma {r['sigma']:.3f}; "
          f"{n_centres} samples; the paper: 225 +- 2; real images: about 241)")
else:
    print(f"{pretrained} not found (it is in the repository's pretrained/ folder)")

# %% [markdown]
# ## What to take away
#
# * The paper's model is small by today's standards (a few million parameters; the
#   counts are printed under "The model"); maxout and dropout keep D useful to G.
#   Algorithm 1 as written trains it from scratch with Adam and pairs of samples for D;
#   the paper's own code trained it with momentum SGD and the simultaneous update.
# * `log.csv` tells you whether the game is balanced; samples beside their nearest
#   training images tell you whether G is inventing or copying.
# * The Parzen estimate is the paper's metric, reproduced exactly here, but it is a
#   weak one: real images score only ~241, and a few epochs score far lower. Tutorial 8
#   shows it ranking worse images above real ones, and the measures that replaced it.
# * Mode collapse shows up as a lopsided histogram of what the samples look like.
#   Tutorial 7 measures it precisely on toy data where the modes are known.

# %% [markdown]
# ## Exercises
#
# 1. Write the Parzen-window log-likelihood with a log-sum-exp and check it against
#    `npgan.evaluation.parzen.log_likelihood` on small random sets.
# 2. Sweep the bandwidth sigma for the same samples and points: how many nats does the
#    score move? (This is why the paper selects sigma on a validation set.)
# 3. Find each point's nearest sample with one matrix product, `|r|^2 - 2 q.r`, and
#    check it against `nearest_rows`.
#
# Solutions: `tutorials/solutions/05_mnist.py` (the test suite runs it in fast mode).
