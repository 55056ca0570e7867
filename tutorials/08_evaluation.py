# %% [markdown]
# # 8. Evaluating a generator, and when each measure lies
#
# The paper evaluated its generators with a Parzen window (tutorial 5) and wrote that
# the method "has somewhat high variance and does not perform well in high dimensional
# spaces but it is the best method available to our knowledge". Tutorial 7 counted modes
# on toy data, where the modes are known. On images neither is enough, and the field has
# since settled on a handful of measures, each built on a network that knows the data
# (here npgan's own MNIST classifier, 98.8% on the test set, in place of the Inception
# network). This tutorial takes each apart:
#
# 1. **Parzen's failure**, shown: real images blended with the mean digit, visibly worse,
#    score far *above* the real images themselves, and so does the committed averaged
#    generator;
# 2. the **Frechet distance** (FID), derived from its definition and computed by hand on
#    small Gaussian sets, then on the classifier's features;
# 3. the **Inception score** idea: `exp` of the mutual information between a sample and
#    its class;
# 4. **precision and recall** from k-nearest-neighbour balls;
# 5. **class balance** and the **copy detector**;
# 6. all of them on npgan's committed generators, beside real images and three cheats
#    built to fool one measure each: the table of when each measure lies.
#
# The functions are `npgan.evaluation.metrics` (what `npgan evaluate` reports); each is
# first computed here by hand from its definition and compared. A full run takes a few
# minutes; `NPGAN_FAST=1` uses a few hundred images (and its numbers mean nothing).

# %%
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # a busy machine: one BLAS thread per process

import matplotlib

if "ipykernel" not in sys.modules:  # a script: draw off-screen; a notebook keeps its own backend
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import scipy.linalg

import npgan
from npgan import tutorial
from npgan.backend import Random, asarray, to_numpy
from npgan.datasets.idx import load_mnist
from npgan.datasets.toy import make_toy
from npgan.evaluation import classifier as classifiers
from npgan.evaluation import metrics
from npgan.evaluation.parzen import parzen_protocol
from npgan.plots import tile_images

FAST = tutorial.fast_mode()  # NPGAN_FAST=1: seconds, not minutes (see npgan.tutorial)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
REPO = HERE.parent
FIGURES = tutorial.figures_folder(HERE)  # tutorials/figures/ in a full run, a scratch folder in a fast one

mnist = load_mnist()
net = classifiers.load()[0]  # npgan's MNIST classifier: 240 penultimate maxout features, 10 logits
N = 300 if FAST else 5000  # images per set below

# %% [markdown]
# ## 1. Parzen's failure
#
# Tutorial 5 wrote the estimate out: a Gaussian of width sigma on each of the samples,
# sigma chosen on validation images, the mean log-density of the test images reported.
# It rewards samples that sit close, in Euclidean distance, to many test images. A
# blurred, typical image is close to many; a sharp one is far from all but a few. So
# take N real training images and blend each with the mean of all training digits,
# `0.8 x + 0.2 mean`: every image gets worse (grey haze, fainter strokes), and the
# estimate goes *up*, far above the real images'. The committed generator
# (`pretrained/npgan-mnist-generator.npz`, the average of G over training) lands above
# the real images too (`results/mnist/mnist.md` has the 10,000-sample numbers: 251.8
# against 241.2).

# %%
real = mnist.train_x[:N]
blended = 0.8 * real + 0.2 * mnist.train_x.mean(axis=0)
generator = npgan.load(REPO / "pretrained" / "npgan-mnist-generator.npz")
generated = to_numpy(generator.sample(N, rng=Random(0)))
n_test = 200 if FAST else 2000
parzen = {}
for name, centres in (("real training images", real), ("real blended with the mean digit", blended),
                      ("the committed generator", generated)):
    result = parzen_protocol(asarray(centres, dtype="float32"), asarray(mnist.valid_x[:1000]),
                             asarray(mnist.test_x[:n_test]), n_valid=200 if FAST else 1000)
    parzen[name] = result["test_ll"]
    print(f"Parzen, {N} centres: {name:33s} {result['test_ll']:7.1f} +- {result['test_se']:.1f} nats "
          f"(sigma {result['sigma']:.3f})")

