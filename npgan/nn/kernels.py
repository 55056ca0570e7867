"""Fast forms of the math in ``functional`` and ``optim``: the same results, less time.

``functional`` holds the plain forms, the ones the docstrings derive and the tutorials
show. The layers and the optimiser call the forms here instead, because the training
step spends its time in them; ``tests/test_speed_equivalence.py`` checks that each one
gives what its plain form gives (bit for bit where the operations are the same), and
``benchmarks/train_step.py`` measures what they save. Read ``functional`` first.
"""

import numpy

from npgan.backend import get_backend
from npgan.nn import functional


def sigmoid(x):
    """``functional.sigmoid`` in place, without ``where``: the same values in a third of the time.

    Both branches of the plain form are one expression, ``e^min(x, 0) / (1 + e^-|x|)``:
    the numerator is ``e^0 = 1`` for ``x >= 0`` and ``e^x`` below. Three passes over
    two buffers, no temporaries.
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
    """``functional.sigmoid_forward`` with the in-place ``sigmoid``: ``y``, cache = y."""
    y = sigmoid(x)
    return y, y


def maxout_forward(x, W, b, n_pieces):
    """``functional.maxout_forward`` as a running max over the pieces: the same ``y`` and ``which``.

    ``argmax`` over a last axis of length ``P`` runs a slow loop per unit, and passes
    over strided views are twice as slow as over contiguous ones. So the ``P`` piece
    planes ``z_p = z[:, :, p]``, each (N, U), are copied once into one contiguous
    (P, N, U) array, and the running max ``y`` changes only where a piece is *strictly*
    greater (``up_p = z_p > y``): a tie keeps the earlier piece. The winner is the last
    piece that raised the max, ``which = max_p p * up_p``, an int8 max per piece.
    """
    xp = get_backend()
    z, _ = functional.linear_forward(x, W, b)  # (N, U*P)
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
    """``functional.maxout_backward`` with ``dz`` filled one strided (N, U) slice per piece
    (a boolean mask per piece from the one ``which``), instead of a broadcast one-hot."""
    xp = get_backend()
    x, W, which = cache
    n, n_units = dy.shape
    n_pieces = W.shape[1] // n_units
    dz = xp.empty((n, n_units, n_pieces), dtype=dy.dtype)
    wins = xp.empty(which.shape, dtype=bool)
    for p in range(n_pieces):
        xp.equal(which, p, out=wins)
        xp.multiply(dy, wins, out=dz[:, :, p])  # one nonzero per unit across p
    return functional.linear_backward(dz.reshape(n, n_units * n_pieces), (x, W), input_grad, param_grads)


BLOCK = 1 << 16  # elements per block of the momentum update: 256 KiB of float32, well inside L2


def momentum_update_blocked(triples, lr, momentum, scratch):
    """``optim.momentum_update`` over many parameters, block by block (NumPy, C-contiguous).

    triples: ``(p, v, g)`` arrays of one dtype. Each is cut into blocks of ``BLOCK``
    elements, and the four passes of the update run over a block while it sits in the
    L2 cache, so ``v``, ``g`` and ``p`` each stream through memory once instead of once
    per pass. The operations and their order are those of the plain update, so the
    results are bit-identical to it. scratch: a buffer of at least ``BLOCK`` elements.
    """
    for p, v, g in triples:
        p, v, g = p.reshape(-1), v.reshape(-1), g.reshape(-1)  # views: all contiguous
        for i in range(0, p.size, BLOCK):
            pb, vb, gb = p[i:i + BLOCK], v[i:i + BLOCK], g[i:i + BLOCK]
            step = scratch[:pb.size]
            vb *= momentum
            numpy.multiply(gb, lr, out=step)  # lr * g
            vb -= step
            pb += vb


def blockable(p, v, g):
    """Whether ``momentum_update_blocked`` applies: NumPy arrays, C-contiguous, larger than a block."""
    contiguous = p.flags.c_contiguous and v.flags.c_contiguous and g.flags.c_contiguous
    return get_backend() is numpy and contiguous and p.size > BLOCK
