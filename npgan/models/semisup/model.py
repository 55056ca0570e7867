"""Semi-supervised learning with a (K+1)-class discriminator (Salimans et al. 2016; Odena 2016).

The paper's fourth future direction: a GAN's discriminator as a classifier when few
labels exist. D outputs ``K`` class logits ``l_1..l_K`` (one per digit) and the "fake"
class ``K+1`` has its logit fixed at 0, so that with ``Z(x) = sum_k exp(l_k)``

    p(y = k | x) = e^{l_k} / (Z + 1),    p(fake | x) = 1 / (Z + 1),
    D(x) = p(real | x) = Z / (Z + 1) = sigmoid(log Z),    log Z = logsumexp_k l_k.

Fixing one logit loses nothing: a softmax is unchanged by adding a constant to every
logit, so K+1 free logits hold one redundant degree of freedom, which this removes.
D is trained on three batches per step:

- labelled images: ``L_sup = -log p(y | x, real) = logsumexp_k l_k - l_y``, the softmax
  cross-entropy over the K classes (``losses.softmax_cross_entropy``);
- unlabelled images and generated ones: ``L_unsup = -1/2 mean log D(x) - 1/2 mean
  log(1 - D(G(z)))`` (``unsupervised_loss``), the GAN's discriminator loss with D given
  by the K logits;

and G by feature matching (``feature_matching_loss``): the squared distance between the
mean of D's last hidden layer over a real batch and over a generated one.

The networks (``discriminator``, ``generator``): D is ReLU layers with Gaussian noise
added to every layer's input (``GaussianNoise``), Salimans et al.'s regulariser; G is
Linear, batch norm, ReLU layers and a sigmoid. ``SemiSupervisedGAN`` holds them and
takes the training steps; ``npgan.models.semisup.training`` wraps it for the trainer.
"""

import math

import numpy

from npgan.backend import asarray, get_backend, to_numpy
from npgan.nn import functional, losses
from npgan.nn.image_layers import BatchNorm
from npgan.nn.kernels import sigmoid
from npgan.nn.layers import Layer, Linear, ReLU, Sequential, Sigmoid

CLASSES = 10  # MNIST's digits: the K of "K + 1"


# ---- the losses --------------------------------------------------------------------

def log_partition(logits):
    """``log Z = logsumexp_k l_k`` per row, (N, K) -> (N,), shifted by the row maximum (no overflow)."""
    xp = get_backend()
    top = logits.max(axis=1)
    return top + xp.log(xp.exp(logits - top[:, None]).sum(axis=1))


def real_probability(logits):
    """``D(x) = Z / (Z + 1) = sigmoid(log Z)`` for (N, K) class logits, (N,)."""
    return sigmoid(log_partition(logits))


def unsupervised_loss(real_logits, fake_logits):
    """The GAN part of the (K+1)-class discriminator's loss, from class logits (N, K) and (M, K).

    With ``s = log Z`` and ``D = sigmoid(s)`` (``log D = -softplus(-s)``,
    ``log(1 - D) = -softplus(s)``, the stable forms of ``npgan.nn.losses``):

        L = 1/2 mean_n softplus(-s_n) + 1/2 mean_m softplus(s_m)
          = -1/2 mean log D(x_n) - 1/2 mean log(1 - D(G(z_m))).

    Chain rule through ``s``: ``d softplus(t)/dt = sigmoid(t)`` and ``ds/dl_k =
    e^{l_k} / Z = p_k`` (the K-class softmax), so

        dL/dl_nk = -1/2 sigmoid(-s_n) p_nk / N        (real rows: raise Z)
        dL/dl_mk = +1/2 sigmoid(s_m) p_mk / M         (generated rows: lower Z).

    Returns ``(loss, dreal_logits, dfake_logits)``.
    """
    xp = get_backend()
    for name, logits in (("real", real_logits), ("fake", fake_logits)):
        if getattr(logits, "ndim", None) != 2 or logits.shape[0] == 0:
            raise ValueError(f"unsupervised_loss: expected {name} logits of shape (batch, classes), "
                             f"got {getattr(logits, 'shape', None)}")
    s_real, s_fake = log_partition(real_logits), log_partition(fake_logits)  # (N,), (M,)
    n, m = real_logits.shape[0], fake_logits.shape[0]
    loss = 0.5 * losses.softplus(-s_real).mean() + 0.5 * losses.softplus(s_fake).mean()
    p_real = xp.exp(real_logits - s_real[:, None])  # (N, K) softmax over the K classes
    p_fake = xp.exp(fake_logits - s_fake[:, None])
    dreal = (-0.5 / n) * sigmoid(-s_real)[:, None] * p_real
    dfake = (0.5 / m) * sigmoid(s_fake)[:, None] * p_fake
    return loss, dreal.astype(real_logits.dtype, copy=False), dfake.astype(fake_logits.dtype, copy=False)


