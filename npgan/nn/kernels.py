"""Fast forms of the math in ``functional``, ``optim``, ``conv``, ``normalization`` and
``activations``: the same results, less time.

Those modules hold the plain forms, the ones the docstrings derive and the tutorials
show. The layers and the optimiser call the forms here instead, because the training
step spends its time in them; ``tests/nn/test_speed_equivalence.py`` and
``tests/nn/test_image_kernels.py`` check that each one gives what its plain form gives
(bit for bit where the operations are the same), and ``benchmarks/train_step.py`` and
``benchmarks/conv.py`` measure what they save. Read the plain forms first.
"""

import contextlib

import numpy

from npgan.backend import get_backend
from npgan.nn import activations, conv, functional, normalization


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


# ---- images: channels-last convolutions, batch norm and LeakyReLU ------------------------------
#
# ``conv`` and ``normalization`` derive the plain forms on NCHW arrays. The forms below
# compute the same functions with the channels *last in memory*: an array that the
# layers hand on is still indexed (N, C, H, W), but it is a transposed view of a
# contiguous (N, H, W, C) buffer. Then a convolution's unfolded patches are one strided
# view of the padded image, copied once, its products give (N*OH*OW, F), which *is*
# the next layer's channels-last image (no transpose), and batch norm's statistics run
# over the rows of an (N*H*W, C) matrix. Element-by-element NumPy operations keep the
# layout of their input, so LeakyReLU between them needs nothing. NumPy only: ``fast``
# says when the layers use these forms; under CuPy they call the plain ones.


_PLAIN = []  # non-empty inside ``plain_forms()``


def fast():
    """Whether the image layers use the channels-last forms here: the backend is NumPy (outside ``plain_forms``)."""
    return get_backend() is numpy and not _PLAIN


@contextlib.contextmanager
def plain_forms():
    """Within it the image layers use the plain forms on NumPy too (their gradient checks, the benchmark's before)."""
    _PLAIN.append(True)
    try:
        yield
    finally:
        _PLAIN.pop()


def channels_last(x):
    """(N, C, H, W) as a C-contiguous (N, H, W, C) array: a view when ``x`` is already channels-last."""
    return numpy.ascontiguousarray(x.transpose(0, 2, 3, 1))


def as_images(a):
    """A contiguous (N, H, W, C) array as the (N, C, H, W) images the layers hand on (a view)."""
    return a.transpose(0, 3, 1, 2)


def _padded(xh, padding):
    """``xh`` (N, H, W, C) with ``padding`` zeros around each image (``xh`` itself for none)."""
    if not padding:
        return xh
    n, h, w, c = xh.shape
    xpad = numpy.empty((n, h + 2 * padding, w + 2 * padding, c), dtype=xh.dtype)
    xpad[:, :padding], xpad[:, h + padding:] = 0, 0
    xpad[:, padding:h + padding, :padding], xpad[:, padding:h + padding, w + padding:] = 0, 0
    xpad[:, padding:h + padding, padding:w + padding] = xh
    return xpad


def unfold(xh, kernel, stride, padding):
    """``im2col`` channels-last: ``xh`` (N, H, W, C) -> ``cols`` (N*OH*OW, K*K*C), by one strided view.

    ``cols[(n, oh, ow), (i, j, c)] = xpad[n, s*oh + i, s*ow + j, c]``: the transpose of
    ``conv.im2col``'s matrix, its columns in the order (i, j, c). The six-index array
    ``xpad[n, s*oh + i, s*ow + j, c]`` is a view of ``xpad`` (``as_strided``: the
    strides of (oh, i) are s rows and one row), and one copy makes it the matrix.
    """
    n, h, w, c = xh.shape
    oh, ow = conv.output_size(h, kernel, stride, padding), conv.output_size(w, kernel, stride, padding)
    xpad = _padded(xh, padding)
    sn, sh, sw, sc = xpad.strides
    patches = numpy.lib.stride_tricks.as_strided(
        xpad, (n, oh, ow, kernel, kernel, c), (sn, stride * sh, stride * sw, sh, sw, sc), writeable=False)
    return patches.reshape(n * oh * ow, kernel * kernel * c)


