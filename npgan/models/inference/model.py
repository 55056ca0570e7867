"""Learned approximate inference: z from x, for a generator that has finished training.

The paper's second direction (Section 7): "learned approximate inference can be
performed by training an auxiliary network to predict z given x ... the inference net
may be trained for a fixed generator net after the generator net has finished
training." This module holds the math of that route and of the refinement after it:

- ``build_encoder``: the encoder ``E: x -> z``, maxout layers then a ``Linear`` to the
  code and, for a uniform prior on ``[-s, s]^K``, ``ScaledTanh(s)``, so that every code
  lies inside the prior's support;
- ``code_loss``: E's squared error against the ``z`` that made ``x``. The pairs
  ``(G(z), z)`` are the generator's own labelled data (the "sleep" phase of wake-sleep),
  so E never needs a real image to learn;
- ``refine``: gradient descent on ``z`` itself, through the frozen ``G`` to its input,
  projected back onto the prior's support after every step; ``best_of_starts`` runs it
  from several starting codes and keeps each image's best.

The trainer's model for the post-hoc encoder is ``encoder_model.EncoderModel``; the
adversarial route, where E is trained with G, is ``bigan``. ``inference_checks`` holds the
gradient checks of all three (``npgan gradcheck``).
"""

import hashlib

from npgan.backend import get_backend
from npgan.nn import activations
from npgan.nn.layers import Layer, Linear, Maxout, Sequential
from npgan.nn.optim import Adam


class ScaledTanh(Layer):
    """``y = scale * tanh(x)``: outputs inside ``(-scale, scale)``, the uniform prior's box.

    With ``t = tanh(x)`` (kept from the forward pass), ``dy/dx = scale * (1 - t^2)``, so

        dx = dy * scale * (1 - t^2) = activations.tanh_backward(scale * dy, t).
    """

    def __init__(self, scale):
        super().__init__()
        if not scale > 0:
            raise ValueError(f"ScaledTanh: scale must be > 0, got {scale}")
        self.scale = float(scale)

    def __repr__(self):
        return f"ScaledTanh({self.scale:.4g})"

    def forward(self, x, training=True):
        x = self._check_input(x)
        t, self._cache = activations.tanh_forward(x)
        self._shape = x.shape
        return t * x.dtype.type(self.scale)

    def backward(self, dy, input_grad=True, param_grads=True):
        t = self._take_cache()
        self._check_grad(dy, self._shape)
        return activations.tanh_backward(dy * dy.dtype.type(self.scale), t)


def build_encoder(n_in, hidden, code_dim, rng, pieces=5, init_range=0.05, bound=None, dtype="float32"):
    """``E``: images (N, n_in) -> codes (N, code_dim).

    hidden: widths of the maxout layers (``pieces`` pieces per unit), then a ``Linear`` to
    ``code_dim``; bound: the half-width ``s`` of a uniform prior on ``[-s, s]^K``, which adds
    ``ScaledTanh(s)`` (``None``: a Gaussian prior, the codes unbounded and linear).
    """
    layers, width = [], n_in
    for units in hidden:
        layers.append(Maxout(width, units, pieces, rng, init_range, dtype))
        width = units
    layers.append(Linear(width, code_dim, rng, init_range, dtype))
    if bound is not None:
        layers.append(ScaledTanh(bound))
    return Sequential(*layers)


def prior_bound(noise, noise_scale):
    """The half-width of the prior's box (``noise_scale`` for a uniform prior), or ``None`` (Gaussian)."""
    return float(noise_scale) if noise == "uniform" else None


def encoder_for(config, n_in, rng):
    """The encoder a ``Config`` describes (``e_hidden``, ``e_pieces``, ``e_init_range``, the prior)."""
    return build_encoder(n_in, config.e_hidden, config.noise_dim, rng, config.e_pieces, config.e_init_range,
                         prior_bound(config.noise, config.noise_scale), config.dtype)


def _check_pair(a, b, name, what):
    if getattr(a, "ndim", None) != 2 or tuple(a.shape) != tuple(getattr(b, "shape", ())) or a.shape[0] == 0:
        raise ValueError(f"{name}: expected {what} of one shape (batch, width), got "
                         f"{getattr(a, 'shape', None)} and {getattr(b, 'shape', None)}")


def code_loss(codes, z):
    """Mean squared error of E's codes against the ``z`` that made the images, per code dimension.

    codes, z: (N, K). With ``c = codes``,

        L = 1/(N K) sum_n sum_k (c[n, k] - z[n, k])^2,
        dL/dc[n, k] = 2 (c[n, k] - z[n, k]) / (N K).

    Minimised over pairs ``(G(z), z)``, E tends to ``E[z | x]`` under G's joint
    distribution: where G sends many ``z`` to one ``x``, their mean. A prior of unit
    variance per dimension puts the loss of the constant code 0 at 1. Returns ``(loss, dcodes)``.
    """
    _check_pair(codes, z, "code_loss", "codes and z")
    n, k = codes.shape
    diff = codes - z
    return (diff * diff).mean(), (2.0 / (n * k)) * diff


def reconstruction_loss(x_hat, x):
    """Squared pixel error of each example, summed over the batch.

    x_hat, x: (N, D). Per example ``r[n] = 1/D sum_d (x_hat[n, d] - x[n, d])^2`` (the mean
    squared error per pixel), and ``L = sum_n r[n]``, so

        dL/dx_hat[n, d] = 2 (x_hat[n, d] - x[n, d]) / D.

    Each example's term depends on its own row only: descending ``L`` over a batch of
    codes moves each code as its own problem would, whatever the batch size. Returns
    ``(r, dx_hat)`` with ``r`` of shape (N,).
    """
    _check_pair(x_hat, x, "reconstruction_loss", "reconstructions and images")
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


def file_sha256(path, block=1 << 20):
    """The SHA-256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(block), b""):
            digest.update(chunk)
    return digest.hexdigest()
