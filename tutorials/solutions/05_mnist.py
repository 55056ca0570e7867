# %% [markdown]
# # Solutions to tutorial 5's exercises
#
# Each solution checks itself (an `assert`); small random sets, no data needed.

# %%
import numpy as np
from scipy.special import logsumexp

from npgan.backend import Random, to_numpy
from npgan.evaluation import parzen
from npgan.evaluation.neighbours import nearest_rows

rng = Random(0)
centres = to_numpy(rng.uniform(0, 1, (50, 20), "float64"))  # "samples" of a generator, 20 "pixels"
points = to_numpy(rng.uniform(0, 1, (8, 20), "float64"))    # "test images"

# %% [markdown]
# ## 1. The Parzen-window estimate by hand
#
# A Gaussian of standard deviation sigma on each of the m samples `s_i`, averaged:
#
#     log p(x) = log (1/m) sum_i N(x; s_i, sigma^2 I)
#              = logsumexp_i(-|x - s_i|^2 / (2 sigma^2)) - log m - (d/2) log(2 pi sigma^2)
#
# computed with a log-sum-exp (the exponentials underflow for MNIST's 784 dimensions).

# %%
sigma = 0.3
squared = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
by_hand = logsumexp(-squared / (2 * sigma**2), axis=1) - np.log(len(centres)) \
    - 0.5 * centres.shape[1] * np.log(2 * np.pi * sigma**2)
library = to_numpy(parzen.log_likelihood(points, centres, sigma, dtype="float64"))
print("by hand:", np.round(by_hand, 3))
print("npgan  :", np.round(library, 3))
assert np.allclose(by_hand, library, rtol=0, atol=1e-9)

# %% [markdown]
# ## 2. The bandwidth matters more than the model
#
# The paper picks sigma on a validation set. Sweep sigma: the estimate of the *same*
# samples on the *same* points moves by many nats, and has an interior maximum.

# %%
sigmas = np.array([0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0])
scores = to_numpy(parzen.log_likelihood(points, centres, sigmas, dtype="float64")).mean(axis=1)
for s, v in zip(sigmas, scores):
    print(f"sigma {s:4.2f}: mean log p {v:8.2f}")
best = int(np.argmax(scores))
assert 0 < best < len(sigmas) - 1 and scores.max() - scores.min() > 10

# %% [markdown]
# ## 3. Nearest neighbours without the square root
#
# `|q - r|^2 = |q|^2 - 2 q.r + |r|^2`, and `|q|^2` is the same for every candidate, so
# the argmin needs only `|r|^2 - 2 q.r`: one matrix product.

# %%
scores_nn = (centres ** 2).sum(axis=1)[None, :] - 2 * points @ centres.T
assert (scores_nn.argmin(axis=1) == squared.argmin(axis=1)).all()
assert (to_numpy(nearest_rows(points, centres)) == squared.argmin(axis=1)).all()
print("nearest sample of each point:", squared.argmin(axis=1))