def fold(cols, shape, kernel, stride, padding, xpad=None):
    """``col2im`` channels-last, the adjoint of ``unfold``: ``cols`` (N*OH*OW, K*K*C) -> (N, H, W, C).

    ``shape = (N, H, W, C)``; returns a view of the padded buffer ``xpad`` (N, H + 2p,
    W + 2p, C), made here unless given, not contiguous when ``padding``. Each column
    goes back where ``unfold`` took it from,
    ``xpad[n, s*oh + i, s*ow + j, c] += cols[(n, oh, ow), (i, j, c)]``, and the padding
    is cut off at the end. The sum runs as whole-slice adds, not a scatter. When the
    stride divides the kernel, ``K = r s``, the offsets ``i = s q + a`` (``q < r``,
    ``a < s``) take ``s*oh + i = s (oh + q) + a``: for one ``(q_i, q_j)`` the ``s x s``
    offsets ``(a, b)`` fill a contiguous block of ``xpad`` (rows ``s q_i`` to
    ``s (q_i + OH) - 1``, columns likewise) whose (row, column) pairs are exactly the
    ``(oh, a)``, ``(ow, b)``. So ``r^2`` adds (4 for DCGAN's K = 4, s = 2), each
    running over ``s C`` contiguous values at a time, do what ``K^2`` strided adds
    over ``C`` values would (when ``s C`` is at least 32: for a few channels the
    plain loop is faster); the first block is assigned, not added, and only the rows
    and columns it leaves are zeroed. Otherwise the ``K^2`` adds, one strided slice
    ``xpad[:, i::s, j::s]`` per offset. When the kernel covers the image exactly once
    (OH = OW = 1, no padding: DCGAN's "project and reshape") the fold is a reshape.
    """
    n, h, w, c = shape
    oh, ow = conv.output_size(h, kernel, stride, padding), conv.output_size(w, kernel, stride, padding)
    if oh == ow == 1 and not padding and h == w == kernel and xpad is None:
        return cols.reshape(n, kernel, kernel, c)
    s, hp, wp = stride, h + 2 * padding, w + 2 * padding
    if kernel % s == 0 and s * c >= 32:  # a block's runs are long enough to pay for its six-index view
        r = kernel // s
        xpad = numpy.empty((n, hp, wp, c), dtype=cols.dtype) if xpad is None else xpad
        xpad[:, s * oh:], xpad[:, :s * oh, s * ow:] = 0, 0  # what the first block leaves
        blocks = cols.reshape(n, oh, ow, r, s, r, s, c)  # [n, oh, ow, q_i, a, q_j, b, c]
        for qi in range(r):
            for qj in range(r):
                target = xpad[:, s * qi:s * (qi + oh), s * qj:s * (qj + ow)].reshape(n, oh, s, ow, s, c)
                block = blocks[:, :, :, qi, :, qj].transpose(0, 1, 3, 2, 4, 5)  # (n, oh, a, ow, b, c)
                if qi == qj == 0:
                    target[...] = block
                else:
                    target += block
    else:
        xpad = numpy.empty((n, hp, wp, c), dtype=cols.dtype) if xpad is None else xpad
        xpad[...] = 0
        cols = cols.reshape(n, oh, ow, kernel, kernel, c)
        for i in range(kernel):
            for j in range(kernel):
                xpad[:, i:i + s * oh:s, j:j + s * ow:s] += cols[:, :, :, i, j]
    return xpad[:, padding:padding + h, padding:padding + w]


CHUNK = 1 << 19  # elements of columns per chunk of images in product_fold: 2 MiB of float32, inside L2
_BLAS = []  # threadpoolctl's controllers of NumPy's BLAS libraries, found on first use


def blas_single_threaded():
    """Whether NumPy's BLAS runs on one thread now (threadpoolctl; true when it finds no BLAS)."""
    if not _BLAS:
        from threadpoolctl import ThreadpoolController

        _BLAS.append(ThreadpoolController().select(user_api="blas").lib_controllers)
    return all(library.get_num_threads() == 1 for library in _BLAS[0])


