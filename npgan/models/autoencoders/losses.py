"""The autoencoders' losses and the VAE's two pieces: forward/backward pairs with their derivations.

Shapes: ``N`` images, ``D`` pixels, ``L`` code (latent) dimensions. Every loss is *per
image*, summed over its ``D`` pixels (or ``L`` latent dimensions), and averaged over the
``N`` images of the batch: so a Bernoulli loss is in nats per image, the unit of the
published VAE bounds. Each loss returns ``(loss, gradient...)``: the loss a 0-d array of
the backend (call ``float()`` only when logging), each gradient of its input's shape and
dtype. ``log_mean_exp`` and ``log_standard_normal`` serve the importance-weighted bound
(``npgan.models.autoencoders.bounds``).

With ``l`` a logit and ``s = sigmoid(l)``, ``log s = -softplus(-l)`` and
``log(1 - s) = -softplus(l)`` (``npgan.nn.losses``): finite for any logit.
"""

import math

from npgan.backend import get_backend
from npgan.nn.kernels import sigmoid
from npgan.nn.losses import softplus


def _check_pair(a, b, name, a_name, b_name):
    """``ValueError`` unless ``a`` is a non-empty (N, width) array and ``b`` has its shape."""
    if getattr(a, "ndim", None) != 2 or a.shape[0] == 0:
        raise ValueError(f"{name}: expected {a_name} of shape (batch, width), got {getattr(a, 'shape', None)}")
    if tuple(getattr(b, "shape", ())) != tuple(a.shape):
        raise ValueError(f"{name}: expected {b_name} of shape {tuple(a.shape)}, got {getattr(b, 'shape', None)}")


def bernoulli_log_likelihood(logits, x):
    """``log p(x | l)`` of pixels ``x`` under independent Bernoullis with means ``sigmoid(l)``.

    Summed over the last axis (the pixels): ``(..., D) -> (...)``; ``x`` broadcasts
    against ``logits`` (one image against many decodings of it). Per pixel,

        x log s + (1 - x) log(1 - s) = -x softplus(-l) - (1 - x) softplus(l)
                                     = -(softplus(l) - x l),

    using ``softplus(-l) = softplus(l) - l``. For binary ``x`` this is a log-probability;
    for grey ``x`` in (0, 1) it is the same formula but no longer the log of a
    probability of anything (the "Bernoulli" of a grey pixel is not normalised).
    """
    return (x * logits).sum(axis=-1) - softplus(logits).sum(axis=-1)


def bernoulli_cross_entropy(logits, x):
    """Reconstruction loss ``L = -(1/N) sum_n log p(x_n | l_n)``, from logits; nats per image.

    logits, x: (N, D), ``x`` in [0, 1]. With ``L_nd = softplus(l_nd) - x_nd l_nd`` (see
    ``bernoulli_log_likelihood``) and ``L = (1/N) sum_nd L_nd``,

        dL/dl_nd = (1/N) (sigmoid(l_nd) - x_nd),

    since ``d softplus(l)/dl = e^l / (1 + e^l) = sigmoid(l)``. Returns ``(loss, dlogits)``.
    """
    _check_pair(logits, x, "bernoulli_cross_entropy", "logits", "targets x")
    n = logits.shape[0]
    loss = -bernoulli_log_likelihood(logits, x).sum() / n
    dlogits = (sigmoid(logits) - x) / n
    return loss, dlogits.astype(logits.dtype, copy=False)


def squared_error(y, x):
    """Reconstruction loss ``L = (1/N) sum_nd (y_nd - x_nd)^2``: squared error per image.

    y: (N, D) the reconstruction (pixels, after the sigmoid), x: (N, D) the target.
    ``dL/dy_nd = (2/N) (y_nd - x_nd)``. Returns ``(loss, dy)``.
    """
    _check_pair(y, x, "squared_error", "reconstructions y", "targets x")
    n = y.shape[0]
    diff = y - x
    loss = (diff * diff).sum() / n
    return loss, (2.0 / n * diff).astype(y.dtype, copy=False)


