# %% [markdown]
# # Solutions to tutorial 2's exercises
#
# Each solution checks itself (an `assert`); everything takes a second.

# %%
import numpy as np

from npgan.evaluation import theory

grid = np.linspace(-12, 20, 64001)  # wide enough that every density integrates to 1
dx = grid[1] - grid[0]


def log_normal(mean, std):
    return -0.5 * ((grid - mean) / std) ** 2 - np.log(std * np.sqrt(2 * np.pi))


def normal(mean, std):
    return np.exp(log_normal(mean, std))


# %% [markdown]
# ## 1. C(G) by hand for two unit Gaussians
#
# With `p_data = N(0, 1)` and `p_g = N(mu, 1)`: build `D*` by Proposition 1, integrate
# `V(D*, G)` on the grid, and compare with `-log 4 + 2 JSD`, the JSD computed from its
# definition (two KLs against the mixture). For `mu = 0` it must be `-log 4` exactly.
# Far in the tails `D*` rounds to exactly 0 or 1, so work with logarithms throughout:
# `log D* = log p_data - log(p_data + p_g)`, the sum by `logaddexp`.

# %%
for mu in (0.0, 1.0, 3.0, 8.0):
    log_p, log_q = log_normal(0, 1), log_normal(mu, 1)
    p, q = np.exp(log_p), np.exp(log_q)
    log_sum = np.logaddexp(log_p, log_q)
    v = (p * (log_p - log_sum) + q * (log_q - log_sum)).sum() * dx       # V(D*, G)
    log_m = log_sum - np.log(2)
    jsd = 0.5 * (p * (log_p - log_m)).sum() * dx + 0.5 * (q * (log_q - log_m)).sum() * dx
    print(f"mu = {mu}: V(D*, G) = {v:+.6f}, -log 4 + 2 JSD = {-np.log(4) + 2 * jsd:+.6f}, JSD = {jsd:.4f}")
    assert abs(v - (-np.log(4) + 2 * jsd)) < 1e-9
    assert abs(v - theory.virtual_training_criterion(p, q, dx)) < 1e-6
    if mu == 0.0:
        assert abs(v + np.log(4)) < 1e-9
    if mu == 8.0:  # nearly disjoint supports: the JSD saturates at log 2, C(G) at 0
        assert abs(jsd - np.log(2)) < 1e-3

# %% [markdown]
# ## 2. D* is the maximum: any other D scores less
#
# `V(D, G)` is maximised pointwise by `D*`; a D pushed towards 1/2, or shifted, or the
# wrong way round, must score less (and the loss of value is a KL-like gap, zero only at
# `D = D*`).

# %%
p, q = normal(0, 1), normal(1.5, 0.7)
# clipped away from 0 and 1: in the far tails D* rounds to exactly 1 (q / p below 1e-16)
d_star = np.clip(theory.optimal_discriminator(p, q), 1e-15, 1 - 1e-15)
best = theory.value(d_star, p, q, dx)
others = {"towards 1/2": 0.8 * d_star + 0.1, "shifted": np.roll(d_star, 400), "half": np.full_like(p, 0.5)}
for name, d in others.items():
    score = theory.value(np.clip(d, 1e-12, 1 - 1e-12), p, q, dx)
    print(f"V(D, G) for D {name:12s}: {score:+.4f}  (D*: {best:+.4f})")
    assert score < best