def product_fold(rows, matrix, shape, kernel, stride, padding):
    """``fold(rows @ matrix, shape, ...)``, a few images at a time, into one (N, H, W, C) buffer.

    ``rows`` (N*OH*OW, R), ``matrix`` (R, K*K*C). The columns of a few images (at most
    ``CHUNK`` values) are made and folded while they are still in the cache, instead
    of all of them written to memory and read back; each image's sums are ``fold``'s.
    Only when BLAS runs one thread: with more, every product is a point where the
    threads wait for each other, and on a busy machine, where a thread waits for a core,
    the many small products took 2.5 times as long as one large one.
    Returns ``fold``'s view (of a contiguous padded buffer).
    """
    n, h, w, c = shape
    per_image = rows.shape[0] // n
    step = max(1, CHUNK // (per_image * matrix.shape[1]))
    if step >= n or not blas_single_threaded():
        return fold(rows @ matrix, shape, kernel, stride, padding)
    dtype = numpy.result_type(rows, matrix)
    xpad = numpy.empty((n, h + 2 * padding, w + 2 * padding, c), dtype=dtype)
    buffer = numpy.empty((step * per_image, matrix.shape[1]), dtype=dtype)
    for start in range(0, n, step):
        stop = min(n, start + step)
        cols = buffer[:(stop - start) * per_image]
        numpy.matmul(rows[start * per_image:stop * per_image], matrix, out=cols)
        fold(cols, (stop - start, h, w, c), kernel, stride, padding, xpad[start:stop])
    return xpad[:, padding:padding + h, padding:padding + w]


def _conv_matrix(W):
    """Conv2d's W (F, C, K, K) as the (K*K*C, F) matrix that multiplies ``unfold``'s rows."""
    f = W.shape[0]
    return numpy.ascontiguousarray(W.transpose(2, 3, 1, 0)).reshape(-1, f)


def conv2d_forward(x, W, b, stride, padding):
    """``conv.conv2d_forward`` channels-last: ``y_rows = unfold(x) W_mat^T + b`` is already (N, OH, OW, F).

    x: (N, C, H, W), any layout; returns y (N, F, OH, OW), channels-last, and the cache
    ``(x.shape, cols, W, stride, padding)``, the plain form's fields (``x.shape`` as
    (N, C, H, W), ``W`` as given) except ``cols``, here (N*OH*OW, K*K*C).
    """
    xh = channels_last(x)
    n, h, w, _ = xh.shape
    f, _, k, _ = W.shape
    cols = unfold(xh, k, stride, padding)  # (N*OH*OW, K*K*C)
    y = cols @ _conv_matrix(W)  # (N*OH*OW, F)
    if b is not None:
        y += b
    oh, ow = conv.output_size(h, k, stride, padding), conv.output_size(w, k, stride, padding)
    return as_images(y.reshape(n, oh, ow, f)), (x.shape, cols, W, stride, padding)


def conv2d_backward(dy, cache, input_grad=True, param_grads=True):
    """``conv.conv2d_backward`` channels-last, the same three products on transposed matrices:

        dW_cols = cols^T dY,   db = sum_q dY[q],   dcols = dY W_cols^T,   dx = fold(dcols)

    with ``dY`` = dy as (N*OH*OW, F) and ``W_cols`` W as (K*K*C, F); dW comes back in W's
    (F, C, K, K) layout.
    """
    (n, c, h, w), cols, W, stride, padding = cache
    f, _, k, _ = W.shape
    W_cols = _conv_matrix(W)
    d_rows = channels_last(dy).reshape(-1, f)  # (N*OH*OW, F)
    dx = dW = db = None
    if param_grads:
        dW = numpy.ascontiguousarray((cols.T @ d_rows).reshape(k, k, c, f).transpose(3, 2, 0, 1))
        db = d_rows.sum(axis=0)
    if input_grad:
        dx = as_images(product_fold(d_rows, W_cols.T, (n, h, w, c), k, stride, padding))
    return dx, dW, db


def _transposed_matrix(W):
    """ConvTranspose2d's W (Cin, Cout, K, K) as the (Cin, K*K*Cout) matrix whose product ``fold`` adds up."""
    c_in = W.shape[0]
    return numpy.ascontiguousarray(W.transpose(0, 2, 3, 1)).reshape(c_in, -1)


def conv_transpose2d_forward(x, W, b, stride, padding):
    """``conv.conv_transpose2d_forward`` channels-last: ``y = fold(x_rows W_mat) + b``.

    x: (N, Cin, H, W), any layout; returns y (N, Cout, OH, OW), channels-last, and the
    cache ``(x_rows, W_mat, K, stride, padding)``, ``x_rows`` (N*H*W, Cin), ``W_mat``
    (Cin, K*K*Cout).
    """
    xh = channels_last(x)
    n, h, w, c_in = xh.shape
    _, c_out, k, _ = W.shape
    x_rows = xh.reshape(-1, c_in)
    W_mat = _transposed_matrix(W)
    out_shape = (n, conv.transposed_size(h, k, stride, padding), conv.transposed_size(w, k, stride, padding), c_out)
    y = product_fold(x_rows, W_mat, out_shape, k, stride, padding)  # (N, OH, OW, Cout)
    if b is not None:
        y += b
    return as_images(y), (x_rows, W_mat, k, stride, padding)


def conv_transpose2d_backward(dy, cache, input_grad=True, param_grads=True):
    """``conv.conv_transpose2d_backward`` channels-last:

        dcols = unfold(dy),   dx_rows = dcols W_mat^T,   dW_mat = x_rows^T dcols,   db = sum dy

    with dW back in W's (Cin, Cout, K, K) layout.
    """
    x_rows, W_mat, k, stride, padding = cache
    dyh = channels_last(dy)
    n, oh, ow, c_out = dyh.shape
    c_in = W_mat.shape[0]
    dcols = unfold(dyh, k, stride, padding)  # (N*H*W, K*K*Cout)
    h, w = conv.output_size(oh, k, stride, padding), conv.output_size(ow, k, stride, padding)
    dx = dW = db = None
    if input_grad:
        dx = as_images((dcols @ W_mat.T).reshape(n, h, w, c_in))
    if param_grads:
        dW = numpy.ascontiguousarray((x_rows.T @ dcols).reshape(c_in, k, k, c_out).transpose(0, 3, 1, 2))
        db = dyh.reshape(-1, c_out).sum(axis=0)
    return dx, dW, db


def _channel_rows(x):
    """Batch norm's input as an (M, C) matrix of rows, one column per channel (a view when channels-last)."""
    if x.ndim == 2:
        return x
    return channels_last(x).reshape(-1, x.shape[1])


def _like(rows, x):
    """(M, C) rows back in the shape of ``x``: (N, C), or (N, C, H, W) images channels-last."""
    if x.ndim == 2:
        return rows
    n, c, h, w = x.shape
    return as_images(rows.reshape(n, h, w, c))


def _column_sums(rows):
    """``rows.sum(axis=0)`` as the product ``1^T rows``: BLAS reads the rows several times faster."""
    return numpy.ones(rows.shape[0], dtype=rows.dtype) @ rows


def batch_norm_forward(x, gamma, beta, eps=normalization.EPS):
    """``normalization.batch_norm_forward`` on the (M, C) rows, ``y = centred (s gamma) + beta``.

    The same ``mu``, ``var`` and ``y``; the cache keeps ``centred = x - mu`` and ``s``
    (``xhat = centred s`` is not formed: the backward needs only its sums). Returns
    ``y, (centred, s, gamma, x.shape), (mu, var)`` with ``s``, ``mu``, ``var`` of shape (C,).
    """
    rows = _channel_rows(x)
    m = rows.shape[0]
    mu = _column_sums(rows) / rows.dtype.type(m)
    centred = rows - mu
    var = numpy.einsum("mc,mc->c", centred, centred) / rows.dtype.type(m)
    s = (1.0 / numpy.sqrt(var + eps)).astype(rows.dtype, copy=False)
    y = centred * (s * gamma)
    y += beta
    return _like(y, x), (centred, s, gamma, x.shape), (mu, var)


def batch_norm_backward(dy, cache, input_grad=True, param_grads=True):
    """``normalization.batch_norm_backward`` fused on the (M, C) rows.

    With ``xhat = centred s``, ``dbeta = sum_m dy_m`` and ``dgamma = s sum_m dy_m
    centred_m``, the derived ``dx = s (dxhat - mean dxhat - xhat mean(dxhat xhat))``,
    ``dxhat = gamma dy``, is per channel

        dx = (s gamma) dy - (s gamma s^2 dgamma / (s M)) centred - s gamma dbeta / M
           = a dy + b centred + c,

    three per-channel constants and two passes over the rows.
    """
    centred, s, gamma, shape = cache
    m, c = centred.shape
    d_rows = _channel_rows(dy)  # a copy unless dy is channels-last
    dbeta = _column_sums(d_rows)
    dgamma = numpy.einsum("mc,mc->c", d_rows, centred) * s
    dx = None
    if input_grad:
        a = s * gamma
        b = -a * s * dgamma / centred.dtype.type(m)
        rows = d_rows * a
        rows += centred * b
        rows -= a * dbeta / centred.dtype.type(m)
        dx = rows if len(shape) == 2 else as_images(rows.reshape(shape[0], shape[2], shape[3], c))
    if not param_grads:
        return dx, None, None
    return dx, dgamma, dbeta


def leaky_relu_forward(x, slope):
    """``activations.leaky_relu_forward`` as ``max(x, slope x)`` (``slope`` < 1), in ``x``'s layout; cache = y.

    ``y > 0`` exactly where ``x > 0`` (below, ``slope x <= 0``), so the backward's mask
    comes from ``y``.
    """
    if slope == 0.0:
        y = numpy.maximum(x, 0)
    else:
        y = x * x.dtype.type(slope)
        numpy.maximum(x, y, out=y)
    return y, y


def leaky_relu_backward(dy, y, slope):
    """``activations.leaky_relu_backward`` as ``dx = dy (slope + (1 - slope) [y > 0])``, in ``y``'s layout.

    The factor is 1 where ``y > 0`` and ``slope`` elsewhere, built in one buffer by
    arithmetic on the mask (a ``where`` or a masked copy takes several times longer).
    """
    kept, slope = y.dtype.type(1.0 - slope), y.dtype.type(slope)
    if kept + slope != 1:  # rounding: 1 would not come back exactly where y > 0
        return activations.leaky_relu_backward(dy, y > 0, slope)
    dx = numpy.empty_like(y)
    numpy.greater(y, 0, out=dx)
    dx *= kept
    dx += slope
    dx *= dy
    return dx
