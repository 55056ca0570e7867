# %% [markdown]
# # 12. What the discriminator learned
#
# The paper's fourth extension (Section 7): "Semi-supervised learning: features from the
# discriminator or inference net could improve performance of classifiers when limited
# labeled data is available." This tutorial
# looks inside a trained discriminator and then uses it twice:
#
# 1. **D's first-layer filters** as images: the paper's MNIST D (committed in
#    `pretrained/npgan-mnist-discriminator.npz`) beside an untrained one;
# 2. **the frozen-feature classifier**: a softmax on D's maxout features, trained on 100
#    labels, against the same softmax on pixels and on an untrained D's features;
# 3. **the K+1 trick** derived (Salimans et al. 2016): D as a classifier with one more
#    class, "fake", whose logit is fixed at 0, so that `D(x) = Z / (Z + 1)`; its gradient,
#    and the bug it invites, caught by central differences;
# 4. **a (K+1)-class GAN**, its step written out and checked against the library's, then
#    trained by `npgan.train.train` as `npgan train --preset
#    mnist-semisup` trains it, and the committed 100-label model
#    (`pretrained/npgan-mnist-semisup.npz`) with `npgan classify`'s error;
# 5. **the table** of `results/semisupervised/semisupervised.md`.
#
# A full run takes a few minutes on 2 cores; `NPGAN_FAST=1` shrinks it to seconds (and its
# numbers to nonsense).

# %%
import dataclasses
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small matrices: one BLAS thread is fastest

import matplotlib

if "ipykernel" not in sys.modules:  # a script: draw off-screen; a notebook keeps its own backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import npgan
from npgan import tutorial
from npgan.backend import Random, asarray, to_numpy
from npgan.datasets.idx import load_mnist
from npgan.models.semisup import model as semisup_model
from npgan.models.semisup.features import (
    build_discriminator_like,
    classification_error,
    feature_sets,
    load_discriminator,
    train_softmax,
)
from npgan.models.semisup.training import draw_labelled
from npgan.nn.gradcheck import check_loss, rel_error
from npgan.nn.layers import Maxout
from npgan.plots import tile_images
from npgan.presets import get_preset
from npgan.train import train

FAST = tutorial.fast_mode()  # NPGAN_FAST=1: seconds, not minutes (see npgan.tutorial)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
REPO = HERE.parent
FIGURES = tutorial.figures_folder(HERE)
RUNS = Path(tempfile.mkdtemp(prefix="npgan-tutorial-12-"))

mnist = load_mnist()
if FAST:  # a tenth of the images is plenty to exercise every line
    mnist = dataclasses.replace(mnist, **{name: value[:5000] if name.startswith("train") else value[:1000]
                                          for name, value in vars(mnist).items() if name[-2:] in ("_x", "_y")})

# %% [markdown]
# ## 1. D's first-layer filters
#
# The paper's D starts with a maxout layer: 240 units of 5 linear pieces, each piece a
# column of `W` (784 x 1200), i.e. a 28 x 28 template that the unit compares the image
# with. Drawn as images (the 40 with the largest norm), a trained D's templates are
# digit-shaped: loops, slanted strokes, whole 0s, 3s, 8s and 9s in light and dark; an
# untrained D's are noise. (A discriminator is never told about *digit classes*: it
# separates real from generated. Whether what it learned is useful for classes is what
# section 2 measures.)

# %%
D, d_config = load_discriminator()
untrained = build_discriminator_like(D, Random(0))  # the same layers, at the paper's initial weights


def first_filters(network, count=40):
    """The ``count`` first-layer templates with the largest norm, each scaled to [0, 1]."""
    W = to_numpy(next(layer for layer in network.layers if isinstance(layer, Maxout)).params["W"]).astype(float)
    chosen = np.argsort(-np.linalg.norm(W, axis=0))[:count]
    T = W[:, chosen].T
    T = (T - T.min(axis=1, keepdims=True)) / (np.ptp(T, axis=1, keepdims=True) + 1e-12)
    return T


fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
for ax, (name, network) in zip(axes, (("the paper's D, trained (epoch 25)", D), ("an untrained D", untrained))):
    ax.imshow(tile_images(first_filters(network), 8), cmap="gray", interpolation="nearest")
    ax.set_title(f"first-layer pieces of {name}", fontsize=9)
    ax.axis("off")
fig.tight_layout()
fig.savefig(FIGURES / "12_filters.png", dpi=100)
plt.close(fig)

