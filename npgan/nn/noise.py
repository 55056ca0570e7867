"""Additive Gaussian noise: a regulariser of a network's every layer (Salimans et al. 2016's D).

``GaussianNoise`` adds ``std * e``, ``e ~ N(0, 1)``, in training and nothing in evaluation.
"""

from npgan.nn.layers import Layer


class GaussianNoise(Layer):
    """``y = x + std * e``, ``e ~ N(0, 1)`` drawn from ``rng`` in training; the identity in evaluation.

    The noise does not depend on ``x``, so ``dy/dx = I`` and backward returns ``dy``
    itself. ``fixed_noise`` (an array of ``e`` of the input's shape) holds the draw fixed
    for gradient checks, as ``Dropout.fixed_mask`` does. Any input of at least two axes
    (batch first) is accepted.
    """

    def __init__(self, std, rng):
        super().__init__()
        if not std >= 0:
            raise ValueError(f"GaussianNoise: std must be >= 0, got {std}")
        self.std, self.rng, self.fixed_noise = float(std), rng, None

    def __repr__(self):
        return f"GaussianNoise(std={self.std})"

    def forward(self, x, training=True):
        kind = getattr(getattr(x, "dtype", None), "kind", None)
        if kind not in ("f", "i", "u", "b") or getattr(x, "ndim", 0) < 2:
            raise ValueError(f"{self!r}: expected a real array of shape (batch, ...), "
                             f"got {getattr(x, 'dtype', type(x).__name__)} {getattr(x, 'shape', '')}")
        if kind != "f":
            x = x.astype("float32")
        self._cache = x.shape
        if not training or self.std == 0:
            return x
        e = self.fixed_noise if self.fixed_noise is not None else self.rng.normal(x.shape, x.dtype)
        if tuple(e.shape) != tuple(x.shape):
            raise ValueError(f"{self!r}: expected fixed_noise of shape {tuple(x.shape)}, got {tuple(e.shape)}")
        return x + self.std * e

    def backward(self, dy, input_grad=True, param_grads=True):
        self._check_grad(dy, self._take_cache())
        return dy
