"""Convolution and transposed convolution: forward/backward pairs, derived (NCHW layout).

Shapes: ``N`` examples, ``C`` input channels, ``F`` output channels (filters), ``H x W``
input images, ``K x K`` kernels, stride ``s``, zero padding ``p``, ``OH x OW`` outputs.

A convolution (the cross-correlation of every deep-learning library) is

    y[n, f, oh, ow] = b[f] + sum_{c, i, j} W[f, c, i, j] xpad[n, c, s*oh + i, s*ow + j]

with ``xpad`` the input with ``p`` zeros around each image and
``OH = (H + 2p - K) // s + 1`` (the same for ``OW``). ``im2col`` copies every input value
a filter sees into one matrix, a column per output position and a row per
``(c, i, j)``, so the whole layer is one matrix product ``y = W_mat cols + b``. Its
backward needs the *adjoint* of that copy, ``col2im``: it adds every column back where
it came from, summing where patches overlap. ``conv_transpose2d`` is a convolution's
input gradient used as a forward pass (the "deconvolution" of DCGAN's generator).

Plain forms: loops over the ``K * K`` kernel offsets, each one strided slice of the
image; nothing here holds state. All code goes through the backend's array module ``xp``.
"""

from npgan.backend import get_backend


def output_size(size, kernel, stride, padding):
    """Positions of a ``kernel`` sliding by ``stride`` over ``size + 2 padding`` values."""
    return (size + 2 * padding - kernel) // stride + 1


def transposed_size(size, kernel, stride, padding):
    """The input size of a convolution whose output has ``size``: ``(size - 1) s - 2p + K``."""
    return (size - 1) * stride - 2 * padding + kernel


def im2col(x, kernel, stride, padding):
    """Unfold ``x`` (N, C, H, W) into ``cols`` (C*K*K, N*OH*OW).

    ``cols[(c, i, j), (n, oh, ow)] = xpad[n, c, s*oh + i, s*ow + j]``: the row index
    runs over ``(c, i, j)`` in the order of ``W.reshape(F, C*K*K)``'s columns, the column
    index over ``(n, oh, ow)``. For each kernel offset ``(i, j)`` the values it meets
    form one strided slice of ``xpad``, ``xpad[:, :, i::s, j::s]`` cut to OH x OW.
    ``xpad`` is kept channels first, (C, N, H + 2p, W + 2p), the order of ``cols``, so
    each slice is copied without a transpose.
    """
    xp = get_backend()
    n, c, h, w = x.shape
    oh, ow = output_size(h, kernel, stride, padding), output_size(w, kernel, stride, padding)
    xpad = xp.zeros((c, n, h + 2 * padding, w + 2 * padding), dtype=x.dtype)
    xpad[:, :, padding:padding + h, padding:padding + w] = x.transpose(1, 0, 2, 3)
    cols = xp.empty((c, kernel, kernel, n, oh, ow), dtype=x.dtype)
    for i in range(kernel):
        for j in range(kernel):
            cols[:, i, j] = xpad[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]  # (C, N, OH, OW)
    return cols.reshape(c * kernel * kernel, n * oh * ow)


