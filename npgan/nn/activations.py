"""LeakyReLU and tanh: forward/backward pairs for inputs of any shape (DCGAN's activations).

Each ``*_forward`` returns ``(y, cache)`` and ``*_backward(dy, cache)`` returns ``dx``;
both act element by element, so the Jacobian is diagonal and ``dx = dy * dy/dx``.
"""

from npgan.backend import get_backend


def leaky_relu_forward(x, slope):
    """``y = x`` where ``x > 0``, else ``slope * x`` (``slope = 0``: ReLU); cache = the mask ``x > 0``."""
    xp = get_backend()
    positive = x > 0
    return xp.where(positive, x, x * x.dtype.type(slope)), positive


def leaky_relu_backward(dy, positive, slope):
    """``dy/dx = 1`` where ``x > 0``, else ``slope`` (``slope`` at the kink ``x = 0``), so
    ``dx = where(x > 0, dy, slope * dy)``."""
    xp = get_backend()
    return xp.where(positive, dy, dy * dy.dtype.type(slope))


def tanh_forward(x):
    """``y = tanh(x)``; cache = y."""
    y = get_backend().tanh(x)
    return y, y


def tanh_backward(dy, y):
    """``d tanh(x)/dx = 1 - tanh(x)^2 = 1 - y^2``, so ``dx = dy (1 - y^2)``."""
    return dy * (1 - y * y)
