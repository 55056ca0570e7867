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
added to every layer's input (``npgan.nn.noise.GaussianNoise``), Salimans et al.'s
regulariser, optionally weight-normalised (``npgan.nn.weightnorm``); G is Linear, batch
norm, ReLU (or softplus) layers and a sigmoid, its output layer optionally weight-normalised.
``SemiSupervisedGAN`` holds them and takes the training steps; ``npgan.models.semisup.training``
wraps it for the trainer.
"""

import math

import numpy

from npgan.backend import asarray, get_backend, to_numpy
from npgan.nn import losses
from npgan.nn.image_layers import BatchNorm
from npgan.nn.kernels import sigmoid
from npgan.nn.layers import Linear, ReLU, Sequential, Sigmoid
from npgan.nn.noise import GaussianNoise
from npgan.nn.softplus import Softplus
from npgan.nn.weightnorm import WeightNormLinear

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


def conditional_entropy(logits):
    """``L = mean_n H(p_n)``, the entropy of D's class distribution over the K classes, and ``dL/dlogits``.

    Bad GAN's (Dai et al. 2017) term on unlabelled images: a D that must also be sure of
    each real image's class puts its class boundaries where real images are rare. With
    ``p = softmax(l)`` and ``H = -sum_k p_k log p_k`` (``log p_k = l_k - log Z``),
    ``dp_j/dl_k = p_j (delta_jk - p_k)``, so

        dH/dl_k = -sum_j p_j (delta_jk - p_k) (log p_j + 1) = -p_k (log p_k + H),

    (the ``+ 1`` cancels because ``sum_j p_j (delta_jk - p_k) = 0``), and ``dL/dl_nk`` is
    that over N. Returns ``(L, dlogits)``.
    """
    if getattr(logits, "ndim", None) != 2 or logits.shape[0] == 0:
        raise ValueError(f"conditional_entropy: expected logits of shape (batch, classes), "
                         f"got {getattr(logits, 'shape', None)}")
    xp = get_backend()
    log_p = logits - log_partition(logits)[:, None]
    p = xp.exp(log_p)
    h = -(p * log_p).sum(axis=1)  # (N,)
    dlogits = (-1.0 / logits.shape[0]) * p * (log_p + h[:, None])
    return h.mean(), dlogits.astype(logits.dtype, copy=False)


def pull_away(features, eps=1e-8):
    """The pull-away term on a batch of G's features (Zhao et al. 2017, EBGAN; Bad GAN's G entropy term).

    With ``u_n = f_n / |f_n|`` and ``C = U U^T`` (the cosines between the N rows),

        L = 1/(N (N - 1)) sum_{n != m} C_nm^2,

    small when the samples' features point in different directions: a G pushed to spread
    out. ``C_nm`` appears twice in the sum (as ``C_nm`` and ``C_mn``), so
    ``dL/du_n = 4/(N (N - 1)) sum_{m != n} C_nm u_m``, and through the normalisation,
    ``du_n/df_n = (I - u_n u_n^T) / |f_n|``,

        dL/df_n = (g_n - (g_n . u_n) u_n) / |f_n|,    g_n = dL/du_n.

    ``eps`` keeps a zero row finite. Returns ``(L, dfeatures)``.
    """
    n = getattr(features, "shape", (0,))[0]
    if getattr(features, "ndim", None) != 2 or n < 2:
        raise ValueError(f"pull_away: expected features of shape (batch >= 2, units), "
                         f"got {getattr(features, 'shape', None)}")
    xp = get_backend()
    norms = xp.sqrt((features * features).sum(axis=1) + eps)  # (N,)
    u = features / norms[:, None]
    cosines = u @ u.T
    off = cosines - xp.diag(xp.diag(cosines))  # the diagonal (each row with itself) left out
    scale = 1.0 / (n * (n - 1))
    g = (4.0 * scale) * (off @ u)
    dfeatures = (g - (g * u).sum(axis=1)[:, None] * u) / norms[:, None]
    return scale * (off * off).sum(), dfeatures.astype(features.dtype, copy=False)


# ---- the layers and networks -----------------------------------------------------

def he_range(n_in):
    """``sqrt(6 / n_in)``: a uniform draw in +-this has variance ``2 / n_in`` (He et al. 2015, for ReLU)."""
    return math.sqrt(6.0 / n_in)


def glorot_range(n_in, n_out):
    """``sqrt(6 / (n_in + n_out))``: Glorot and Bengio's uniform start (Lasagne's default, Improved GAN's G)."""
    return math.sqrt(6.0 / (n_in + n_out))


