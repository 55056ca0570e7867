"""Gradient checking: the proof that every hand-written backward pass is right.

All checks run in float64 with central differences, in vector-Jacobian form: for a
layer ``y = f(x)`` and a random upstream gradient ``dy``, the scalar
``s(x) = sum(f(x) * dy)`` has gradient ``dx = J^T dy``, exactly what ``backward(dy)``
returns, and numerically

    ds/dx_i ~ (s(x + h e_i) - s(x - h e_i)) / (2 h),       error O(h^2).

The relative error of an analytic gradient ``a`` against a numerical one ``n`` is

    rel_error(a, n) = max_i |a_i - n_i| / max(1e-8, max_i (|a_i| + |n_i|)),

the worst absolute deviation measured against the scale of the gradient (an
element-wise ratio would blow up on entries that are zero up to rounding). In float64 a
correct backward gives about 1e-10; a wrong one gives 1e-2 or worse.

Dropout masks are held fixed during a check (``Dropout.fixed_mask``), so the function
being differentiated is deterministic. Inputs should be kept off kinks (a ReLU input at
0, a maxout tie); ``check_layer`` uses random inputs, for which a kink within ``h`` has
probability about ``1e-6`` per unit, and verifies that no ReLU mask or maxout winner
flipped while probing.
"""

from contextlib import contextmanager

import numpy

from npgan.backend import Random, get_backend, to_numpy
from npgan.nn.layers import Dropout, Sequential

LAYER_TOLERANCE = 1e-7
NETWORK_TOLERANCE = 1e-6


def rel_error(a, n):
    """``max|a - n| / max(1e-8, max(|a| + |n|))`` on host float64 copies."""
    a, n = numpy.asarray(to_numpy(a), numpy.float64), numpy.asarray(to_numpy(n), numpy.float64)
    if a.shape != n.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} vs {n.shape}")
    if a.size == 0:
        return 0.0
    return float(numpy.max(numpy.abs(a - n)) / max(1e-8, numpy.max(numpy.abs(a) + numpy.abs(n))))


def numerical_gradient(f, x, h=1e-6):
    """Central-difference gradient of the scalar function ``f()`` w.r.t. array ``x``.

    ``x`` is perturbed in place, one element at a time, and restored exactly.
    """
    xp = get_backend()
    if not x.flags.c_contiguous:
        raise ValueError("numerical_gradient: x must be C-contiguous, so it can be perturbed in place")
    grad = xp.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i].copy()
        flat[i] = old + h
        plus = float(f())
        flat[i] = old - h
        minus = float(f())
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * h)
    return grad


def _layers(layer):
    return layer.layers if isinstance(layer, Sequential) else [layer]


@contextmanager
def _frozen_dropout(layer):
    """Hold every dropout mask at its last value while probing."""
    dropouts = [d for d in _layers(layer) if isinstance(d, Dropout)]
    masks = [d.mask for d in dropouts]
    for d, m in zip(dropouts, masks):
        d.fixed_mask = m
    try:
        yield
    finally:
        for d in dropouts:
            d.fixed_mask = None


def _require_float64(layer, x):
    bad = [k for k, p in layer.params.items() if p.dtype != "float64"]
    if x.dtype != "float64" or bad:
        raise ValueError(
            "gradcheck: gradient checks run in float64; got input "
            f"{x.dtype} and non-float64 parameters {bad}. Build the layer with dtype='float64'."
        )


def _kink_signature(layer):
    """ReLU masks and maxout winners of the last forward pass, to detect flips."""
    return [to_numpy(k).copy() for k in (part.kinks() for part in _layers(layer)) if k is not None]


