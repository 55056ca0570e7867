"""Bounds on a VAE's log p(x), in nats per image, and ``npgan elbo``, which reports them on the test set.

For an image ``x`` and ``k`` draws ``z_i = mu + sigma * eps_i`` from ``q(z | x)``,
importance sampling with ``q`` as the proposal gives (Burda, Grosse and Salakhutdinov,
2016, eq. 8)

    log w_i = log p(x | z_i) + log p(z_i) - log q(z_i | x)
    L_k     = log (1/k) sum_i w_i = log_mean_exp_i(log w_i),

whose expectation is a lower bound on ``log p(x)`` (Jensen: ``E log mean w <= log E w =
log p(x)``) that rises with ``k`` and reaches ``log p(x)`` as ``k -> inf`` (their
Theorem 1). ``L_1`` is the ELBO. Here ``log p(z) = log N(z; 0, I)`` and
``log q(z | x) = log N(eps; 0, I) - (1/2) sum_j logvar_j`` (the density of
``mu + sigma * eps`` is that of ``eps`` divided by ``prod_j sigma_j``). The ELBO is
reported with its analytic KL, ``mean_i log p(x | z_i) - KL(q || p)``, over the same
draws. Both are means over the images, with their standard errors (std / sqrt(n)).

These are log-*probabilities* only for binary pixels (``ae_binarize = "stochastic"``:
the test images binarised once, ``autoencoder_model.evaluation_images``). On grey pixels
the same formulas give a Bernoulli cross-entropy bound that is no log-likelihood of the
images, and ``npgan elbo`` says so.
"""

import math

from npgan.backend import get_backend, to_numpy
from npgan.models.autoencoders import losses as ae_losses
from npgan.progress import Progress

ROWS_PER_CHUNK = 10000  # decoded images at a time (k per test image): about 31 MB of float32 logits


def bounds(vae, x, k, rng, rows_per_chunk=ROWS_PER_CHUNK):
    """Per image of ``x`` (n, D): ``{"elbo": (n,), "iw": (n,)}``, float64 arrays of the backend.

    ``iw`` is ``L_k`` from ``k`` draws of ``eps`` from ``rng``; ``elbo`` uses the same draws.
    """
    xp = get_backend()
    if k < 1:
        raise ValueError(f"bounds: k must be >= 1, got {k}")
    per_chunk = max(1, rows_per_chunk // k)
    elbo, iw = [], []
    progress = Progress(len(x), f"bounds on log p(x), k = {k}", unit="images")
    for start in range(0, len(x), per_chunk):
        xc = x[start:start + per_chunk]  # (c, D)
        c = len(xc)
        mu, logvar = vae.posterior(xc)  # (c, L) each
        eps = rng.normal((c, k, vae.code_dim), dtype=mu.dtype.name)
        z = mu[:, None, :] + xp.exp(0.5 * logvar)[:, None, :] * eps  # (c, k, L)
        logits = vae.G.forward(z.reshape(c * k, -1), training=False).reshape(c, k, -1)  # (c, k, D)
        log_px = ae_losses.bernoulli_log_likelihood(logits, xc[:, None, :]).astype("float64")  # (c, k)
        log_pz = ae_losses.log_standard_normal(z.astype("float64"))
        log_qz = (ae_losses.log_standard_normal(eps.astype("float64"))
                  - 0.5 * logvar.astype("float64").sum(axis=1)[:, None])
        iw.append(ae_losses.log_mean_exp(log_px + log_pz - log_qz, axis=1))
        mu, logvar = mu.astype("float64"), logvar.astype("float64")
        kl = 0.5 * (mu * mu + xp.exp(logvar) - 1.0 - logvar).sum(axis=1)
        elbo.append(log_px.mean(axis=1) - kl)
        progress.update(c)
    progress.close()
    return {"elbo": xp.concatenate(elbo), "iw": xp.concatenate(iw)}


def summary(values):
    """``(mean, standard error)`` of per-image values, as Python floats."""
    host = to_numpy(values)
    return float(host.mean()), float(host.std() / math.sqrt(len(host)))