# %% [markdown]
# ## 2. The frozen-feature classifier
#
# Freeze D. Its *features* of an image are the outputs of both maxout layers in
# evaluation mode (no dropout), 240 + 240 numbers, standardised with the statistics of
# all 50,000 training images (no labels needed for that). On top, one `Linear` to 10
# logits, trained with the softmax cross-entropy (`dL/dl = softmax(l) - onehot(y)`) and an
# L2 penalty on 100 labelled images, 10 of each digit. The controls are the same
# classifier on raw pixels and on the features of an untrained D of the same shape: if
# the trained D wins, the gain is what D learned, not the expansion into 480 maxout units.

# %%
draws = 2 if FAST else 3
sets = feature_sets(mnist, D)
errors = {name: [] for name in sets}
for draw in range(draws):
    chosen = draw_labelled(mnist.train_y, 100, draw)
    labels = asarray(mnist.train_y[chosen].astype(np.int64))
    for name, (train_f, test_f) in sets.items():
        layer = train_softmax(train_f[asarray(chosen)], labels, Random(draw), steps=30 if FAST else 300)
        errors[name].append(classification_error(layer, test_f, mnist.test_y))
for name, values in errors.items():
    print(f"softmax on {name:12s}: test error {100 * np.mean(values):5.1f}% with 100 labels ({draws} draws)")

# %% [markdown]
# ## 3. The K+1 trick
#
# Give D one output per class, `K = 10` logits `l_1..l_K`, and a class `K+1` for "fake".
# A softmax over K+1 logits has one degree of freedom too many (adding a constant to every
# logit changes nothing), so fix the fake logit at 0. Then, with `Z = sum_k e^{l_k}`,
#
#     p(fake | x) = 1 / (Z + 1),     D(x) = 1 - p(fake | x) = Z / (Z + 1) = sigmoid(log Z).
#
# So the GAN's discriminator loss needs only `s = log Z = logsumexp_k l_k`:
# `-log D(x) = softplus(-s)` on data, `-log(1 - D(G(z))) = softplus(s)` on samples, and by
# the chain rule through `ds/dl_k = e^{l_k} / Z = p_k` (the K-class softmax),
#
#     d softplus(-s) / dl_k = -sigmoid(-s) p_k,      d softplus(s) / dl_k = sigmoid(s) p_k.
#
# The labelled images add the K-class cross-entropy, `-log p(y | x, real)`. The bug this
# invites: dropping the `sigmoid(-s)` factor, i.e. differentiating `-log Z` instead of
# `softplus(-s)`. The two agree only where `sigmoid(-s)` is close to 1, which is where `s`
# is very negative: where D is sure a *real* image is *fake*. Anywhere else the bug
# inflates the gradient by `1 / sigmoid(-s)`; at the logits below (D fairly sure the
# images are real, `s` between 3 and 7) that is 30 to 900 times too large, and the
# gradient never vanishes as D becomes right. Central differences catch it.
#
# A note on the check's tolerance. Tutorial 01's checks print about 1e-10; at the usual
# step `h = 1e-6` this one prints about 5e-8. Nothing is wrong: a central difference
# carries a rounding error of about `eps |L| / h` (`eps = 2.2e-16`), here
# `2.2e-16 * 2.6 / 1e-6`, about 6e-10 in absolute terms, while the gradient's entries are
# only about 2e-3 (D is sure, so `sigmoid(-s)` is small): relative to them, 1e-7. A larger
# step trades that rounding for truncation error (of order `h^2`); `h = 1e-4` balances
# the two here and the check is back near 1e-10:

# %%
rng = Random(0)
real_logits, fake_logits = rng.normal((6, 10), "float64") * 3, rng.normal((6, 10), "float64") * 3
K_plus_1 = np.c_[to_numpy(real_logits), np.zeros(6)]
p_fake = np.exp(-np.log(np.exp(K_plus_1).sum(axis=1)))
print("D(x) from the K+1 softmax:", np.round(1 - p_fake, 4))
print("sigmoid(logsumexp l)     :", np.round(to_numpy(semisup_model.real_probability(real_logits)), 4))


def forgets_the_sigmoid(logits):
    loss, _, _ = semisup_model.unsupervised_loss(logits, fake_logits)
    p = np.exp(to_numpy(logits) - to_numpy(semisup_model.log_partition(logits))[:, None])
    return loss, asarray(-0.5 / logits.shape[0] * p)


def unsupervised(logits):
    return semisup_model.unsupervised_loss(logits, fake_logits)[:2]