def check_layer(layer, x, dy=None, seed=0, h=1e-6):
    """Compare ``layer.backward`` with central differences for ``dx`` and every parameter.

    Returns ``{"dx": err, "<param name>": err, ...}`` of relative errors.
    """
    _require_float64(layer, x)
    rng = Random(seed)
    y = layer.forward(x, training=True)
    if dy is None:
        dy = rng.normal(y.shape, dtype="float64")
    signature = _kink_signature(layer)
    dx = layer.backward(dy)
    analytic = {"dx": dx, **{k: g.copy() for k, g in layer.grads.items()}}

    xp = get_backend()
    flipped = []

    def s():
        value = xp.sum(layer.forward(x, training=True) * dy)
        if any((a != b).any() for a, b in zip(signature, _kink_signature(layer))):
            flipped.append(True)
        return value

    with _frozen_dropout(layer):
        errors = {"dx": rel_error(analytic["dx"], numerical_gradient(s, x, h))}
        for name, p in layer.params.items():
            errors[name] = rel_error(analytic[name], numerical_gradient(s, p, h))
    if flipped:
        raise RuntimeError(
            "gradcheck: a ReLU input or maxout winner sits within h of a kink (a tie); "
            "move the input or parameters off it (see randomize_parameters) or use another seed"
        )
    return errors


def randomize_parameters(network, rng, scale=0.5):
    """Overwrite every parameter with ``scale * N(0, 1)`` draws, biases included.

    Freshly built networks have zero biases; a maxout unit whose inputs are all dropped
    then has all pieces equal to 0, an exact tie where the function has no derivative.
    Random biases move every unit off such kinks before a check.
    """
    for key, layer, name in network.parameters():
        p = layer.params[name]
        p[...] = rng.normal(p.shape, dtype=p.dtype.name) * scale
    return network


def directional_check(network, x, dy=None, seed=0, h=1e-6):
    """One directional derivative through the input and all parameters at once.

    For a random unit direction ``u = (u_x, u_theta)``, compare the analytic
    ``<dx, u_x> + sum <dtheta, u_theta>`` with
    ``(s(x + h u_x, theta + h u_theta) - s(x - h u_x, theta - h u_theta)) / (2 h)``.
    Costs two forward passes whatever the network's size. Returns the relative error
    ``|a - n| / max(1e-8, |a| + |n|)``.
    """
    _require_float64(network, x)
    xp = get_backend()
    rng = Random(seed)
    y = network.forward(x, training=True)
    dy = rng.normal(y.shape, dtype="float64") if dy is None else dy
    dx = network.backward(dy)
    arrays = [x] + list(network.params.values())
    grads = [dx] + [network.grads[k] for k in network.params]
    with _frozen_dropout(network):
        return directional_error(lambda: float(xp.sum(network.forward(x, training=True) * dy)), arrays, grads,
                                 rng, h)


def directional_error(value, arrays, grads, rng, h=1e-6):
    """Relative error of ``sum <grad, u>`` against the central difference of ``value()`` along a random unit ``u``.

    arrays: what ``value()`` depends on, moved in place (and restored) along ``u``, drawn
    from ``rng`` one normal array per entry and scaled to unit length over all of them;
    grads: the analytic gradients of ``value()`` with respect to them, in the same order.
    Returns ``|a - n| / max(1e-8, |a| + |n|)``.
    """
    xp = get_backend()
    directions = [rng.normal(a.shape, dtype="float64") for a in arrays]
    norm = float(xp.sqrt(sum(xp.sum(u * u) for u in directions)))
    directions = [u / norm for u in directions]
    analytic = float(sum(xp.sum(g * u) for g, u in zip(grads, directions)))

    def shifted(sign):
        for a, u in zip(arrays, directions):
            a += sign * h * u
        result = value()
        for a, u in zip(arrays, directions):
            a -= sign * h * u
        return result

    numeric = (shifted(+1) - shifted(-1)) / (2 * h)
    return abs(analytic - numeric) / max(1e-8, abs(analytic) + abs(numeric))


def check_loss(loss_fn, logits, h=1e-6):
    """Relative error of ``loss_fn(logits) -> (loss, dlogits)`` against central differences."""
    _, dlogits = loss_fn(logits)
    return rel_error(dlogits, numerical_gradient(lambda: loss_fn(logits)[0], logits, h))