# %% [markdown]
# The estimate with N centres is not the model's log-likelihood: with one bandwidth in
# 784 dimensions it measures mostly how close the centres sit to typical test digits.
# Theis, van den Oord and Bethge (2016) show k-means centres beating real data by a wide
# margin the same way. A number that ranks a worse copy of the data above the data
# cannot rank models.
#
# ## 2. The Frechet distance
#
# Fit a Gaussian to each set of features, `N(mu_1, S_1)` for the samples and
# `N(mu_2, S_2)` for real images, and take the 2-Wasserstein distance between the two
# Gaussians (Dowson and Landau, 1982):
#
#     FD = |mu_1 - mu_2|^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))
#
# In one dimension this is `(mu_1 - mu_2)^2 + (s_1 - s_2)^2`: a distance between the
# means plus one between the spreads. Checked on two 1-D Gaussians, then by hand in 2-D
# with `scipy.linalg.sqrtm` against `metrics.frechet_distance_between`:

# %%
one_d = metrics.frechet_distance_between(np.array([1.0]), np.array([[4.0]]), np.array([0.0]), np.array([[1.0]]))
print(f"1-D: FD(N(1, 2^2), N(0, 1)) = {one_d:.6f} (by the formula: (1 - 0)^2 + (2 - 1)^2 = 2)")
assert abs(one_d - 2) < 1e-9
rng = np.random.default_rng(0)
a = rng.normal(size=(500, 2)) @ np.array([[1.0, 0.3], [0.0, 0.5]]) + [1.0, 0.0]
b = rng.normal(size=(400, 2))
mu_a, cov_a, mu_b, cov_b = a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False)
by_hand = ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * scipy.linalg.sqrtm(cov_a @ cov_b).real)
print(f"2-D: by hand {by_hand:.6f}, npgan {metrics.frechet_distance(a, b):.6f}")
assert abs(by_hand - metrics.frechet_distance(a, b)) < 1e-9

# %% [markdown]
# **When it lies.** FD sees only the first two moments. Two sets with the same mean and
# covariance are at distance 0 whatever their shapes: ring-8's eight modes against a
# single Gaussian blob with the ring's mean and covariance, which has no mode at all.

# %%
ring = to_numpy(make_toy("ring-8").sample(4000, Random(1), dtype="float64"))
blob = rng.multivariate_normal(ring.mean(0), np.cov(ring, rowvar=False), size=4000)
print(f"FD(ring-8, a Gaussian blob of the same mean and covariance) = {metrics.frechet_distance(ring, blob):.4f}; "
      f"FD(ring-8, ring-8 shrunk to radius 0.9) = {metrics.frechet_distance(ring, 0.9 * ring):.4f}")

# %% [markdown]
# A perfect-looking score for a distribution that puts almost no sample near a mode,
# and a larger one for a ring that is only slightly too small. On images the features
# have 240 dimensions and the fit is better than in 2-D, but the principle stands: FD
# is a distance between Gaussian fits, and it also depends on the number of samples
# (its estimate is biased upwards for small sets, so compare numbers at equal N).
#
# ## 3. The Inception score, the idea
#
# A classifier gives each sample a distribution over classes, `p(y | x)`. Good samples
# are confidently one class (`p(y | x)` peaked: low entropy) and all classes occur (the
# marginal `p(y) = E_x p(y | x)` flat: high entropy). Both at once is the mutual
# information between sample and class,
#
#     I = H(y) - E_x H(y | x) = E_x KL(p(y | x) || p(y)),      IS = exp(I)
#
# between 1 (every sample the same mixture, or the same confident class) and K = 10
# (confident and balanced). By hand on three tiny sets of probabilities:

# %%
def inception_by_hand(p):
    marginal = p.mean(axis=0)
    return float(np.exp(np.mean((p * (np.log(p) - np.log(marginal))).sum(axis=1))))


