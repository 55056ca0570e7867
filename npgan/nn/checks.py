"""The gradient checks of ``npgan.nn``: the first rows of ``npgan gradcheck``.

Every layer (``layers``, ``image_layers``) and loss checked in float64 by central
differences with ``gradcheck``'s engine (input, weights and bias; batch norm in training
mode, through its batch statistics, and in evaluation mode), the adjoint identity that
makes ``ConvTranspose2d`` the transpose of ``Conv2d``, and the paper's MLPs at small
widths, whole and as the generator step (G's gradients arriving through D's backward).
Rows are ``(what, gradient, relative error, tolerance)``.
"""

from npgan.backend import Random, get_backend
from npgan.nn import kernels, losses, mlp
from npgan.nn.conv import conv2d_backward, conv2d_forward, conv_transpose2d_forward
from npgan.nn.gradcheck import (
    LAYER_TOLERANCE,
    NETWORK_TOLERANCE,
    check_layer,
    check_loss,
    directional_check,
    numerical_gradient,
    randomize_parameters,
    rel_error,
)
from npgan.nn.image_layers import BatchNorm, Conv2d, ConvTranspose2d, Flatten, LeakyReLU, Reshape, Tanh
from npgan.nn.layers import Dropout, Linear, Maxout, ReLU, Sequential, Sigmoid
from npgan.nn.noise import GaussianNoise
from npgan.nn.softplus import Softplus
from npgan.nn.weightnorm import WeightNormLinear

RUNNING = ("running_mean", "running_var")  # batch norm's running averages: not learned, gradient 0


def adjoint_error(W, x, y, stride, padding):
    """``|<A x, y> - <x, A^T y>| / (|<A x, y>| + |<x, A^T y>|)`` for the convolution ``A`` with weights ``W``.

    ``A x = conv2d(x, W)`` (no bias), ``A^T y = conv_transpose2d(y, W)``; x: (N, C, H, W)
    images with ``s`` dividing ``H + 2p - K`` (else ``A`` drops the last rows, and ``A^T``
    gives images a row short), y: (N, F, OH, OW) images of A's output shape. The conv layer's input gradient
    (``conv2d_backward``'s ``dx``) must be the same ``A^T y``: the largest difference
    between the two, relative to their scale, is returned beside it.
    """
    xp = get_backend()
    ax, cache = conv2d_forward(x, W, None, stride, padding)
    aty, _ = conv_transpose2d_forward(y, W, None, stride, padding)
    left, right = float(xp.sum(ax * y)), float(xp.sum(x * aty))
    dx, _, _ = conv2d_backward(y, cache, param_grads=False)
    return abs(left - right) / max(1e-30, abs(left) + abs(right)), rel_error(dx, aty)


def check_eval_batch_norm(layer, x, seed=0, h=1e-6):
    """``check_layer`` for a ``BatchNorm`` in evaluation mode (running statistics held fixed)."""
    xp = get_backend()
    dy = Random(seed).normal(x.shape, dtype="float64")
    layer.forward(x, training=False)
    analytic = {"dx": layer.backward(dy), "gamma": layer.grads["gamma"], "beta": layer.grads["beta"]}

    def s():
        return xp.sum(layer.forward(x, training=False) * dy)

    return {"dx": rel_error(analytic["dx"], numerical_gradient(s, x, h)),
            **{name: rel_error(analytic[name], numerical_gradient(s, layer.params[name], h))
               for name in ("gamma", "beta")}}


def randomize_learned(network, rng, scale=0.5):
    """Every learned parameter ``scale * N(0, 1)`` (batch norm's scale around 1); running averages kept."""
    for _, layer, name in network.parameters():
        p = layer.params[name]
        if name not in RUNNING:
            p[...] = rng.normal(p.shape, dtype="float64") * scale + (1.0 if name == "gamma" else 0.0)


