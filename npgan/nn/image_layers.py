"""Layers for images (NCHW), thin classes over ``conv``, ``normalization`` and ``activations``.

On NumPy they call the fast channels-last forms of the same functions in ``kernels``
(the arrays they hand on are then (N, C, H, W) views of (N, H, W, C) buffers); under
CuPy, or inside ``kernels.plain_forms()``, the plain forms.

They keep the contract of ``npgan.nn.layers`` (``forward(x, training)``, ``backward(dy,
input_grad, param_grads)`` returning ``dx`` and overwriting ``grads``; ``params`` and
``grads`` dicts with the same keys), so they go into a ``Sequential`` beside ``Linear``
and ``Sigmoid``. ``npgan.nn.layers`` refuses anything but (batch, features) input; the
layers here check for their own shapes instead: ``Conv2d`` and ``ConvTranspose2d`` want
(N, C, H, W) with their number of channels, ``BatchNorm`` (N, C) or (N, C, H, W),
``Reshape`` turns (N, features) into images and ``Flatten`` images back into rows.
``LeakyReLU`` and ``Tanh`` take any shape (``LeakyReLU(0.0)`` is ReLU on images).

Weights are drawn from the ``Random`` passed in: N(0, init_std^2), DCGAN's initialisation.
"""

import math

from npgan.backend import get_backend
from npgan.nn import activations, conv, kernels, normalization
from npgan.nn.layers import Layer


class _ImageLayer(Layer):
    """A layer with its own input check: the number of dimensions and channels it expects."""

    def _check_shape(self, x, ndims, channels=None, what="(batch, channels, height, width)"):
        kind = getattr(getattr(x, "dtype", None), "kind", None)
        if kind not in ("f", "i", "u", "b"):
            raise TypeError(f"{self!r}: expected a real-valued array, got {getattr(x, 'dtype', type(x).__name__)}")
        shape = tuple(getattr(x, "shape", ()))
        if getattr(x, "ndim", None) not in ndims or (channels is not None and shape[1] != channels):
            expected = f"{what} with {channels} channels" if channels is not None else what
            raise ValueError(f"{self!r}: expected input of shape {expected}, got {shape}")
        dtype = next(iter(self.params.values())).dtype if self.params else None
        if dtype is not None and x.dtype != dtype:
            return x.astype(dtype)
        return x if kind == "f" else x.astype("float32")