s_real = to_numpy(semisup_model.log_partition(real_logits))
ratio = np.abs(to_numpy(forgets_the_sigmoid(real_logits)[1])).sum(axis=1) / np.abs(to_numpy(
    unsupervised(real_logits)[1])).sum(axis=1)
print("s = log Z per image:", np.round(s_real, 2), " the bug's gradient / the correct one:", np.round(ratio))
for h in (1e-6, 1e-4):
    print(f"h = {h:.0e}: gradient check, correct {check_loss(unsupervised, real_logits, h):.1e}, "
          f"the bug {check_loss(forgets_the_sigmoid, real_logits, h):.1e}")

# %% [markdown]
# ## 4. The (K+1)-class GAN
#
# D is trained on labelled images (the cross-entropy), unlabelled ones and G's samples
# (the GAN loss above); G by *feature matching*: the mean of D's last hidden layer over
# its samples should equal the mean over real images: with `mu` and `nu` the means of the
# J features over real and generated rows, `L_G = 1/J sum_j (mu_j - nu_j)^2` and
# `dL_G/dg_mj = -2 (mu_j - nu_j) / (J M)` for each of the M generated rows, sent back
# through D's hidden layers into G.
#
# One step of the family written out: D on three batches at once (labelled images with
# the cross-entropy, whose gradient is `p - onehot(y)`; unlabelled images and G's samples
# with the K+1 loss of section 3, its gradients by the formulas derived there), one Adam
# update (tutorial 4); then G by feature matching. Beside it, the library's
# `SemiSupervisedModel.step` on a twin built from the same seed:

# %%
from scipy.special import logsumexp  # noqa: E402

from npgan.models.semisup.training import SemiSupervisedModel  # noqa: E402  (the model the trainer runs)

step_config = get_preset("mnist-semisup").replace(d_hidden=(16, 8), g_hidden=(16,), batch_size=40)
by_hand, library = SemiSupervisedModel(step_config), SemiSupervisedModel(step_config)
for model in (by_hand, library):
    model.begin_epoch(0, fresh=True)
library.step(0)

gan = by_hand.gan
unlabelled, labelled, labels = (to_numpy(a) for a in by_hand.data.batch(0))
n_lab, n_unl = len(labelled), len(unlabelled)
fake = to_numpy(gan.G.forward(gan.sample_noise(n_unl), training=True))
logits = to_numpy(gan.D.forward(np.concatenate([labelled, unlabelled, fake]), training=True)).astype(np.float64)
p = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))  # the K-class softmax of every row
s = logsumexp(logits, axis=1)  # log Z
d_sup = (p[:n_lab] - np.eye(10)[labels]) / n_lab
d_real = -0.5 / n_unl * (1 / (1 + np.exp(s[n_lab:n_lab + n_unl])))[:, None] * p[n_lab:n_lab + n_unl]
d_fake = 0.5 / n_unl * (1 / (1 + np.exp(-s[n_lab + n_unl:])))[:, None] * p[n_lab + n_unl:]
gan.D.backward(np.concatenate([d_sup, d_real, d_fake]).astype(np.float32), input_grad=False)
d_error = rel_error(np.concatenate([to_numpy(g).ravel() for g in gan.D.grads.values()]),
                    np.concatenate([to_numpy(g).ravel() for g in library.gan.D.grads.values()]))
by_hand.d_optimizer.step()
real_features = semisup_model.run_layers(gan.body, unlabelled, training=True)  # D's last hidden layer
fake_features = semisup_model.run_layers(gan.body, gan.G.forward(gan.sample_noise(n_unl), training=True),
                                         training=True)
gap = to_numpy(real_features).mean(axis=0) - to_numpy(fake_features).mean(axis=0)
d_features = np.broadcast_to(-2 * gap / (gap.size * n_unl), fake_features.shape).astype(np.float32)
gan.G.backward(semisup_model.backward_layers(gan.body, d_features, param_grads=False), input_grad=False)
g_error = rel_error(np.concatenate([to_numpy(g).ravel() for g in gan.G.grads.values()]),
                    np.concatenate([to_numpy(g).ravel() for g in library.gan.G.grads.values()]))
by_hand.g_optimizer.step()
print(f"one (K+1)-class GAN step by hand against SemiSupervisedModel.step: relative error of D's gradients "
      f"{d_error:.1e}, of G's {g_error:.1e}")
assert d_error < 1e-5 and g_error < 1e-3