def feature_matching_loss(real_features, fake_features):
    """G's objective: ``L = 1/J sum_j (mu_j - nu_j)^2``, means of D's features over each batch.

    ``mu_j = 1/N sum_n f_nj`` (real, a constant to G) and ``nu_j = 1/M sum_m g_mj``
    (generated), J features. Since ``dnu_j / dg_mj = 1/M``,

        dL/dg_mj = -2 (mu_j - nu_j) / (J M),

    the same for every generated row. Returns ``(loss, dfake_features)``.
    """
    if real_features.ndim != 2 or fake_features.ndim != 2 or real_features.shape[1] != fake_features.shape[1]:
        raise ValueError(f"feature_matching_loss: expected (N, J) and (M, J) features, got "
                         f"{real_features.shape} and {fake_features.shape}")
    xp = get_backend()
    m, j = fake_features.shape
    gap = real_features.mean(axis=0) - fake_features.mean(axis=0)  # (J,)
    loss = (gap * gap).mean()
    dfake = xp.broadcast_to((-2.0 / (j * m)) * gap, fake_features.shape).copy()
    return loss, dfake.astype(fake_features.dtype, copy=False)


# ---- the layers and networks -----------------------------------------------------

class GaussianNoise(Layer):
    """``y = x + std * e``, ``e ~ N(0, 1)`` drawn from ``rng`` in training; the identity in evaluation.

    The noise does not depend on ``x``, so ``dy/dx = I`` and backward returns ``dy``
    itself. ``fixed_noise`` (an array of ``e`` of the input's shape) holds the draw fixed
    for gradient checks, as ``Dropout.fixed_mask`` does.
    """

    def __init__(self, std, rng):
        super().__init__()
        if not std >= 0:
            raise ValueError(f"GaussianNoise: std must be >= 0, got {std}")
        self.std, self.rng, self.fixed_noise = float(std), rng, None

    def __repr__(self):
        return f"GaussianNoise(std={self.std})"

    def forward(self, x, training=True):
        x = self._check_input(x)
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


class WeightNormLinear(Layer):
    """``y = x W + b`` with ``W = v g / |v|`` column by column (Salimans and Kingma 2016).

    ``v`` (n_in, n_out) sets each unit's direction, ``g`` (n_out,) its length. With
    ``c_j = |v_j| = sqrt(sum_i v_ij^2)`` and ``W_ij = g_j v_ij / c_j``, the linear layer's
    ``dW = x^T dy``, ``db = sum_n dy``, ``dx = dy W^T`` (``functional.linear_backward``), and

        dg_j  = sum_i dW_ij dW_ij/dg_j = sum_i dW_ij v_ij / c_j,
        dv_kj = sum_i dW_ij g_j (delta_ik / c_j - v_ij v_kj / c_j^3)
              = (g_j / c_j) (dW_kj - v_kj dg_j / c_j)

    (``dc_j / dv_kj = v_kj / c_j``): the gradient of ``v`` has no part along ``v``, so a
    step only turns each unit; ``g`` alone scales it. ``init_from(x)`` is the
    data-dependent start: ``g`` and ``b`` such that the outputs on ``x`` have mean 0 and
    standard deviation 1 per unit.
    """

    def __init__(self, n_in, n_out, rng, dtype="float32"):
        super().__init__()
        xp = get_backend()
        self.n_in, self.n_out = n_in, n_out
        self.params = {"v": rng.normal((n_in, n_out), dtype, std=0.05), "g": xp.ones(n_out, dtype=dtype),
                       "b": xp.zeros(n_out, dtype=dtype)}

    def __repr__(self):
        return f"WeightNormLinear({self.n_in}, {self.n_out})"

    def weight(self):
        v, g = self.params["v"], self.params["g"]
        norm = get_backend().sqrt((v * v).sum(axis=0))  # (n_out,)
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
            self.grads = {"v": (g / norm) * (dW - v * (dg / norm)), "g": dg, "b": db}
        return dx

    def init_from(self, x):
        """Set ``g = 1 / std(t)`` and ``b = -mean(t) / std(t)`` for ``t = x v / |v|``; returns the new output."""
        v = self.params["v"]
        t = x @ (v / get_backend().sqrt((v * v).sum(axis=0)))
        mean, std = t.mean(axis=0), t.std(axis=0) + 1e-6
        self.params["g"][...] = 1.0 / std
        self.params["b"][...] = -mean / std
        return (t - mean) / std