def col2im(cols, x_shape, kernel, stride, padding):
    """The adjoint of ``im2col``: ``cols`` (C*K*K, N*OH*OW) back to an image of ``x_shape``.

    ``im2col`` is linear, ``cols = P x`` with ``P`` a 0/1 matrix whose rows each copy one
    entry of ``xpad`` (or a padding zero). Its adjoint ``P^T`` sends each entry of
    ``cols`` back to the one it copied, and where one input value went to several
    columns (overlapping patches: ``K > s``) the contributions add:

        x[n, c, h, w] = sum over (i, j, oh, ow) with s*oh + i = h + p, s*ow + j = w + p
                        of cols[(c, i, j), (n, oh, ow)].

    The loop is ``im2col``'s with ``=`` turned into ``+=`` and the padding cut off at
    the end (padding zeros are constants: nothing flows back to them).
    """
    xp = get_backend()
    n, c, h, w = x_shape
    oh, ow = output_size(h, kernel, stride, padding), output_size(w, kernel, stride, padding)
    cols = cols.reshape(c, kernel, kernel, n, oh, ow)
    xpad = xp.zeros((c, n, h + 2 * padding, w + 2 * padding), dtype=cols.dtype)  # channels first
    for i in range(kernel):
        for j in range(kernel):
            xpad[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += cols[:, i, j]
    return xp.ascontiguousarray(xpad[:, :, padding:padding + h, padding:padding + w].transpose(1, 0, 2, 3))


def _channels_first(a):
    """(N, F, OH, OW) -> (F, N*OH*OW): a convolution's output as the matrix ``W_mat cols`` gives."""
    return a.transpose(1, 0, 2, 3).reshape(a.shape[1], -1)


def _images(a, n, oh, ow):
    """(F, N*OH*OW) -> a contiguous (N, F, OH, OW): the inverse of ``_channels_first``."""
    return get_backend().ascontiguousarray(a.reshape(a.shape[0], n, oh, ow).transpose(1, 0, 2, 3))


def conv2d_forward(x, W, b, stride, padding):
    """``y = W_mat im2col(x) + b``, reshaped to images.

    x: (N, C, H, W), W: (F, C, K, K), b: (F,) or None (no bias)  ->  y: (N, F, OH, OW);
    cache = (x.shape, cols, W, stride, padding), ``cols = im2col(x)`` (C*K*K, N*OH*OW).
    """
    n, _, h, w = x.shape
    f, _, k, _ = W.shape
    cols = im2col(x, k, stride, padding)  # (C*K*K, N*OH*OW)
    y = W.reshape(f, -1) @ cols  # (F, N*OH*OW)
    if b is not None:
        y += b[:, None]
    return _images(y, n, output_size(h, k, stride, padding), output_size(w, k, stride, padding)), \
        (x.shape, cols, W, stride, padding)


def conv2d_backward(dy, cache, input_grad=True, param_grads=True):
    """Gradients of ``y = W_mat cols + b`` with ``cols = im2col(x)``.

    With ``dY = dy`` as the (F, N*OH*OW) matrix ``_channels_first(dy)`` and ``Y = W_mat
    cols + b`` (``W_mat`` = W as (F, C*K*K)), this is ``linear_backward``'s matrix product
    turned around, ``Y[f, q] = sum_r W_mat[f, r] cols[r, q] + b[f]``:

        dW_mat = dY cols^T          (F, C*K*K): every filter against every patch it saw
        db[f]  = sum_q dY[f, q]     (F,): over examples and output positions
        dcols  = W_mat^T dY         (C*K*K, N*OH*OW)
        dx     = col2im(dcols)      (N, C, H, W): the adjoint of the unfolding

    the last because ``cols = P x`` is linear, so ``dL/dx = P^T dL/dcols``. ``input_grad``
    and ``param_grads`` skip ``dx`` and ``(dW, db)`` as in ``linear_backward``.
    """
    x_shape, cols, W, stride, padding = cache
    f, _, k, _ = W.shape
    d_matrix = _channels_first(dy)  # (F, N*OH*OW)
    dx = dW = db = None
    if param_grads:
        dW = (d_matrix @ cols.T).reshape(W.shape)
        db = d_matrix.sum(axis=1)
    if input_grad:
        dx = col2im(W.reshape(f, -1).T @ d_matrix, x_shape, k, stride, padding)
    return dx, dW, db


def conv_transpose2d_forward(x, W, b, stride, padding):
    """Transposed convolution: ``y = col2im(W_mat^T x_mat) + b``, the adjoint of ``conv2d``.

    Let ``A`` be the convolution (no bias) with weights ``W`` (Cin, Cout, K, K) from
    Cout-channel images of side ``transposed_size(H)`` to Cin-channel images of side
    ``H``: ``A z = W_mat im2col(z)``. Its adjoint ``A^T`` is what ``conv2d_backward``
    computes for ``dx``, ``A^T x = col2im(W_mat^T x_mat)``, and that is this layer:
    every input pixel paints a K x K patch of the output, weighted by ``W``, and
    overlapping patches add. So a stride-2 ``A`` halves the side and ``A^T`` doubles it.

    x: (N, Cin, H, W), W: (Cin, Cout, K, K) (PyTorch's layout), b: (Cout,) or None
    ->  y: (N, Cout, OH, OW) with ``OH = (H - 1) s - 2p + K``;
    cache = (x_matrix, W, stride, padding), ``x_matrix`` (Cin, N*H*W).
    """
    n, c_in, h, w = x.shape
    _, c_out, k, _ = W.shape
    x_matrix = _channels_first(x)  # (Cin, N*H*W)
    cols = W.reshape(c_in, -1).T @ x_matrix  # (Cout*K*K, N*H*W)
    out_shape = (n, c_out, transposed_size(h, k, stride, padding), transposed_size(w, k, stride, padding))
    y = col2im(cols, out_shape, k, stride, padding)
    if b is not None:
        y += b[None, :, None, None]
    return y, (x_matrix, W, stride, padding)


def conv_transpose2d_backward(dy, cache, input_grad=True, param_grads=True):
    """Gradients of ``y = col2im(W_mat^T x_mat) + b``.

    ``col2im`` is the adjoint of ``im2col``, so ``dL/dcols = im2col(dy)`` (Cout*K*K,
    N*H*W): the backward of a transposed convolution starts with a convolution's
    unfolding. Then ``cols = W_mat^T x_mat`` (``W_mat`` = W as (Cin, Cout*K*K)) is a
    matrix product:

        dcols  = im2col(dy)             (Cout*K*K, N*H*W)
        dx_mat = W_mat dcols            (Cin, N*H*W): the convolution A applied to dy
        dW_mat = x_mat dcols^T          (Cin, Cout*K*K)
        db[o]  = sum_{n, h, w} dy[n, o, h, w]

    so the input gradient of the adjoint ``A^T`` is ``A`` itself, as it must be.
    """
    x_matrix, W, stride, padding = cache
    c_in, _, k, _ = W.shape
    n = dy.shape[0]
    dcols = im2col(dy, k, stride, padding)  # (Cout*K*K, N*H*W)
    h = output_size(dy.shape[2], k, stride, padding)
    w = output_size(dy.shape[3], k, stride, padding)
    dx = dW = db = None
    if input_grad:
        dx = _images(W.reshape(c_in, -1) @ dcols, n, h, w)
    if param_grads:
        dW = (x_matrix @ dcols.T).reshape(W.shape)
        db = dy.sum(axis=(0, 2, 3))
    return dx, dW, db
