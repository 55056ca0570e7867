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
- refining E's codes by gradient descent on ``z`` itself, through the frozen ``G`` to its
  input (``npgan.models.gan.inversion``: ``refine``, ``best_of_starts``).

The trainer's model for the post-hoc encoder is ``encoder_training.EncoderModel``; the
adversarial route, where E is trained with G, is ``bigan``. ``checks`` holds the
gradient checks of all three (``npgan gradcheck``).
"""

import hashlib

from npgan.models.gan.inversion import check_pair, prior_bound
from npgan.nn import activations
from npgan.nn.layers import Layer, Linear, Maxout, Sequential


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


def encoder_for(config, n_in, rng):
    """The encoder a ``Config`` describes (``e_hidden``, ``e_pieces``, ``e_init_range``, the prior)."""
    return build_encoder(n_in, config.e_hidden, config.noise_dim, rng, config.e_pieces, config.e_init_range,
                         prior_bound(config.noise, config.noise_scale), config.dtype)


def code_loss(codes, z):
    """Mean squared error of E's codes against the ``z`` that made the images, per code dimension.

    codes, z: (N, K). With ``c = codes``,

        L = 1/(N K) sum_n sum_k (c[n, k] - z[n, k])^2,
        dL/dc[n, k] = 2 (c[n, k] - z[n, k]) / (N K).

    Minimised over pairs ``(G(z), z)``, E tends to ``E[z | x]`` under G's joint
    distribution: where G sends many ``z`` to one ``x``, their mean. A prior of unit
    variance per dimension puts the loss of the constant code 0 at 1. Returns ``(loss, dcodes)``.
    """
    check_pair(codes, z, "code_loss", "codes and z")
    n, k = codes.shape
    diff = codes - z
    return (diff * diff).mean(), (2.0 / (n * k)) * diff


def file_sha256(path, block=1 << 20):
    """The SHA-256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(block), b""):
            digest.update(chunk)
    return digest.hexdigest()
