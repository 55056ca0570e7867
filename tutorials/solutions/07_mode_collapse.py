# %% [markdown]
# # Solutions to tutorial 7's exercises
#
# Each solution checks itself (an `assert`); a second, no training.

# %%
import numpy as np

from npgan.backend import Random, to_numpy
from npgan.datasets.toy import make_toy
from npgan.evaluation.modes import mode_metrics
from npgan.nn.optim import ExponentialDecay
from npgan.presets import get_preset

# %% [markdown]
# ## 1. PacGAN's metrics by hand
#
# A collapsed "generator": 900 samples from three of ring-8's modes (70% in one of them)
# and 100 scattered points. Assign each sample to its nearest centre, keep it if it lies
# within 3 standard deviations, count per mode; the reverse KL is `sum_k q_k log(q_k K)`
# over the modes with samples. Compare with `mode_metrics`.

# %%
ring = make_toy("ring-8")
rng = np.random.default_rng(0)
which = rng.choice([0, 2, 5], size=900, p=[0.7, 0.2, 0.1])
samples = np.concatenate([ring.centres[which] + ring.std * rng.standard_normal((900, 2)),
                          rng.uniform(-1.5, 1.5, (100, 2))])
distances = np.linalg.norm(samples[:, None, :] - ring.centres[None], axis=2)
nearest, good = distances.argmin(axis=1), distances.min(axis=1) <= 3 * ring.std
counts = np.bincount(nearest[good], minlength=8)
q = counts[counts > 0] / counts.sum()
by_hand = {"modes_covered": int((counts > 0).sum()), "high_quality": good.mean(),
           "reverse_kl": float((q * np.log(q * 8)).sum())}
library = mode_metrics(samples, ring.centres, ring.std)
print("by hand:", {k: round(float(v), 4) for k, v in by_hand.items()}, "counts", counts)
print("npgan  :", {k: round(float(library[k]), 4) for k in by_hand}, "counts", library["counts"])
assert (library["counts"] == counts).all() and library["modes_covered"] == by_hand["modes_covered"] == 3
assert abs(library["reverse_kl"] - by_hand["reverse_kl"]) < 1e-12
assert abs(library["high_quality"] - by_hand["high_quality"]) < 1e-12

# %% [markdown]
# ## 2. How far does the rate fall?
#
# The plain presets divide the rate by `lr_decay` after every update, down to `lr_min`.
# Over ring-8-plain's 40 epochs of 100 updates, `1.000576^4000 = e^(4000 * 0.000576)`,
# about `e^2.3 = 10`: the rate falls tenfold, from 0.02 to 0.002, and the floor 0.001
# (twentyfold) is never reached. When would it be?

# %%
config = get_preset("ring-8-plain")
schedule = ExponentialDecay(config.lr, config.lr_decay, config.lr_min, config.lr_decay_start)
updates = config.epochs * config.iters_per_epoch
print(f"{updates} updates: rate {config.lr} -> {schedule(updates):.5f}, {config.lr / schedule(updates):.2f}-fold")
floor_at = int(np.ceil(np.log(config.lr / config.lr_min) / np.log(config.lr_decay)))
print(f"the floor {config.lr_min} is reached after {floor_at} updates ({floor_at / config.iters_per_epoch:.0f} epochs)")
assert 9.9 < config.lr / schedule(updates) < 10.1 and floor_at > updates

# %% [markdown]
# ## 3. A frozen D's favourite point
#
# For a fixed D the best G puts all its mass where D is largest. For a D that is a
# mixture of bumps on the modes, the non-saturating loss `-mean log D(G(z))` over G's
# samples is smallest when every sample sits on the highest bump: one mode.

# %%
heights = np.array([0.9, 0.5, 0.6, 0.7, 0.8, 0.5, 0.6, 0.95])  # D's value at each mode


def D(points):
    d2 = ((points[:, None, :] - ring.centres[None]) ** 2).sum(axis=2)
    return (heights[None] * np.exp(-d2 / (2 * 0.05**2))).max(axis=1).clip(1e-6, 1)


spread = to_numpy(ring.sample(800, Random(1), dtype="float64"))
collapsed = np.repeat(ring.centres[[heights.argmax()]], 800, axis=0)
loss_spread, loss_collapsed = -np.log(D(spread)).mean(), -np.log(D(collapsed)).mean()
print(f"G's loss against this D: spread over all modes {loss_spread:.3f}, all on mode {heights.argmax()} "
      f"{loss_collapsed:.3f}")
assert loss_collapsed < loss_spread
