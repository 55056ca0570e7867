# %% [markdown]
# # Solutions to tutorial 10's exercises
#
# Each solution checks itself (an `assert`). They use the committed generator and
# encoder in `pretrained/` and no data set.

# %%
from pathlib import Path

import numpy as np

import npgan
from npgan.backend import Random, asarray, to_numpy

REPO = Path(__file__).resolve().parents[2] if "__file__" in globals() else Path.cwd().parents[1]
gan = npgan.load(REPO / "pretrained" / "npgan-mnist-generator.npz")

# %% [markdown]
# ## 1. Interpolating along the sphere
#
# The straight line between two codes of length about 10 passes through codes of length
# about 7, which the prior never draws. Spherical interpolation,
# `slerp(t) = sin((1 - t) w) / sin w * a + sin(t w) / sin w * b` with `cos w = a.b / |a||b|`,
# keeps the length between the two ends'. Compare the lengths along both paths.

# %%
a, b = (to_numpy(gan.sample_noise(1, Random(seed)))[0].astype(np.float64) for seed in (1, 2))
t = np.linspace(0, 1, 11)[:, None]
omega = np.arccos(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
line = (1 - t) * a + t * b
arc = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
print("lengths along the line:", np.round(np.linalg.norm(line, axis=1), 2))
print("lengths along the arc :", np.round(np.linalg.norm(arc, axis=1), 2))
low, high = sorted((np.linalg.norm(a), np.linalg.norm(b)))
assert np.linalg.norm(line, axis=1)[5] < 0.8 * low
assert (np.linalg.norm(arc, axis=1) > 0.97 * low).all() and (np.linalg.norm(arc, axis=1) < 1.03 * high).all()
images = to_numpy(gan.G.forward(asarray(arc, dtype="float32"), training=False))  # G along the arc
assert images.shape == (11, 784)

# %% [markdown]
# ## 2. The encoder answers a mean, and means are short
#
# Trained by squared error, E learns `E[z | x]`, the mean of the codes that draw `x`.
# Encode G's own samples: the codes E returns are much shorter than the codes that made
# them, and E recovers only part of each code (the correlation per coordinate).

# %%
encoder = npgan.load(REPO / "pretrained" / "npgan-mnist-encoder.npz")
z = gan.sample_noise(500, Random(3))
codes = to_numpy(encoder.encode(gan.G.forward(z, training=False)))
z = to_numpy(z)
lengths = np.linalg.norm(z, axis=1).mean(), np.linalg.norm(codes, axis=1).mean()
correlation = np.mean([np.corrcoef(z[:, j], codes[:, j])[0, 1] for j in range(z.shape[1])])
print(f"mean length: codes that made the images {lengths[0]:.2f}, E's answers {lengths[1]:.2f}; "
      f"mean correlation per coordinate {correlation:.2f}")
assert lengths[1] < 0.8 * lengths[0] and 0 < correlation < 1