eps = 1e-6
cases = {"confident and balanced": np.eye(10) * (1 - 10 * eps) + eps,
         "confident, one class": np.tile(np.eye(10)[3] * (1 - 10 * eps) + eps, (10, 1)),
         "unsure (uniform)": np.full((10, 10), 0.1)}
for name, p in cases.items():
    library = metrics.inception_score(np.log(p))
    print(f"{name:24s}: by hand {inception_by_hand(p):.4f}, npgan {library:.4f}")
    assert abs(inception_by_hand(p) - library) < 1e-6

# %% [markdown]
# **When it lies.** The score cannot see diversity *within* a class, nor whether the
# classes come in the data's proportions beyond "all occur". Ten real test digits, the
# one of each class the classifier is surest of, each repeated N/10 times, is the worst
# generator imaginable (ten images) and scores at the ceiling, above real data, whose
# ambiguous digits lower their score (section 6's table).
#
# ## 4. Precision and recall
#
# Estimate each distribution's support by the union of balls around its points, each
# reaching the point's k-th nearest neighbour in its own set (Kynkaanniemi et al., 2019):
#
#     precision = share of samples inside some real ball     (are the samples realistic?)
#     recall    = share of real points inside some sample ball (is the data covered?)
#
# By hand on ring-8, with a "generator" that covers three of the eight modes: precision
# near 1 (every sample is on a mode), recall near 3/8.

# %%
def precision_recall_by_hand(real, fake, k=3):
    def radii(points):
        d2 = ((points[:, None] - points[None]) ** 2).sum(axis=2)
        return np.sort(d2, axis=1)[:, k]  # entry 0 is the point itself

    def inside(queries, reference, r):
        d2 = ((queries[:, None] - reference[None]) ** 2).sum(axis=2)
        return float((d2 <= r[None, :]).any(axis=1).mean())

    return inside(fake, real, radii(real)), inside(real, fake, radii(fake))


ring_real = to_numpy(make_toy("ring-8").sample(800, Random(2), dtype="float64"))
centres = make_toy("ring-8").centres
three = centres[rng.choice([0, 3, 5], size=800)] + 0.01 * rng.normal(size=(800, 2))
hand = precision_recall_by_hand(ring_real, three)
library = metrics.precision_recall(ring_real, three, k=3)
print(f"three of eight modes: precision {hand[0]:.3f}, recall {hand[1]:.3f} by hand; "
      f"npgan {library['precision']:.3f}, {library['recall']:.3f}")
assert np.allclose(hand, (library["precision"], library["recall"]))
stray = np.concatenate([three, centres[[1]]])  # one more sample, alone on a fourth mode
with_stray = metrics.precision_recall(ring_real, stray, k=3)
print(f"the same with one more sample, alone on mode 1: precision {with_stray['precision']:.3f}, "
      f"recall {with_stray['recall']:.3f}")

# %% [markdown]
# **When it lies.** A ball's size is set by the point's own neighbours, so an isolated
# point has a large ball: one sample alone on mode 1 reaches its k-th neighbour only on
# the next mode the generator draws, and its ball covers all of mode 1 and part of
# mode 2, which the generator never draws. One sample in 800 raises recall by more than
# a mode's share (1/8), printed above; an outlier among the *real* points inflates
# precision the same way (Naeem et al., 2020).
# Both measures also depend on `k` and on the set sizes; compare at equal settings, and
# against real data's own scores, which are below 1 (the balls do not cover everything).
#
# ## 5. Class balance and the copy detector
#
# **Class balance**: the histogram `h` of the classifier's predicted digits, and
# `KL(h || u) = sum_k h_k log(h_k K)` against the uniform mix: 0 when balanced, `log 2`
# when only five digits occur. It sees mode collapse between classes and nothing else.
#
# **The copy detector** asks the question of the paper's Figure 2 with a threshold: the
# distance from each sample to its nearest training image, against the distances of
# *new* digits (test images) to theirs. Below the 1st percentile of those, a sample is
# closer to a training image than 99% of new digits are: a likely copy. By hand, on the
# committed generator's samples:

# %%
test_to_train = net.reference["test_to_train"]  # stored with the classifier: all 10,000 test images
threshold = float(np.percentile(test_to_train, 1.0))
train = mnist.train_x if not FAST else mnist.train_x[:5000]
few, part = generated[:20].astype(np.float64), train[:2000].astype(np.float64)
by_hand = np.sqrt(((few[:, None, :] - part[None]) ** 2).sum(axis=2)).min(axis=1)  # 20 samples, by the definition
library = to_numpy(metrics.nearest_distances(asarray(few), asarray(part)))
assert np.allclose(by_hand, library, atol=1e-6)
nearest = to_numpy(metrics.nearest_distances(asarray(generated), asarray(train)))
print(f"threshold (1st percentile of test-to-train distances): {threshold:.3f}")
print(f"committed generator: {np.mean(nearest < threshold):.2%} of {N} samples closer than that to a training image")
shifted = np.roll(mnist.train_x[:N].reshape(-1, 28, 28), 1, axis=2).reshape(-1, 784)  # copies, one pixel right
shifted_distances = to_numpy(metrics.nearest_distances(asarray(shifted), asarray(train)))
print(f"training images moved one pixel right: {np.mean(shifted_distances < threshold):.2%} flagged as copies")

# %% [markdown]
# **When it lies.** Distances in pixels are not distances between digits: every one of
# the shifted images is a training image moved by one pixel, a copy by any reading, and
# the detector flags almost none of them. It catches exact (or nearly exact) copies and
# nothing else; and a generator that memorised the data but adds a little noise passes
# too.
#
# ## 6. npgan's generators, real images and three cheats
#
# Every measure of sections 2-5 on the same N images per row, against the first N test
# images as the reference: real validation images (new digits: the scores a perfect
# generator would get), the committed MLP generator, the committed DCGAN generator,
# the committed VAE's samples (tutorial 9 builds it), and three cheats:
# the blended images of section 1, ten digits repeated (section 3), and the shifted
# copies (section 5).

# %%
def measure(images, reference_features):
    features = net.features(asarray(images, dtype="float32"))
    logits = net.logits_from_features(features)
    pr = metrics.precision_recall(reference_features, features, k=3)
    balance = metrics.class_balance(logits)
    distances = to_numpy(metrics.nearest_distances(asarray(images, dtype="float32"), asarray(train)))
    return {"FD": metrics.frechet_distance(features, reference_features), "IS": metrics.inception_score(logits),
            "precision": pr["precision"], "recall": pr["recall"], "class KL": balance["kl_to_uniform"],
            "copies": float(np.mean(distances < threshold))}


reference = net.features(asarray(mnist.test_x[:N]))
test_probabilities = to_numpy(net.logits(asarray(mnist.test_x[:2000])))
ten = np.stack([mnist.test_x[:2000][np.flatnonzero(mnist.test_y[:2000] == digit)[
    test_probabilities[mnist.test_y[:2000] == digit, digit].argmax()]] for digit in range(10)])  # the surest of each
