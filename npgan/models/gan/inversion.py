"""Inverting a generator: the code z whose image G(z) is closest to a given x.

The gradient through G to its input, ``dL/dz = J_G(z)^T dL/dG(z)``, is G's backward with
its parameters held (``param_grads=False``); ``refine`` descends it, projected back onto
the prior's support after every step, and ``best_of_starts`` keeps each image's best of
several starts. Learned inference refines an encoder's codes with it, and inpainting by
search completes an image from the code that best explains its observed pixels.
"""

from npgan.backend import get_backend
from npgan.nn.optim import Adam


def prior_bound(noise, noise_scale):
    """The half-width of the prior's box (``noise_scale`` for a uniform prior), or ``None`` (Gaussian)."""
    return float(noise_scale) if noise == "uniform" else None


def check_pair(a, b, name, what):
    """``ValueError`` naming ``name`` unless ``a`` and ``b`` are non-empty (batch, width) arrays of one shape."""
    if getattr(a, "ndim", None) != 2 or tuple(a.shape) != tuple(getattr(b, "shape", ())) or a.shape[0] == 0:
        raise ValueError(f"{name}: expected {what} of one shape (batch, width), got "
                         f"{getattr(a, 'shape', None)} and {getattr(b, 'shape', None)}")


def reconstruction_loss(x_hat, x):
    """Squared pixel error of each example, summed over the batch.

    x_hat, x: (N, D). Per example ``r[n] = 1/D sum_d (x_hat[n, d] - x[n, d])^2`` (the mean
    squared error per pixel), and ``L = sum_n r[n]``, so

        dL/dx_hat[n, d] = 2 (x_hat[n, d] - x[n, d]) / D.

    Each example's term depends on its own row only: descending ``L`` over a batch of
    codes moves each code as its own problem would, whatever the batch size. Returns
    ``(r, dx_hat)`` with ``r`` of shape (N,).
    """
    check_pair(x_hat, x, "reconstruction_loss", "reconstructions and images")
    diff = x_hat - x
    return (diff * diff).mean(axis=1), (2.0 / x.shape[1]) * diff


def refinement_gradient(G, z, x):
    """``(r, dz)``: each example's error ``r[n]`` of ``G(z[n])`` against ``x[n]``, and ``dL/dz``.

    G runs in evaluation mode and ``G.backward(dx_hat, param_grads=False)`` is the chain
    rule through G to its input, ``dL/dz[n] = J_G(z[n])^T dL/dx_hat[n]``; G's parameters
    and their gradients are untouched.
    """
    x_hat = G.forward(z, training=False)
    r, dx_hat = reconstruction_loss(x_hat, x)
    return r, G.backward(dx_hat, param_grads=False)


class _Codes:
    """Codes as an optimiser sees a network: ``params``, ``grads`` and ``parameters()``."""

    def __init__(self, z):
        self.params, self.grads = {"z": z}, {}

    def parameters(self):
        yield "z", self, "z"


def refine(G, x, z0, steps=200, lr=0.02, bound=None, batch_size=1000, gradient=refinement_gradient):
    """Codes ``z`` for which ``G(z)`` is closer to ``x``: projected gradient descent from ``z0``.

    Each step takes the gradient of ``r[n] = mean_d (G(z[n])_d - x[n, d])^2`` with respect to
    ``z`` (``refinement_gradient``), moves ``z`` by Adam (``optim.Adam``: a step of about
    ``lr`` per coordinate whatever the gradient's scale, so one ``lr`` suits every image),
    and projects it onto the prior's support: ``clip(z, -bound, bound)``, the nearest
    point of the box. ``bound=None`` (a Gaussian prior) projects nothing. Every example
    keeps the codes of its lowest error seen. The images go ``batch_size`` at a time.
    gradient: ``(G, z, x) -> (r, dz)`` for one batch (default ``refinement_gradient``);
    another objective of the codes plugs in here (``inpainting_search``: the error on the
    observed pixels, ``x`` then holding each image beside its mask).

    Returns ``(z, r)``: codes (N, K) and their errors (N,), on the backend. Cost: ``steps``
    forward and input-backward passes of G per image, against E's one forward pass.
    """
    xp = get_backend()
    if steps < 0:
        raise ValueError(f"refine: steps must be >= 0, got {steps}")
    parts = [_refine_batch(G, x[i:i + batch_size], z0[i:i + batch_size], steps, lr, bound, gradient)
             for i in range(0, len(x), batch_size)]
    return xp.concatenate([p[0] for p in parts]), xp.concatenate([p[1] for p in parts])


def _refine_batch(G, x, z0, steps, lr, bound, gradient):
    xp = get_backend()
    codes = _Codes(xp.array(z0, dtype=z0.dtype))
    optimizer = Adam(codes, lr=lr, beta1=0.9, beta2=0.999)
    z = codes.params["z"]
    best_z, best_r = z.copy(), xp.full(len(x), xp.inf, dtype=z.dtype)
    for step in range(steps + 1):  # steps updates, and the error of every code they reach
        r, codes.grads["z"] = gradient(G, z, x)
        better = r < best_r
        best_z = xp.where(better[:, None], z, best_z)
        best_r = xp.where(better, r, best_r)
        if step < steps:
            optimizer.step()
            if bound is not None:
                xp.clip(z, -bound, bound, out=z)  # the projection onto the prior's box
    return best_z, best_r


def best_of_starts(G, x, starts, steps=500, lr=0.02, bound=None, batch_size=1000):
    """Refine from each code array of ``starts`` (each (N, K)) and keep every image's best.

    Returns ``(z, r, winner)``: the best codes, their errors, and for each image the index
    of the start that won (how often E's start beats random ones, for instance).
    """
    xp = get_backend()
    starts = list(starts)
    if not starts:
        raise ValueError("best_of_starts: expected at least one array of starting codes")
    for i, start in enumerate(starts):
        z, r = refine(G, x, start, steps, lr, bound, batch_size)
        if i == 0:
            best_z, best_r, winner = z, r, xp.zeros(r.shape, dtype="int64")
            continue
        better = r < best_r
        best_z = xp.where(better[:, None], z, best_z)
        best_r = xp.where(better, r, best_r)
        winner = xp.where(better, i, winner)
    return best_z, best_r, winner
