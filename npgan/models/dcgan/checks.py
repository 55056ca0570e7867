"""The gradient checks of the image layers and of a DCGAN-shaped D and G, for ``npgan gradcheck``.

``gradcheck_rows(seed)`` returns rows ``(what, gradient, relative error, tolerance)`` in
the form of ``gradcheck.report``, which lists them: every layer of ``image_layers``
checked in float64 by central differences (input, weights and bias; batch norm in
training mode, through its batch statistics, and in evaluation mode), the adjoint
identity that makes ``ConvTranspose2d`` the transpose of ``Conv2d``, and small DCGAN
networks, whole and as the generator step (G's gradients arriving through D's backward).
"""

from npgan.backend import Random, get_backend
from npgan.models.dcgan.model import discriminator, generator
from npgan.nn.conv import conv2d_backward, conv2d_forward, conv_transpose2d_forward
from npgan.nn.gradcheck import (
    LAYER_TOLERANCE,
    NETWORK_TOLERANCE,
    check_layer,
    directional_check,
    numerical_gradient,
    rel_error,
)
from npgan.nn.image_layers import BatchNorm, Conv2d, ConvTranspose2d, Flatten, LeakyReLU, Reshape, Tanh
from npgan.nn.layers import Sequential

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


def _randomize_learned(network, rng, scale=0.5):
    """Every learned parameter ``scale * N(0, 1)`` (batch norm's scale around 1); running averages kept."""
    for _, layer, name in network.parameters():
        p = layer.params[name]
        if name not in RUNNING:
            p[...] = rng.normal(p.shape, dtype="float64") * scale + (1.0 if name == "gamma" else 0.0)


def gradcheck_rows(seed=0):
    rng = Random(seed)

    def data(*shape):
        return rng.normal(shape, dtype="float64")

    def rows_of(name, errors, tol=LAYER_TOLERANCE):
        return [(name, grad, err, tol) for grad, err in errors.items() if grad.split(".")[-1] not in RUNNING]

    def layer_rows(name, layer, x):
        if layer.params:
            _randomize_learned(Sequential(layer), rng)
        return rows_of(name, check_layer(layer, x, seed=seed))

    rows = []
    rows += layer_rows("Conv2d(2, 3, k3 s2 p1)", Conv2d(2, 3, 3, rng, 2, 1, dtype="float64"), data(2, 2, 5, 5))
    rows += layer_rows("Conv2d(2, 2, k2 s1 p0)", Conv2d(2, 2, 2, rng, 1, 0, dtype="float64"), data(2, 2, 4, 3))
    rows += layer_rows("ConvTranspose2d(3,2,k4s2p1)", ConvTranspose2d(3, 2, 4, rng, 2, 1, dtype="float64"),
                       data(2, 3, 3, 3))
    rows += layer_rows("BatchNorm(3), (N, C)", BatchNorm(3, dtype="float64"), data(5, 3) * 2 + 1)
    rows += layer_rows("BatchNorm(2), (N, C, H, W)", BatchNorm(2, dtype="float64"), data(3, 2, 3, 3) * 2 + 1)
    evaluating = BatchNorm(2, dtype="float64")
    _randomize_learned(Sequential(evaluating), rng)
    evaluating.params["running_mean"][...] = data(2)
    evaluating.params["running_var"][...] = rng.uniform(0.5, 2.0, (2,), "float64")
    rows += rows_of("BatchNorm(2), evaluation", check_eval_batch_norm(evaluating, data(3, 2, 3, 3), seed))
    rows += layer_rows("LeakyReLU(0.2)", LeakyReLU(0.2), data(3, 2, 3, 3))
    rows += layer_rows("Tanh", Tanh(), data(3, 2, 3, 3))
    rows += layer_rows("Reshape((2, 3, 3))", Reshape((2, 3, 3)), data(3, 18))
    rows += layer_rows("Flatten((2, 3, 3))", Flatten((2, 3, 3)), data(3, 2, 3, 3))
    inner, against_backward = adjoint_error(data(3, 2, 4, 4), data(2, 2, 8, 8), data(2, 3, 4, 4), 2, 1)
    rows.append(("ConvTranspose2d = Conv2d^T", "<Ax,y>=<x,A'y>", inner, 1e-12))
    rows.append(("ConvTranspose2d = Conv2d^T", "= conv dx", against_backward, 1e-12))

    # DCGAN-shaped networks at a small size: 1 x 8 x 8 images, width 2, 3-d noise.
    g = generator(3, (1, 8, 8), 2, rng, dtype="float64")
    d = discriminator((1, 8, 8), 2, rng, dtype="float64")
    _randomize_learned(g, rng)
    _randomize_learned(d, rng)
    images, noise = rng.uniform(0, 1, (4, 64), "float64"), data(4, 3)
    for name, net, x in [("DCGAN-shaped D", d, images), ("DCGAN-shaped G", g, noise)]:
        errors = check_layer(net, x, seed=seed)
        worst = max(err for key, err in errors.items() if key != "dx" and key.split(".")[-1] not in RUNNING)
        rows += [(name, "dx", errors["dx"], NETWORK_TOLERANCE), (name, "all parameters", worst, NETWORK_TOLERANCE),
                 (name, "directional", directional_check(net, x, seed=seed), NETWORK_TOLERANCE)]
    errors = check_layer(Sequential(*g.layers, *d.layers), data(4, 3), seed=seed)
    worst_g = max(errors[f"{i}.{n}"] for i, layer in enumerate(g.layers) for n in layer.params if n not in RUNNING)
    rows.append(("DCGAN G through D (G step)", "all of G", worst_g, NETWORK_TOLERANCE))
    return rows