def init_weight_norm(network, x):
    """Data-dependent start of every ``WeightNormLinear`` in ``network`` (in order), on the batch ``x``."""
    for layer in network.layers:
        x = layer.init_from(x) if isinstance(layer, WeightNormLinear) else layer.forward(x, training=False)


def he_range(n_in):
    """``sqrt(6 / n_in)``: a uniform draw in +-this has variance ``2 / n_in`` (He et al. 2015, for ReLU)."""
    return math.sqrt(6.0 / n_in)


def discriminator(hidden, rng, input_noise=0.3, hidden_noise=0.5, n_in=784, classes=CLASSES, dtype="float32",
                  weight_norm=False):
    """Images (N, n_in) -> class logits (N, classes): noise, then per width Linear, ReLU, noise.

    Salimans et al. (MNIST): input noise 0.3, 0.5 before every later layer. The features
    that G matches are the last ReLU's output, ``features(D)`` (everything before the
    last noise layer). ``weight_norm``: ``WeightNormLinear`` layers (start them with
    ``init_weight_norm``) instead of ``Linear`` ones uniform in +-``he_range``.
    """
    def linear(a, b):
        return WeightNormLinear(a, b, rng, dtype) if weight_norm else Linear(a, b, rng, he_range(a), dtype)

    layers, width = [GaussianNoise(input_noise, rng)], n_in
    for h in hidden:
        layers += [linear(width, h), ReLU(), GaussianNoise(hidden_noise, rng)]
        width = h
    layers.append(linear(width, classes))
    return Sequential(*layers)


def generator(noise_dim, hidden, rng, n_out=784, momentum=0.1, dtype="float32"):
    """Noise (N, noise_dim) -> images (N, n_out): Linear, BatchNorm, ReLU per width, Linear, sigmoid."""
    layers, width = [], noise_dim
    for h in hidden:
        layers += [Linear(width, h, rng, he_range(width), dtype), BatchNorm(h, momentum, dtype=dtype), ReLU()]
        width = h
    layers += [Linear(width, n_out, rng, he_range(width), dtype), Sigmoid()]
    return Sequential(*layers)


def split_discriminator(D):
    """``(body, head)``: D's layers up to its last ReLU (the matched features), and the rest."""
    last_relu = max(i for i, layer in enumerate(D.layers) if isinstance(layer, ReLU))
    return D.layers[:last_relu + 1], D.layers[last_relu + 1:]


def run_layers(layers, x, training):
    for layer in layers:
        x = layer.forward(x, training=training)
    return x


def backward_layers(layers, dy, param_grads):
    for layer in reversed(layers):
        dy = layer.backward(dy, input_grad=True, param_grads=param_grads)
    return dy


def predict(D, x, batch_size=2000):
    """The most probable class of each row of ``x`` (host int64, (n,)), D in evaluation mode.

    The fake class never wins the argmax over real classes: ``p(y=k|x) = e^{l_k}/(Z+1)``
    has the same argmax as ``l_k``, whatever D(x) is.
    """
    dtype = D.layers[-1].params["b"].dtype
    parts = [to_numpy(D.forward(asarray(x[i:i + batch_size], dtype=dtype), training=False).argmax(axis=1))
             for i in range(0, len(x), batch_size)]
    return numpy.concatenate(parts).astype(numpy.int64)