def rows(seed=0):
    """Every layer and loss of ``npgan.nn``, and a paper-shaped D and G at small widths.

    Returns rows ``(what, gradient, relative error, tolerance)``, the first of
    ``npgan gradcheck``'s table; each model family adds its own (``npgan.models``).
    """
    rng = Random(seed)

    def data(*shape):
        return rng.normal(shape, dtype="float64")

    def layer_rows(name, layer, x, tol=LAYER_TOLERANCE):
        return [(name, grad, err, tol) for grad, err in check_layer(layer, x, seed=seed).items()]

    rows = []
    rows += layer_rows("Linear(7, 5)", Linear(7, 5, rng, 0.5, "float64"), data(4, 7))
    rows += layer_rows("ReLU", ReLU(), data(4, 6))
    rows += layer_rows("Sigmoid", Sigmoid(), data(4, 6))
    rows += layer_rows("Maxout(7, 4 x 3)", Maxout(7, 4, 3, rng, 0.5, "float64"), data(4, 7))
    rows += layer_rows("Dropout(keep 0.5)", Dropout(0.5, rng), data(4, 6))

    logits, other = data(8, 1) * 3, data(8, 1) * 3
    for name, fn in [
        ("BCE(D(x), 1)", lambda l: losses.sigmoid_cross_entropy(l, 1.0)),
        ("BCE(D(x), 0)", lambda l: losses.sigmoid_cross_entropy(l, 0.0)),
        ("G loss, non-saturating", lambda l: losses.generator_loss(l, "nonsaturating")),
        ("G loss, minimax", lambda l: losses.generator_loss(l, "minimax")),
        ("D loss, real logits", lambda l: losses.discriminator_loss(l, other)[:2]),
        ("D loss, fake logits", lambda l: losses.discriminator_loss(other, l)[::2]),
    ]:
        rows.append((name, "dlogits", check_loss(fn, logits.copy()), LAYER_TOLERANCE))

    d = mlp.discriminator(12, (6, 6), n_pieces=3, init_range=0.5, rng=rng, dtype="float64")
    g = mlp.generator(5, (8, 8), 12, init_range=0.5, rng=rng, dtype="float64")
    randomize_parameters(d, rng)
    randomize_parameters(g, rng)
    for name, net, x in [("paper-shaped D", d, data(6, 12)), ("paper-shaped G", g, data(6, 5))]:
        rows += layer_rows(name, net, x, NETWORK_TOLERANCE)
        rows.append((name, "directional", directional_check(net, x, seed=seed), NETWORK_TOLERANCE))
    # The generator step: z -> G -> D -> logit, G's gradients arriving through D's backward.
    g_through_d = Sequential(*g.layers, *d.layers)
    errors = check_layer(g_through_d, data(6, 5), seed=seed)
    worst_g = max(errors[f"{i}.{n}"] for i, layer in enumerate(g.layers) for n in layer.params)
    rows.append(("G through D (G step)", "all of G", worst_g, NETWORK_TOLERANCE))
    # npgan's classifier (npgan.evaluation.classifier): softmax cross-entropy over K = 5 classes.
    labels = rng.integers(0, 5, (8,))
    rows.append(("softmax cross-entropy", "dlogits",
                 check_loss(lambda l: losses.softmax_cross_entropy(l, labels), data(8, 5) * 3), LAYER_TOLERANCE))
    rows += weight_norm_rows(seed)
    return rows + image_rows(seed)