rows = {
    "real validation images": mnist.valid_x[:N],
    "MLP GAN (committed, averaged)": generated,
    "DCGAN (committed)": to_numpy(npgan.load(REPO / "pretrained" / "npgan-mnist-dcgan-generator.npz").sample(
        N, rng=Random(3))),
    "VAE samples (committed)": to_numpy(npgan.load(REPO / "pretrained" / "npgan-mnist-vae.npz").sample(
        N, rng=Random(4))),
    "cheat: real blended with the mean": blended,
    "cheat: ten digits, repeated": np.repeat(ten, N // 10, axis=0),
    "cheat: training images shifted 1 px": shifted,
}
table = {name: measure(images, reference) for name, images in rows.items()}
columns = ["FD", "IS", "precision", "recall", "class KL", "copies"]
print(f"{'':36s}" + "".join(f"{c:>10s}" for c in columns))
for name, row in table.items():
    print(f"{name:36s}" + "".join(f"{row[c]:10.3f}" for c in columns))

fig, axes = plt.subplots(1, 4, figsize=(16, 4.4))
for ax, name in zip(axes, ("MLP GAN (committed, averaged)", "DCGAN (committed)", "VAE samples (committed)",
                           "cheat: real blended with the mean")):
    ax.imshow(tile_images(np.asarray(rows[name][:40]), 8), cmap="gray", vmin=0, vmax=1)
    ax.set_title(name, fontsize=9)
    ax.axis("off")
fig.tight_layout()
path = FIGURES / "08_samples.png"
fig.savefig(path, dpi=80)
plt.show()
fig, axes = plt.subplots(1, len(columns), figsize=(18, 4))
for ax, column in zip(axes, columns):
    ax.barh(list(table), [table[name][column] for name in table],
            color=["0.5"] + ["C0"] * 3 + ["C3"] * 3)
    ax.set_title(column, fontsize=10)
    ax.tick_params(axis="y", labelsize=7)
    if column != columns[0]:
        ax.set_yticklabels([])
    ax.invert_yaxis()
fig.tight_layout()
path2 = FIGURES / "08_measures.png"
fig.savefig(path2, dpi=80)
plt.show()
print("saved", path, "and", path2)

# %% [markdown]
# How to read the table (from the full run, N = 5000; a fast run's numbers mean nothing):
#
# * the real validation images are the ceiling, and it is not perfect: FD about 1.7,
#   precision and recall about 0.83-0.85, because N images are a sample too. Judge models
#   against that row, at the same N;
# * the ten-digit cheat gets an IS of 10, *above* real data, a class KL of 0 and a
#   precision of 1: those three cannot see that it is ten images. Its recall (0.002) and
#   its FD (about 110: the collapsed covariance) can;
# * the blended images, which Parzen ranked far above real data, keep a real-looking IS
#   and class balance (the classifier still reads the digits), and even a precision above
#   the real images' (typical features sit inside the real balls). FD (about 13) and
#   recall (about 0.1) see the haze; the copy detector flags a quarter of them, since each
#   is 80% a training image;
# * the shifted copies pass the copy detector and score like real data on everything
#   else, FD better than the committed MLP generator's (about 3.7 against 4.0): they *are*
#   real digits. Memorisation
#   is invisible to every measure here except a detector that compares digits rather than
#   pixels (an exercise below);
# * between the models FD, IS and class balance agree on the order (the committed DCGAN
#   first, FD about 2.1, then the MLP GAN, about 4.0, then the VAE, about 14); the
#   precision/recall pair says which way each falls short: the DCGAN covers more of the
#   real digits (recall 0.84 against 0.80), the MLP GAN's samples lie inside the real
#   digits' balls more often (precision 0.81 against 0.77).
#
# ## What to take away
#
# * Parzen windows in pixel space rank blurred, typical images above real ones: do not
#   rank models with them.
# * FD compares Gaussian fits of classifier features: sensitive to quality and diversity
#   at once, blind beyond two moments, biased by N.
# * The Inception score is the mutual information between sample and class: confident
#   and balanced, nothing more; ten images can max it out.
# * Precision and recall split quality from coverage, through k-NN balls that outliers
#   inflate.
# * Class balance sees collapse between classes only; the copy detector sees only
#   near-exact copies. Report several measures, with the real data's own scores, at
#   equal sample sizes, and look at the samples.
#
# ## Exercises
#
# 1. Show numerically that the FD estimate is biased upwards for small sets: draw two
#    independent sets of N real test images' features and compute their FD for N = 100,
#    500, 2000.
# 2. Compute the Inception score of the data's own class mix: if a generator drew
#    perfect digits but in proportions (0.2, 0.2, 0.2, 0.2, 0.2, 0, 0, 0, 0, 0), what
#    would IS and the class KL be? Derive both, then check with `metrics`.
# 3. Make the copy detector catch the shifted copies: compare each sample with every
#    training image shifted by up to one pixel in each direction.
#
# Solutions: `tutorials/solutions/08_evaluation.py` (the test suite runs it in fast mode).
