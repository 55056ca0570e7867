"""Weight normalisation (Salimans and Kingma 2016): a dense layer whose weights are a direction times a length.

``WeightNormLinear`` computes ``y = x W + b`` with every column ``W_j = g_j v_j / |v_j|``;
``init_weight_norm`` gives a network of them its data-dependent start, each layer's
outputs of mean 0 and standard deviation 1 on a batch of data.
"""

from npgan.backend import get_backend
from npgan.nn import functional
from npgan.nn.layers import Layer


class WeightNormLinear(Layer):
    """``y = x W + b`` with ``W = v g / |v|`` column by column (Salimans and Kingma 2016).

    ``v`` (n_in, n_out) sets each unit's direction, ``g`` (n_out,) its length. With
    ``c_j = |v_j| = sqrt(sum_i v_ij^2)`` and ``W_ij = g_j v_ij / c_j``, the linear layer's
    ``dW = x^T dy``, ``db = sum_n dy``, ``dx = dy W^T`` (``functional.linear_backward``), and

        dg_j  = sum_i dW_ij dW_ij/dg_j = sum_i dW_ij v_ij / c_j,
        dv_kj = sum_i dW_ij g_j (delta_ik / c_j - v_ij v_kj / c_j^3)
              = (g_j / c_j) (dW_kj - v_kj dg_j / c_j)

    (``dc_j / dv_kj = v_kj / c_j``): the gradient of ``v`` has no part along ``v``, so a
    step only turns each unit; ``g`` alone scales it. Because an optimiser's step is about
    the same size whatever ``|v|`` is, a unit turns by about ``lr / |v_j|`` per step:
    ``init_std`` (the start ``v ~ N(0, init_std^2)``) sets that rate.

    ``train_scale=False`` holds ``g`` at its start (the value ``init_from`` gives it), as
    Improved GAN's MNIST code does for its hidden layers: ``g`` stays in ``params`` (files
    keep it) and its gradient is reported as zero, so no optimiser moves it. The gradient
    of ``g`` of the training objective is then zero by definition, not by the formula above.

    ``init_from(x)`` is the data-dependent start: ``g`` and ``b`` such that the outputs on
    ``x`` have mean 0 and standard deviation 1 per unit.
    """

    def __init__(self, n_in, n_out, rng, dtype="float32", init_std=0.05, train_scale=True):
        super().__init__()
        if n_in < 1 or n_out < 1 or not init_std > 0:
            raise ValueError(f"WeightNormLinear: expected n_in, n_out >= 1 and init_std > 0, "
                             f"got {n_in}, {n_out}, {init_std}")
        xp = get_backend()
        self.n_in, self.n_out, self.train_scale = n_in, n_out, bool(train_scale)
        self.params = {"v": rng.normal((n_in, n_out), dtype, std=init_std), "g": xp.ones(n_out, dtype=dtype),
                       "b": xp.zeros(n_out, dtype=dtype)}

    def __repr__(self):
        fixed = "" if self.train_scale else ", g fixed"
        return f"WeightNormLinear({self.n_in}, {self.n_out}{fixed})"

    def weight(self):
        """``(W, |v|)``: the weights ``v g / |v|`` (n_in, n_out) and the column norms (n_out,)."""
        v, g = self.params["v"], self.params["g"]
        norm = get_backend().sqrt((v * v).sum(axis=0))
        return v * (g / norm), norm

    def forward(self, x, training=True):
        x = self._check_input(x, self.n_in)
        W, norm = self.weight()
        y, cache = functional.linear_forward(x, W, self.params["b"])
        self._cache = (cache, norm)
        return y

    def backward(self, dy, input_grad=True, param_grads=True):
        cache, norm = self._take_cache()
        self._check_grad(dy, (cache[0].shape[0], self.n_out))
        dx, dW, db = functional.linear_backward(dy, cache, input_grad, param_grads)
        if param_grads:
            v, g = self.params["v"], self.params["g"]
            dg = (dW * v).sum(axis=0) / norm  # (n_out,)
            dv = (g / norm) * (dW - v * (dg / norm))
            self.grads = {"v": dv, "g": dg if self.train_scale else get_backend().zeros_like(g), "b": db}
        return dx

    def init_from(self, x):
        """Set ``g = 1 / std(t)`` and ``b = -mean(t) / std(t)`` for ``t = x v / |v|``; returns the new output."""
        x = self._check_input(x, self.n_in)
        v = self.params["v"]
        t = x @ (v / get_backend().sqrt((v * v).sum(axis=0)))
        mean, std = t.mean(axis=0), t.std(axis=0) + 1e-6
        self.params["g"][...] = 1.0 / std
        self.params["b"][...] = -mean / std
        return (t - mean) / std


def init_weight_norm(network, x, training=True):
    """Data-dependent start of every ``WeightNormLinear`` in ``network`` (in order), on the batch ``x``.

    Each weight-normalised layer is started on what the layers before it (already
    started) make of ``x``. ``training=True`` runs the other layers as in training (a
    noise layer adds its noise, as Improved GAN's start does); ``False``, in evaluation.
    """
    for layer in network.layers:
        x = layer.init_from(x) if isinstance(layer, WeightNormLinear) else layer.forward(x, training=training)
    return x
