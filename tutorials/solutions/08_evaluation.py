# %% [markdown]
# # Solutions to tutorial 8's exercises
#
# Each solution checks itself (an `assert`). They read MNIST (`NPGAN_DATA_DIR`) and the
# committed classifier; `NPGAN_FAST=1` uses fewer images.

# %%
import numpy as np

from npgan import tutorial
from npgan.backend import asarray, to_numpy
from npgan.datasets.idx import load_mnist
from npgan.evaluation import classifier as classifiers
from npgan.evaluation import metrics

FAST = tutorial.fast_mode()
mnist = load_mnist()
net = classifiers.load()[0]

# %% [markdown]
# ## 1. FD is biased upwards for small sets
#
# Two independent sets of real test images have the same distribution, so their true
# FD is 0; the estimate is not. The sample covariances carry noise of order `1/N` in
# every entry, and `tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))` turns noise into a positive
# distance: the estimate falls as N grows.

# %%
features = to_numpy(net.features(asarray(mnist.test_x)))
sizes = (100, 300, 1000) if FAST else (100, 500, 2000, 5000)
fd = {n: metrics.frechet_distance(features[:n], features[n:2 * n]) for n in sizes}
for n, value in fd.items():
    print(f"N = {n:5d}: FD between two disjoint sets of real test images {value:.3f}")
values = list(fd.values())
assert all(a > b for a, b in zip(values, values[1:]))

# %% [markdown]
# ## 2. Perfect digits of five classes only
#
# With `p(y | x)` one-hot and five classes equally often, `H(y | x) = 0` and
# `H(y) = log 5`, so `IS = exp(log 5) = 5`; the histogram is 0.2 on five classes, and
# `KL(h || u) = sum 0.2 log(0.2 * 10) = log 2`.

# %%
labels = np.repeat(np.arange(5), 200)
logits = np.full((1000, 10), -30.0)
logits[np.arange(1000), labels] = 30.0
score, balance = metrics.inception_score(logits), metrics.class_balance(logits)
print(f"IS {score:.4f} (derived: 5), class KL {balance['kl_to_uniform']:.4f} (derived: log 2 = {np.log(2):.4f})")
assert abs(score - 5) < 1e-6 and abs(balance["kl_to_uniform"] - np.log(2)) < 1e-12

# %% [markdown]
# ## 3. A copy detector that tolerates a one-pixel shift
#
# Compare each sample with every training image moved by -1, 0 or +1 pixel in each
# direction (nine versions) and keep the smallest distance. The shifted copies are then
# at distance 0 from a shifted training image; new digits are not. The threshold must be
# recomputed the same way (test images against the shifted training set), or new digits
# would be flagged more often too.

# %%
n_train = 2000 if FAST else 20000
train = mnist.train_x[:n_train].reshape(-1, 28, 28)
versions = np.concatenate([np.roll(np.roll(train, dy, axis=1), dx, axis=2).reshape(-1, 784)
                           for dy in (-1, 0, 1) for dx in (-1, 0, 1)])
copies = np.roll(train[:200], 1, axis=2).reshape(-1, 784)  # training images moved one pixel right
new = mnist.test_x[:200]
plain_threshold = metrics.copy_threshold(asarray(mnist.train_x[:n_train]), asarray(mnist.test_x[:1000]))
shift_threshold = metrics.copy_threshold(asarray(versions), asarray(mnist.test_x[:1000]))
plain = metrics.copy_share(asarray(copies), asarray(mnist.train_x[:n_train]), plain_threshold)
tolerant = metrics.copy_share(asarray(copies), asarray(versions), shift_threshold)
false_alarms = metrics.copy_share(asarray(new), asarray(versions), shift_threshold)
print(f"shifted copies flagged: {plain:.1%} by the plain detector, {tolerant:.1%} by the shift-tolerant one; "
      f"new digits flagged by it: {false_alarms:.1%}")
assert plain < 0.05 and tolerant > 0.95 and false_alarms < 0.05
