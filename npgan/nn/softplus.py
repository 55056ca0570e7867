"""The softplus activation, ``y = log(1 + e^x)`` (Improved GAN's MNIST generator).

A smooth ReLU: ``softplus(x) -> x`` for large ``x`` and ``-> 0`` for very negative ``x``.
"""

from npgan.nn import losses
from npgan.nn.kernels import sigmoid
from npgan.nn.layers import Layer


class Softplus(Layer):
    """``y = log(1 + e^x)`` element by element, computed without overflow (``losses.softplus``).

    ``dy/dx = e^x / (1 + e^x) = sigmoid(x)``, so ``dx = dy * sigmoid(x)``; the forward
    pass keeps ``x`` for it.
    """

    def forward(self, x, training=True):
        x = self._check_input(x)
        self._cache = x
        return losses.softplus(x)

    def backward(self, dy, input_grad=True, param_grads=True):
        x = self._take_cache()
        self._check_grad(dy, x.shape)
        return dy * sigmoid(x)