class Conv2d(_ImageLayer):
    """``y = conv(x, W) + b``: ``W`` (out, in, K, K) ~ N(0, init_std^2), ``b`` zero; stride, zero padding.

    ``bias=False``: no ``b`` (before a batch norm, which would remove it: DCGAN's choice).
    """

    def __init__(self, in_channels, out_channels, kernel, rng, stride=1, padding=0, init_std=0.02,
                 dtype="float32", bias=True):
        super().__init__()
        if min(in_channels, out_channels, kernel, stride) < 1 or padding < 0:
            raise ValueError(f"Conv2d: channels, kernel and stride must be >= 1 and padding >= 0, got "
                             f"{in_channels}, {out_channels}, {kernel}, {stride}, {padding}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.params = {"W": rng.normal(self._weight_shape(), dtype, std=init_std)}
        if bias:
            self.params["b"] = get_backend().zeros(out_channels, dtype=dtype)

    def _weight_shape(self):
        return (self.out_channels, self.in_channels, self.kernel, self.kernel)

    def __repr__(self):
        return (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, kernel {self.kernel}, "
                f"stride {self.stride}, padding {self.padding})")

    def _check_size(self, x):
        if x.shape[2] + 2 * self.padding < self.kernel or x.shape[3] + 2 * self.padding < self.kernel:
            raise ValueError(f"{self!r}: images of {x.shape[2]} x {x.shape[3]} are smaller than the kernel "
                             f"with padding; expected at least {self.kernel - 2 * self.padding} per side")

    def forward(self, x, training=True):
        x = self._check_shape(x, (4,), self.in_channels)
        self._check_size(x)
        # _forms: the module whose forms made the cache (kernels' fast ones on NumPy, else conv's)
        self._forms = kernels if kernels.fast() else conv
        y, self._cache = self._forms.conv2d_forward(x, self.params["W"], self.params.get("b"), self.stride,
                                                    self.padding)
        self._out_shape = y.shape
        return y

    def backward(self, dy, input_grad=True, param_grads=True):
        cache = self._take_cache()
        self._check_grad(dy, self._out_shape)
        dx, dW, db = self._forms.conv2d_backward(dy, cache, input_grad, param_grads)
        self._set_grads(param_grads, dW, db)
        return dx

    def _set_grads(self, param_grads, dW, db):
        if param_grads:
            self.grads["W"] = dW
            if "b" in self.params:
                self.grads["b"] = db


class ConvTranspose2d(Conv2d):
    """The adjoint of ``Conv2d(out_channels, in_channels, kernel, stride, padding)``, plus a bias.

    ``W`` is (in, out, K, K), PyTorch's layout; (N, in, H, W) -> (N, out, (H-1) s - 2p + K, ...).
    """

    def _weight_shape(self):
        return (self.in_channels, self.out_channels, self.kernel, self.kernel)

    def _check_size(self, x):
        if conv.transposed_size(min(x.shape[2:]), self.kernel, self.stride, self.padding) < 1:
            raise ValueError(f"{self!r}: images of {x.shape[2]} x {x.shape[3]} give an empty output")

    def forward(self, x, training=True):
        x = self._check_shape(x, (4,), self.in_channels)
        self._check_size(x)
        self._forms = kernels if kernels.fast() else conv
        y, self._cache = self._forms.conv_transpose2d_forward(x, self.params["W"], self.params.get("b"),
                                                              self.stride, self.padding)
        self._out_shape = y.shape
        return y

    def backward(self, dy, input_grad=True, param_grads=True):
        cache = self._take_cache()
        self._check_grad(dy, self._out_shape)
        dx, dW, db = self._forms.conv_transpose2d_backward(dy, cache, input_grad, param_grads)
        self._set_grads(param_grads, dW, db)
        return dx


class BatchNorm(_ImageLayer):
    """Batch normalization of ``channels`` features (N, C) or feature maps (N, C, H, W).

    ``params``: the learned scale ``gamma`` (ones) and shift ``beta`` (zeros), and the
    running averages ``running_mean`` (zeros) and ``running_var`` (ones) that evaluation
    uses. The running averages are not learned: their gradient is always zero, so no
    optimiser moves them; training-mode forward passes update them (rate ``momentum``).
    They are in ``params`` so that every file that holds a network (checkpoints,
    generator files, snapshots, averages) holds them too.
    """

    def __init__(self, channels, momentum=0.1, eps=normalization.EPS, dtype="float32"):
        super().__init__()
        if channels < 1 or not 0.0 < momentum <= 1.0 or eps <= 0:
            raise ValueError(f"BatchNorm: expected channels >= 1, momentum in (0, 1] and eps > 0, "
                             f"got {channels}, {momentum}, {eps}")
        xp = get_backend()
        self.channels, self.momentum, self.eps = channels, float(momentum), float(eps)
        self.params = {"gamma": xp.ones(channels, dtype=dtype), "beta": xp.zeros(channels, dtype=dtype),
                       "running_mean": xp.zeros(channels, dtype=dtype), "running_var": xp.ones(channels, dtype=dtype)}

    def __repr__(self):
        return f"BatchNorm({self.channels})"

    def forward(self, x, training=True):
        x = self._check_shape(x, (2, 4), self.channels, "(batch, channels) or (batch, channels, height, width)")
        p = self.params
        if not training:
            y, cache = normalization.batch_norm_eval_forward(x, p["gamma"], p["beta"], p["running_mean"],
                                                             p["running_var"], self.eps)
            self._cache = (normalization.batch_norm_eval_backward, cache)
            self._in_shape = x.shape
            return y
        count = x.size // self.channels
        if count < 2:
            raise ValueError(f"{self!r}: training needs at least 2 values per channel to normalise, got input "
                             f"{tuple(x.shape)}")
        forms = kernels if kernels.fast() else normalization
        y, cache, (mu, var) = forms.batch_norm_forward(x, p["gamma"], p["beta"], self.eps)
        normalization.running_update(p["running_mean"], p["running_var"], mu, var, count, self.momentum)
        self._cache = (forms.batch_norm_backward, cache)
        self._in_shape = x.shape
        return y

    def backward(self, dy, input_grad=True, param_grads=True):
        backward, cache = self._take_cache()
        self._check_grad(dy, self._in_shape)
        dx, dgamma, dbeta = backward(dy, cache, input_grad, param_grads)
        if param_grads:
            xp = get_backend()
            self.grads = {"gamma": dgamma, "beta": dbeta, "running_mean": xp.zeros_like(self.params["running_mean"]),
                          "running_var": xp.zeros_like(self.params["running_var"])}
        return dx


def measure_running_statistics(network, inputs):
    """Set each ``BatchNorm``'s running statistics in ``network`` to the mean of its batch statistics
    over ``inputs`` (an iterable of minibatches, each run forward in training mode); returns how many
    batch norms were measured.

    A network whose parameters are an average of several (Polyak's mean of epochs, an
    exponential average of steps) has running statistics averaged with them, which describe
    none of the averaged networks' activations; measured afresh on the averaged network's own
    inputs, they describe its (as Izmailov et al.'s SWA does, 2018). The t-th batch (from 0)
    enters with rate 1 / (t + 1): ``r_t = r_{t-1} + (batch_t - r_{t-1}) / (t + 1)`` is the plain
    mean of the first t + 1 batches' statistics, whatever came before.
    """
    norms = [layer for layer in getattr(network, "layers", [network]) if isinstance(layer, BatchNorm)]
    rates = [norm.momentum for norm in norms]
    try:
        for t, x in enumerate(inputs if norms else ()):
            for norm in norms:
                norm.momentum = 1.0 / (t + 1)
            network.forward(x, training=True)
    finally:
        for norm, rate in zip(norms, rates):
            norm.momentum = rate
    return len(norms)


class _AnyShape(_ImageLayer):
    """An element-by-element layer: any input of at least (batch, something)."""

    def _take_input(self, x):
        x = self._check_shape(x, range(2, 9), what="(batch, ...)")
        self._shape = x.shape
        return x

    def _dy(self, dy):
        cache = self._take_cache()
        self._check_grad(dy, self._shape)
        return cache


class LeakyReLU(_AnyShape):
    """``y = x`` for ``x > 0``, ``slope * x`` otherwise (DCGAN's D: slope 0.2; 0: ReLU)."""

    def __init__(self, slope=0.2):
        super().__init__()
        if not 0.0 <= slope < 1.0:
            raise ValueError(f"LeakyReLU: slope must be in [0, 1), got {slope}")
        self.slope = float(slope)

    def __repr__(self):
        return f"LeakyReLU({self.slope:g})"

    def forward(self, x, training=True):
        forms = kernels if kernels.fast() else activations
        y, cache = forms.leaky_relu_forward(self._take_input(x), self.slope)
        self._cache = (forms, cache)
        return y

    def kinks(self):
        forms, cache = self._take_cache()
        return cache > 0 if forms is kernels else cache  # the mask x > 0 (the fast forms keep y: y > 0 there)

    def backward(self, dy, input_grad=True, param_grads=True):
        forms, cache = self._dy(dy)
        return forms.leaky_relu_backward(dy, cache, self.slope)


class Tanh(_AnyShape):
    """``y = tanh(x)``."""

    def forward(self, x, training=True):
        y, self._cache = activations.tanh_forward(self._take_input(x))
        return y

    def backward(self, dy, input_grad=True, param_grads=True):
        return activations.tanh_backward(dy, self._dy(dy))


class Reshape(_ImageLayer):
    """(N, C*H*W) rows -> (N, C, H, W) images of ``shape = (C, H, W)``; ``n_in`` = C*H*W."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(int(s) for s in shape)
        if len(self.shape) != 3 or min(self.shape) < 1:
            raise ValueError(f"Reshape: expected a shape (channels, height, width) of positive sizes, got {shape}")
        self.n_in = math.prod(self.shape)

    def __repr__(self):
        return f"{type(self).__name__}({self.shape})"

    def forward(self, x, training=True):
        x = self._check_shape(x, (2,), what=f"(batch, {self.n_in})")
        if x.shape[1] != self.n_in:
            raise ValueError(f"{self!r}: expected input of shape (batch, {self.n_in}), got {tuple(x.shape)}")
        self._cache = x.shape[0]
        return x.reshape((x.shape[0],) + self.shape)

    def backward(self, dy, input_grad=True, param_grads=True):
        n = self._take_cache()
        self._check_grad(dy, (n,) + self.shape)
        return dy.reshape(n, self.n_in)


class Flatten(Reshape):
    """(N, C, H, W) images of ``shape = (C, H, W)`` -> (N, C*H*W) rows; ``n_out`` = C*H*W."""

    def __init__(self, shape):
        super().__init__(shape)
        self.n_out = self.n_in

    def forward(self, x, training=True):
        x = self._check_shape(x, (4,), what=f"(batch, {', '.join(map(str, self.shape))})")
        if tuple(x.shape[1:]) != self.shape:
            raise ValueError(f"{self!r}: expected images of shape (batch, {', '.join(map(str, self.shape))}), "
                             f"got {tuple(x.shape)}")
        self._cache = x.shape[0]
        return x.reshape(x.shape[0], self.n_out)

    def backward(self, dy, input_grad=True, param_grads=True):
        n = self._take_cache()
        self._check_grad(dy, (n, self.n_out))
        return dy.reshape((n,) + self.shape)