# Improved GAN's starts: D's directions v ~ N(0, 0.1^2); G's weight-normalised output's
# v ~ N(0, 0.04^2), whose column length (0.04 sqrt(500) = 0.9) is that of their Glorot-uniform
# draw for a 500-wide input. A unit turns by about lr / |v| per Adam step, so these set rates.
D_WEIGHT_NORM_STD = 0.1
G_WEIGHT_NORM_STD = 0.04


def discriminator(hidden, rng, input_noise=0.3, hidden_noise=0.5, n_in=784, classes=CLASSES, dtype="float32",
                  weight_norm=False, train_scales=True):
    """Images (N, n_in) -> class logits (N, classes): noise, then per width Linear, ReLU, noise.

    Salimans et al. (MNIST): input noise 0.3, 0.5 before every later layer. The features
    that G matches are the last ReLU's output, ``features(D)`` (everything before the
    last noise layer). ``weight_norm``: ``WeightNormLinear`` layers (start them with
    ``init_weight_norm``) instead of ``Linear`` ones uniform in +-``he_range``;
    ``train_scales=False`` holds the hidden layers' lengths ``g`` at that start and trains
    only the output layer's (Improved GAN's MNIST D).
    """
    def linear(a, b, last=False):
        if weight_norm:
            return WeightNormLinear(a, b, rng, dtype, D_WEIGHT_NORM_STD, train_scale=train_scales or last)
        return Linear(a, b, rng, he_range(a), dtype)

    layers, width = [GaussianNoise(input_noise, rng)], n_in
    for h in hidden:
        layers += [linear(width, h), ReLU(), GaussianNoise(hidden_noise, rng)]
        width = h
    layers.append(linear(width, classes, last=True))
    return Sequential(*layers)


class ScaleFreeBatchNorm(BatchNorm):
    """``BatchNorm`` with its scale held at 1: ``y = xhat + beta`` (Improved GAN's G, ``batch_norm(g=None)``).

    ``gamma`` stays in ``params`` (files keep it) at 1 and its reported gradient is 0, so no
    optimiser moves it; ``dx`` and ``dbeta`` are ``BatchNorm``'s with ``gamma = 1``.
    """

    held = ("gamma",)

    def backward(self, dy, input_grad=True, param_grads=True):
        dx = super().backward(dy, input_grad, param_grads)
        if param_grads:
            self.grads["gamma"] = get_backend().zeros_like(self.params["gamma"])
        return dx


def held_keys(network):
    """``"<index>.<name>"`` of the parameters a network holds fixed (reported gradient 0): checks leave them out."""
    held = set()
    for i, layer in enumerate(network.layers):
        if getattr(layer, "train_scale", True) is False:
            held.add(f"{i}.g")
        held.update(f"{i}.{name}" for name in getattr(layer, "held", ()))
    return held


def generator(noise_dim, hidden, rng, n_out=784, momentum=0.1, dtype="float32", activation="relu",
              output_weight_norm=False, bn_scale=True):
    """Noise (N, noise_dim) -> images (N, n_out): Linear, BatchNorm, activation per width, Linear, sigmoid.

    ``activation`` "relu" (Linear layers uniform in +-``he_range``) or "softplus" (in
    +-``glorot_range``, Improved GAN's G); ``output_weight_norm``: the output layer a
    ``WeightNormLinear`` with ``g`` starting at 1 and trained (their ``l2normalize``);
    ``bn_scale=False``: batch norm without a learned scale (``ScaleFreeBatchNorm``, theirs).
    """
    norm = BatchNorm if bn_scale else ScaleFreeBatchNorm
    if activation not in ("relu", "softplus"):
        raise ValueError(f"generator: activation must be 'relu' or 'softplus', got {activation!r}")

    def start(a, b):
        return he_range(a) if activation == "relu" else glorot_range(a, b)

    layers, width = [], noise_dim
    for h in hidden:
        layers += [Linear(width, h, rng, start(width, h), dtype), norm(h, momentum, dtype=dtype),
                   ReLU() if activation == "relu" else Softplus()]
        width = h
    out = (WeightNormLinear(width, n_out, rng, dtype, G_WEIGHT_NORM_STD) if output_weight_norm
           else Linear(width, n_out, rng, start(width, n_out), dtype))
    return Sequential(*layers, out, Sigmoid())


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
