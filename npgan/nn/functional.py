"""Forward/backward pairs: where the math of every layer lives.

Each ``*_forward`` returns ``(y, cache)``; the matching ``*_backward(dy, cache)`` returns
the gradient of a scalar loss ``L`` with respect to each input, given ``dy = dL/dy``.
Nothing here holds state. Shapes: ``N`` examples, ``D`` input features, ``M`` outputs,
``U`` maxout units, ``P`` pieces per unit.

Derivations use index notation; repeated indices are *not* summed unless a sum is
written. All code goes through the backend's array module ``xp``.
"""

from npgan.backend import get_backend


def linear_forward(x, W, b):
    """``y = x W + b``.

    x: (N, D), W: (D, M), b: (M,)  ->  y: (N, M); cache = (x, W).
    """
    y = x @ W
    y += b
    return y, (x, W)


def linear_backward(dy, cache, input_grad=True, param_grads=True):
    """Gradients of ``y = x W + b``.

    ``y[n, m] = sum_d x[n, d] W[d, m] + b[m]``, so

        dL/dW[d, m] = sum_n x[n, d] dy[n, m]      ->  dW = x^T dy    (D, M)
        dL/db[m]    = sum_n dy[n, m]              ->  db = sum_n dy  (M,)
        dL/dx[n, d] = sum_m dy[n, m] W[d, m]      ->  dx = dy W^T    (N, D)

    ``input_grad=False`` skips ``dx`` (the first layer of a network needs none) and
    ``param_grads=False`` skips ``dW, db`` (a generator step through a frozen
    discriminator); skipped results are ``None``.
    """
    x, W = cache
    dx = dy @ W.T if input_grad else None
    dW = x.T @ dy if param_grads else None
    db = dy.sum(axis=0) if param_grads else None
    return dx, dW, db


def relu_forward(x):
    """``y = max(x, 0)``; cache = the mask ``x > 0``."""
    xp = get_backend()
    return xp.maximum(x, 0), x > 0


def relu_backward(dy, mask):
    """``dy/dx = 1[x > 0]`` (0 at the kink ``x = 0``), so ``dx = dy * 1[x > 0]``."""
    return dy * mask


def sigmoid(x):
    """``1 / (1 + exp(-x))`` without overflow.

    For ``x >= 0`` use ``1 / (1 + e^-x)``; for ``x < 0`` the equal form
    ``e^x / (1 + e^x)``. Either way the only exponential is ``e = e^-|x| <= 1``, which
    cannot overflow: ``y = where(x >= 0, 1 / (1 + e), e / (1 + e))``.
    (``kernels.sigmoid`` computes the same values, bit for bit, in place.)
    """
    xp = get_backend()
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def sigmoid_forward(x):
    """``y = sigmoid(x)``; cache = y."""
    y = sigmoid(x)
    return y, y


def sigmoid_backward(dy, y):
    """``dy/dx = e^-x / (1 + e^-x)^2 = y (1 - y)``, so ``dx = dy * y * (1 - y)``."""
    dx = dy * y
    dx *= 1 - y
    return dx


def maxout_forward(x, W, b, n_pieces):
    """Maxout (Goodfellow et al., 2013): ``y[n, u] = max_p z[n, u, p]``, ``z = x W + b``.

    Unit ``u`` takes the max over the consecutive columns ``u*P ... u*P + P - 1`` of
    ``z``, so ``z.reshape(N, U, P)`` puts a unit's pieces on the last axis. The winner
    ``which[n, u] = argmax_p z[n, u, p]`` is the *first* index on a tie, and backward
    uses the same ``which``, so exactly one piece per unit is credited.
    (``kernels.maxout_forward`` gives the same ``y`` and ``which`` faster.)

    x: (N, D), W: (D, U*P), b: (U*P,)  ->  y: (N, U); cache = (x, W, which).
    """
    xp = get_backend()
    z, _ = linear_forward(x, W, b)
    z = z.reshape(x.shape[0], -1, n_pieces)  # (N, U, P)
    which = z.argmax(axis=-1)  # (N, U), first index on a tie
    y = xp.take_along_axis(z, which[:, :, None], axis=-1)[:, :, 0]  # (N, U)
    return y, (x, W, which)


def maxout_backward(dy, cache, input_grad=True, param_grads=True):
    """Gradients of maxout.

    ``y[n, u] = z[n, u, which[n, u]]``, so

        dL/dz[n, u, p] = dy[n, u] 1[p = which[n, u]]

    the whole gradient of a unit goes to its winning piece: ``dz`` is ``dy`` times the
    one-hot mask of ``which`` (no scatter, and a tie cannot send it twice). Then
    ``z = x W + b`` backpropagates as in ``linear_backward``.
    """
    xp = get_backend()
    x, W, which = cache
    n, n_units = dy.shape
    n_pieces = W.shape[1] // n_units
    one_hot = which[:, :, None] == xp.arange(n_pieces)  # (N, U, P)
    dz = (dy[:, :, None] * one_hot).astype(dy.dtype, copy=False)  # (N, U, P)
    return linear_backward(dz.reshape(n, n_units * n_pieces), (x, W), input_grad, param_grads)


def dropout_forward(x, mask, keep_prob):
    """Inverted dropout: ``y = x * mask / keep_prob``, mask of 0/1 with P(1) = keep_prob.

    Dividing by ``keep_prob`` keeps the expectation, ``E[y] = x``, so evaluation (no
    dropout) needs no rescaling. ``mask`` may be boolean or of any float dtype.
    cache = ``scale = mask / keep_prob`` in the dtype of ``x``.
    """
    xp = get_backend()
    scale = xp.empty(x.shape, dtype=x.dtype)
    xp.multiply(mask, x.dtype.type(1.0 / keep_prob), out=scale)
    return x * scale, scale


def dropout_backward(dy, scale):
    """``y = x * s`` with ``s = mask / keep_prob`` fixed, so ``dx = dy * s``."""
    return dy * scale