def image_rows(seed=0):
    """The image layers (``image_layers``) and the adjoint identity of the transposed convolution."""
    rng = Random(seed)

    def data(*shape):
        return rng.normal(shape, dtype="float64")

    def rows_of(name, errors, tol=LAYER_TOLERANCE):
        return [(name, grad, err, tol) for grad, err in errors.items() if grad.split(".")[-1] not in RUNNING]

    def layer_rows(name, layer, x):
        if layer.params:
            randomize_learned(Sequential(layer), rng)
        return rows_of(name, check_layer(layer, x, seed=seed))

    rows = []
    rows += layer_rows("Conv2d(2, 3, k3 s2 p1)", Conv2d(2, 3, 3, rng, 2, 1, dtype="float64"), data(2, 2, 5, 5))
    rows += layer_rows("Conv2d(2, 2, k2 s1 p0)", Conv2d(2, 2, 2, rng, 1, 0, dtype="float64"), data(2, 2, 4, 3))
    rows += layer_rows("ConvTranspose2d(3,2,k4s2p1)", ConvTranspose2d(3, 2, 4, rng, 2, 1, dtype="float64"),
                       data(2, 3, 3, 3))
    rows += layer_rows("BatchNorm(3), (N, C)", BatchNorm(3, dtype="float64"), data(5, 3) * 2 + 1)
    rows += layer_rows("BatchNorm(2), (N, C, H, W)", BatchNorm(2, dtype="float64"), data(3, 2, 3, 3) * 2 + 1)
    evaluating = BatchNorm(2, dtype="float64")
    randomize_learned(Sequential(evaluating), rng)
    evaluating.params["running_mean"][...] = data(2)
    evaluating.params["running_var"][...] = rng.uniform(0.5, 2.0, (2,), "float64")
    rows += rows_of("BatchNorm(2), evaluation", check_eval_batch_norm(evaluating, data(3, 2, 3, 3), seed))
    rows += layer_rows("LeakyReLU(0.2)", LeakyReLU(0.2), data(3, 2, 3, 3))
    rows += layer_rows("Tanh", Tanh(), data(3, 2, 3, 3))
    rows += layer_rows("Reshape((2, 3, 3))", Reshape((2, 3, 3)), data(3, 18))
    rows += layer_rows("Flatten((2, 3, 3))", Flatten((2, 3, 3)), data(3, 2, 3, 3))
    # The fold by whole blocks (kernels.fold: stride dividing the kernel, stride x channels >= 32),
    # in a convolution's input gradient and a transposed convolution's output
    rows += layer_rows("Conv2d(16,2,k4s2p1) blocks", Conv2d(16, 2, 4, rng, 2, 1, dtype="float64"), data(2, 16, 6, 6))
    rows += layer_rows("ConvT(2,16,k4s2p1) blocks", ConvTranspose2d(2, 16, 4, rng, 2, 1, dtype="float64"),
                       data(2, 2, 3, 3))
    # The rows above run the fast forms the layers use on NumPy (kernels); these, the plain ones
    with kernels.plain_forms():
        rows += layer_rows("Conv2d(2,3,k3s2p1) plain", Conv2d(2, 3, 3, rng, 2, 1, dtype="float64"), data(2, 2, 5, 5))
        rows += layer_rows("ConvT(3,2,k4s2p1) plain", ConvTranspose2d(3, 2, 4, rng, 2, 1, dtype="float64"),
                           data(2, 3, 3, 3))
        rows += layer_rows("BatchNorm(2) NCHW plain", BatchNorm(2, dtype="float64"), data(3, 2, 3, 3) * 2 + 1)
        rows += layer_rows("LeakyReLU(0.2) plain", LeakyReLU(0.2), data(3, 2, 3, 3))
    inner, against_backward = adjoint_error(data(3, 2, 4, 4), data(2, 2, 8, 8), data(2, 3, 4, 4), 2, 1)
    rows.append(("ConvTranspose2d = Conv2d^T", "<Ax,y>=<x,A'y>", inner, 1e-12))
    rows.append(("ConvTranspose2d = Conv2d^T", "= conv dx", against_backward, 1e-12))
    return rows


# ---- weight normalisation, Gaussian noise, softplus (Improved GAN's layers) ----------

def weight_norm_rows(seed=0):
    """``WeightNormLinear`` (scales trained, and held), ``GaussianNoise`` (draw fixed), ``Softplus``.

    A held scale ``g`` reports a zero gradient (no optimiser moves it): its row checks
    ``dx``, ``v`` and ``b`` against central differences and that ``g``'s gradient is 0.
    """
    rng = Random(seed)

    def data(*shape):
        return rng.normal(shape, dtype="float64")

    rows = []
    for train_scale in (True, False):
        layer = WeightNormLinear(7, 5, rng, "float64", train_scale=train_scale)
        randomize_parameters(Sequential(layer), rng)
        errors = check_layer(layer, data(4, 7), seed=seed)
        if train_scale:
            rows += [("WeightNormLinear(7, 5)", grad, err, LAYER_TOLERANCE) for grad, err in errors.items()]
        else:
            rows += [("WeightNormLinear(7, 5), g held", grad, err, LAYER_TOLERANCE)
                     for grad, err in errors.items() if grad != "g"]
            rows.append(("WeightNormLinear(7, 5), g held", "g is 0",
                         float(abs(layer.grads["g"]).max()), LAYER_TOLERANCE))
    noise = GaussianNoise(0.5, rng)
    noise.fixed_noise = data(4, 6)
    rows.append(("GaussianNoise(0.5)", "dx", check_layer(noise, data(4, 6), seed=seed)["dx"], LAYER_TOLERANCE))
    rows.append(("Softplus", "dx", check_layer(Softplus(), data(4, 6) * 3, seed=seed)["dx"], LAYER_TOLERANCE))
    return rows
