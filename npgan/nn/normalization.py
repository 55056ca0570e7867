"""Batch normalization (Ioffe and Szegedy, 2015): forward/backward pairs, derived.

Each channel ``c`` is normalised over a set ``S_c`` of ``M`` values: over the batch for
(N, C) inputs (``M = N``), over the batch and every position for (N, C, H, W) images
(``M = N H W``), so one scale and shift serve a whole feature map. In training the
statistics are those of the batch itself; for evaluation they are running averages
kept during training. Writing ``m`` for an element of ``S_c``:

    mu    = 1/M sum_m x_m                    var = 1/M sum_m (x_m - mu)^2
    s     = (var + eps)^(-1/2)               xhat_m = (x_m - mu) s
    y_m   = gamma xhat_m + beta

Nothing here holds state: the running averages are updated by ``running_update`` on
arrays the caller owns. All code goes through the backend's array module ``xp``.
"""

from npgan.backend import get_backend

EPS = 1e-5


def channel_axes(x):
    """The axes a channel's statistics run over: (0,) for (N, C), (0, 2, 3) for (N, C, H, W)."""
    if x.ndim == 2:
        return (0,)
    if x.ndim == 4:
        return (0, 2, 3)
    raise ValueError(f"batch norm: expected (batch, channels) or (batch, channels, height, width), got {x.shape}")


def _per_channel(v, x):
    """A (C,) vector shaped to broadcast against ``x``: (1, C) or (1, C, 1, 1)."""
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


def batch_norm_forward(x, gamma, beta, eps=EPS):
    """Training mode: normalise each channel by the statistics of this batch.

    x: (N, C) or (N, C, H, W); gamma, beta: (C,)  ->  y of x's shape;
    cache = (xhat, s, gamma) with s (1, C[, 1, 1]); also returns ``(mu, var)`` (C,) each,
    for the running averages: ``y, cache, (mu, var)``.
    """
    axes = channel_axes(x)
    mu = x.mean(axis=axes, keepdims=True)
    centred = x - mu
    var = (centred * centred).mean(axis=axes, keepdims=True)  # biased: 1/M
    s = 1.0 / get_backend().sqrt(var + eps)
    xhat = centred * s
    y = xhat * _per_channel(gamma, x) + _per_channel(beta, x)
    return y, (xhat, s, gamma), (mu.reshape(-1), var.reshape(-1))


def batch_norm_backward(dy, cache, input_grad=True, param_grads=True):
    """Gradients of training-mode batch norm, *through* the batch statistics.

    ``y_m = gamma xhat_m + beta`` gives at once

        dgamma = sum_m dy_m xhat_m,       dbeta = sum_m dy_m,       dxhat_m = dy_m gamma.

    Every ``xhat_m`` depends on every ``x_k`` of its channel through ``mu`` and ``var``,
    and that dependence is the term a hand derivation most often drops. With
    ``dmu/dx_k = 1/M`` and ``dvar/dx_k = 2/M (x_k - mu)`` (the ``mu`` part of it is
    ``-2/M sum_m (x_m - mu) / M = 0``) and ``ds/dx_k = -1/2 s^3 dvar/dx_k = -s^2 xhat_k / M``,

        dxhat_m/dx_k = s [delta_mk - 1/M] + (x_m - mu) ds/dx_k
                     = s [delta_mk - 1/M - xhat_m xhat_k / M],

    and summing ``dxhat_m dxhat_m/dx_k`` over ``m``:

        dx_k = s (dxhat_k - mean_m dxhat_m - xhat_k mean_m (dxhat_m xhat_m)).

    The two means subtract from ``dxhat`` its component along the constant vector and
    along ``xhat``: the directions in which normalising undoes any change of ``x``.
    Treating ``mu`` and ``var`` as constants leaves ``dx = s dxhat``: wrong, and only a
    gradient check of ``dx`` notices (tutorial 13 shows it).
    """
    xhat, s, gamma = cache
    axes = channel_axes(xhat)
    dx = dgamma = dbeta = None
    if param_grads:
        dgamma = (dy * xhat).sum(axis=axes)
        dbeta = dy.sum(axis=axes)
    if input_grad:
        dxhat = dy * _per_channel(gamma, dy)
        dx = dxhat - dxhat.mean(axis=axes, keepdims=True)
        dx -= xhat * (dxhat * xhat).mean(axis=axes, keepdims=True)
        dx *= s
    return dx, dgamma, dbeta


def batch_norm_eval_forward(x, gamma, beta, running_mean, running_var, eps=EPS):
    """Evaluation mode: the same affine map with the running statistics, which are constants.

    ``y = gamma (x - running_mean) s + beta``, ``s = (running_var + eps)^(-1/2)``;
    cache = (xhat, s, gamma).
    """
    s = 1.0 / get_backend().sqrt(_per_channel(running_var, x) + eps)
    xhat = (x - _per_channel(running_mean, x)) * s
    y = xhat * _per_channel(gamma, x) + _per_channel(beta, x)
    return y, (xhat, s, gamma)


def batch_norm_eval_backward(dy, cache, input_grad=True, param_grads=True):
    """Gradients of evaluation-mode batch norm: an affine map per channel, so

        dx = dy gamma s,      dgamma = sum_m dy_m xhat_m,      dbeta = sum_m dy_m.
    """
    xhat, s, gamma = cache
    axes = channel_axes(xhat)
    dx = dy * (_per_channel(gamma, dy) * s) if input_grad else None
    dgamma = (dy * xhat).sum(axis=axes) if param_grads else None
    dbeta = dy.sum(axis=axes) if param_grads else None
    return dx, dgamma, dbeta


def running_update(running_mean, running_var, mu, var, count, momentum):
    """``r <- (1 - momentum) r + momentum * batch``, in place, for the mean and the variance.

    The variance is averaged in its unbiased form ``var * M / (M - 1)`` (``count = M``),
    as PyTorch does, so evaluation uses an estimate of the population's variance.
    """
    running_mean *= 1.0 - momentum
    running_mean += momentum * mu
    running_var *= 1.0 - momentum
    running_var += (momentum * count / (count - 1)) * var