# %% [markdown]
# The gradients are compared rather than the weights after the update: Adam divides each
# gradient by its own running size, so where a gradient is nothing but rounding noise
# (about 1e-9) the two computations step by up to `lr` in different directions. G's
# gradients differ a little more than D's because they are taken through D's weights
# *after* D's update, which carries that amplified noise.

# %% [markdown]
# `npgan train --preset mnist-semisup --labels 100` runs this step; here a short run of
# the same preset (narrower in fast mode):

# %%
small = dict(d_hidden=(32, 16), g_hidden=(32,), batch_size=500) if FAST else {}
config = get_preset("mnist-semisup").replace(epochs=1, sample_every=0, **small)
short = train(config, RUNS / "semisup", quiet=True)
with open(RUNS / "semisup" / "log.csv") as f:
    header, *rows = [line.split(",") for line in f.read().splitlines()]
print("one epoch of mnist-semisup with 100 labels:",
      ", ".join(f"{name} {value}" for name, value in zip(header, rows[-1]) if name != "seconds"))

committed = REPO / "pretrained" / "npgan-mnist-semisup.npz"
semisup = npgan.load(committed) if committed.exists() else short
predicted = semisup.classify(mnist.test_x)
error = float((predicted != mnist.test_y).mean())
print(f"{'the committed 100-label model' if committed.exists() else 'the short run'}: "
      f"test error {100 * error:.2f}% on {len(predicted)} test images")

fig, ax = plt.subplots(figsize=(5, 4.2))
wrong = np.flatnonzero(predicted != mnist.test_y)[:24]
guesses = [str(p) for p in predicted[wrong]]
ax.imshow(tile_images(np.asarray(mnist.test_x[wrong]), 8), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
ax.set_title("the first 24 test digits it gets wrong; its guesses, row by row:\n"
             + "\n".join(" ".join(guesses[i:i + 8]) for i in range(0, len(guesses), 8)), fontsize=8)
ax.axis("off")
fig.tight_layout()
fig.savefig(FIGURES / "12_mistakes.png", dpi=100)
plt.close(fig)

# %% [markdown]
# The committed model is not the short run's preset: it is the discriminator of Improved
# GAN's own recipe (`mnist-semisup-improved`: a wider D, weight-normalised, with Gaussian
# noise on every layer's input, its parameters averaged over the updates; section 2b of the
# results page), from a run on label draw 1 scored at epoch 150 (the page has all three
# draws, each at the same epoch: 0.93, 0.82 and 1.04%, mean 0.93 +- 0.11%). Its test
# error, printed above, sits beside the published anchors for 100 labels: Improved GAN
# 0.93 +- 0.07%, Triple-GAN 0.91%, Bad GAN 0.80 +- 0.10% (each over its own label draws).

# %% [markdown]
# ## 5. The table
#
# `results/semisupervised/semisupervised.md` has the full measurement (10 label draws per `n`, every
# control, and the published anchors). Its frozen-feature rows, from the committed JSON:

# %%
table_file = REPO / "results" / "semisupervised" / "semisupervised-features.json"
if table_file.exists():
    table = json.loads(table_file.read_text())["table"]
    for n, row in sorted(table.items(), key=lambda item: int(item[0])):
        print(f"n = {int(n):5d}: " + ", ".join(f"{name} {100 * s['mean']:.1f} +- {100 * s['std']:.1f}%"
                                              for name, s in row.items()))

# %% [markdown]
# ## What to take away
#
# * A trained D's first layer holds digit-shaped templates, an untrained one's noise; a
#   softmax on the trained D's frozen features beats one on pixels with few labels.
# * The K+1 trick: with the fake logit fixed at 0, `D(x) = sigmoid(logsumexp l)`, so the
#   GAN losses are softplus of `s = log Z` and their gradients carry `sigmoid(-s) p_k`.
#   Forgetting `sigmoid(-s)` is right only where D is sure a real image is fake.
# * A gradient check's error has two sources, truncation (`h^2`) and rounding
#   (`eps |L| / h`); when the gradient is small against the loss, move `h` up, and read
#   1e-8 as a number to explain rather than a pass or fail.

# %% [markdown]
# ## Exercises
#
# 1. Give the fake class a free logit `f` and show that `D(x) = sigmoid(logsumexp(l) -
#    f)`, and that subtracting `f` from every logit changes no probability: why the fake
#    logit can be fixed at 0.
# 2. Sweep the step `h` of the gradient check of the unsupervised loss and find the best
#    one; explain where it lies.
#
# Solutions: `tutorials/solutions/12_discriminator_features.py` (the test suite runs it in fast mode).