def reparameterize_forward(mu, logvar, eps):
    """The reparameterisation trick (Kingma and Welling, 2014): ``z = mu + sigma * eps``.

    ``sigma = exp(logvar / 2)``, and ``eps ~ N(0, I)`` is drawn by the caller and held
    fixed here, so ``z`` is a deterministic, differentiable function of ``(mu, logvar)``
    with the distribution ``N(mu, diag sigma^2)``. mu, logvar, eps: (N, L) -> z: (N, L);
    cache = ``(sigma, eps)``.
    """
    _check_pair(mu, logvar, "reparameterize_forward", "mu", "logvar")
    _check_pair(mu, eps, "reparameterize_forward", "mu", "eps")
    xp = get_backend()
    sigma = xp.exp(0.5 * logvar)
    return mu + sigma * eps, (sigma, eps)


def reparameterize_backward(dz, cache):
    """Gradients of ``z = mu + exp(logvar / 2) * eps`` with ``eps`` fixed.

    ``z_nj`` depends on ``mu_nj`` and ``logvar_nj`` only, so, element by element,

        dz_nj/dmu_nj     = 1                                 ->  dmu     = dz
        dz_nj/dlogvar_nj = eps_nj d exp(logvar_nj / 2)/dlogvar_nj
                         = eps_nj sigma_nj / 2               ->  dlogvar = dz * eps * sigma / 2

    (the 1/2 comes from ``sigma = exp(logvar / 2)``: dropping it is the classic slip).
    Returns ``(dmu, dlogvar)``, each (N, L).
    """
    sigma, eps = cache
    if tuple(dz.shape) != tuple(sigma.shape):
        raise ValueError(f"reparameterize_backward: expected dz of shape {tuple(sigma.shape)}, got {tuple(dz.shape)}")
    return dz, dz * eps * sigma * 0.5


def gaussian_kl(mu, logvar):
    """``KL(q || p)`` with ``q = N(mu, diag exp(logvar))`` and ``p = N(0, I)``, analytic; mean over images.

    Per latent dimension, ``log q(z) = -log(2 pi)/2 - logvar/2 - (z - mu)^2 / (2 sigma^2)``
    and ``log p(z) = -log(2 pi)/2 - z^2/2``. Under ``q``, ``E[(z - mu)^2] = sigma^2`` and
    ``E[z^2] = mu^2 + sigma^2``, so ``E_q[log q - log p] = -logvar/2 - 1/2 + (mu^2 + sigma^2)/2``:

        KL_n = (1/2) sum_j (mu_nj^2 + exp(logvar_nj) - 1 - logvar_nj),   K = (1/N) sum_n KL_n

    (zero exactly when ``mu = 0`` and ``logvar = 0``, positive otherwise). Differentiating,

        dK/dmu_nj     = mu_nj / N
        dK/dlogvar_nj = (exp(logvar_nj) - 1) / (2 N)

    The VAE *adds* ``K`` to the reconstruction loss (the negative ELBO); subtracting it
    would reward posteriors far from the prior. Returns ``(K, dmu, dlogvar)``.
    """
    _check_pair(mu, logvar, "gaussian_kl", "mu", "logvar")
    xp = get_backend()
    n = mu.shape[0]
    variance = xp.exp(logvar)
    kl = 0.5 * (mu * mu + variance - 1.0 - logvar).sum() / n
    dmu = (mu / n).astype(mu.dtype, copy=False)
    dlogvar = ((variance - 1.0) * (0.5 / n)).astype(logvar.dtype, copy=False)
    return kl, dmu, dlogvar


def log_mean_exp(a, axis=-1):
    """``log(mean(exp(a), axis))`` without overflow or underflow.

    With ``m = max(a, axis)``: ``log mean exp(a) = m + log mean exp(a - m)``, and every
    ``a - m <= 0`` with at least one equal to 0, so the mean lies in ``[1/k, 1]``.
    """
    xp = get_backend()
    m = a.max(axis=axis, keepdims=True)
    return (m + xp.log(xp.exp(a - m).mean(axis=axis, keepdims=True))).squeeze(axis)


def log_standard_normal(z):
    """``log N(z; 0, I)`` summed over the last axis: ``-(1/2) sum_j z_j^2 - (L/2) log(2 pi)``."""
    return -0.5 * (z * z).sum(axis=-1) - 0.5 * z.shape[-1] * math.log(2 * math.pi)
