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
    ``e^x / (1 + e^x)``; either way the exponent is ``-|x| <= 0`` and cannot overflow.
    Both branches are one expression, ``e^min(x, 0) / (1 + e^-|x|)`` (the numerator is
    ``e^0 = 1`` for ``x >= 0`` and ``e^x`` below), evaluated in place without a
    ``where``: the same values bit for bit, in a third of the time.
    """
    xp = get_backend()
    denominator = xp.abs(x)
    xp.negative(denominator, out=denominator)
    xp.exp(denominator, out=denominator)
    denominator += 1  # 1 + e^-|x|, in (1, 2]
    y = xp.minimum(x, 0)
    xp.exp(y, out=y)  # e^min(x, 0), in (0, 1]
    y /= denominator
    return y.astype(x.dtype, copy=False)


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
    ``z``. The winner ``which[n, u] = argmax_p z[n, u, p]`` is the *first* index on a
    tie, and backward uses the same ``which``, so exactly one piece per unit is credited.

    Computed as a running max over the ``P`` piece planes ``z_p = z[:, :, p]``, each
    (N, U), copied once into one contiguous (P, N, U) array so that every pass is a
    contiguous vector loop (``argmax`` over a last axis of length ``P`` runs a slow loop
    per unit; passes over strided views are twice as slow as over contiguous ones).
    The running max ``y`` changes only where a piece is *strictly* greater
    (``up_p = z_p > y``), so a tie keeps the earlier piece, and the winner is the last
    piece that raised it: ``which = max_p p * up_p``, an int8 max per piece.

    x: (N, D), W: (D, U*P), b: (U*P,)  ->  y: (N, U); cache = (x, W, which).
    """
    xp = get_backend()
    z, _ = linear_forward(x, W, b)  # (N, U*P)
    z = z.reshape(x.shape[0], -1, n_pieces)  # (N, U, P), a view
    planes = xp.ascontiguousarray(z.transpose(2, 0, 1))  # (P, N, U): planes[p] = z_p
    y = planes[0].copy()  # (N, U)
    index = xp.int8 if n_pieces < 128 else xp.int64
    which = xp.zeros(y.shape, dtype=index)
    up = xp.empty(y.shape, dtype=bool)
    raised = xp.empty(y.shape, dtype=index)
    for p in range(1, n_pieces):
        xp.greater(planes[p], y, out=up)
        xp.multiply(up, index(p), out=raised)  # p where piece p raised the max, else 0
        xp.maximum(which, raised, out=which)
        xp.maximum(y, planes[p], out=y)
    return y, (x, W, which)


def maxout_backward(dy, cache, input_grad=True, param_grads=True):
    """Gradients of maxout.

    ``y[n, u] = z[n, u, which[n, u]]``, so ``dL/dz[n, u, p] = dy[n, u] 1[p = which[n, u]]``:
    the whole gradient of a unit goes to its winning piece (a mask per piece from the
    one ``which``, so a tie cannot send it twice). ``dz`` is filled one strided (N, U)
    slice per piece. Then ``z = x W + b`` backpropagates as in ``linear_backward``.
    """
    xp = get_backend()
    x, W, which = cache
    n, n_units = dy.shape
    n_pieces = W.shape[1] // n_units
    dz = xp.empty((n, n_units, n_pieces), dtype=dy.dtype)
    wins = xp.empty(which.shape, dtype=bool)
    for p in range(n_pieces):
        xp.equal(which, p, out=wins)
        xp.multiply(dy, wins, out=dz[:, :, p])  # one nonzero per unit across p
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
