# %% [markdown]
# # Solutions to tutorial 9's exercises
#
# Each solution checks itself (an `assert`). They use the committed VAE in `pretrained/`
# and no data set; `NPGAN_FAST=1` uses fewer images.

# %%
from pathlib import Path

import numpy as np

import npgan
from npgan import tutorial
from npgan.backend import Random, to_numpy
from npgan.models.autoencoders import losses as ae_losses
from npgan.models.autoencoders.bounds import bounds

FAST = tutorial.fast_mode()
REPO = Path(__file__).resolve().parents[2] if "__file__" in globals() else Path.cwd().parents[1]

# %% [markdown]
# ## 1. The analytic KL against its definition
#
# `KL(q || p) = E_q[log q(z) - log p(z)]`: draw many `z = mu + sigma eps` and average
# the log-ratio. It must agree with the closed form
# `1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)` within Monte Carlo error, and be
# >= 0 for every posterior.

# %%
rng = np.random.default_rng(0)
mu, logvar = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)) * 0.5
eps = rng.standard_normal((200000, 3, 4))
z = mu + np.exp(logvar / 2) * eps
log_q = (-0.5 * eps**2 - 0.5 * np.log(2 * np.pi) - logvar / 2).sum(axis=2)
log_p = (-0.5 * z**2 - 0.5 * np.log(2 * np.pi)).sum(axis=2)
monte_carlo = (log_q - log_p).mean(axis=0)
closed = 0.5 * (mu**2 + np.exp(logvar) - 1 - logvar).sum(axis=1)
print("Monte Carlo:", np.round(monte_carlo, 3), " closed form:", np.round(closed, 3))
assert np.allclose(monte_carlo, closed, atol=0.03) and (closed >= 0).all()
assert abs(float(ae_losses.gaussian_kl(mu, logvar)[0]) - closed.mean()) < 1e-12  # npgan's: the batch mean

# %% [markdown]
# ## 2. The bounds rise with k, on the committed VAE
#
# `L_k = E log (1/k) sum_i p(x, z_i) / q(z_i | x)` is a lower bound on `log p(x)` for
# every k, `L_1` is the ELBO (estimated), and `L_k` rises with k (Burda et al.). Check it
# on the VAE's own samples (no data set needed).

# %%
vae = npgan.load(REPO / "pretrained" / "npgan-mnist-vae.npz")
x = vae.sample(20 if FAST else 200, rng=Random(1))
values = {k: float(to_numpy(bounds(vae, x, k, Random(2))["iw"]).mean()) for k in (1, 10, 100)}
elbo = float(to_numpy(bounds(vae, x, 100, Random(2))["elbo"]).mean())
print({f"L_{k}": round(v, 2) for k, v in values.items()}, f"ELBO {elbo:.2f}")
assert values[1] < values[10] < values[100] and elbo < values[100]
