"""The GAN objectives, computed from the discriminator's logits.

With ``l`` a logit and ``D = sigmoid(l)``:

    log D       = -softplus(-l)
    log (1 - D) = -softplus(l)
    softplus(t) = log(1 + e^t) = max(t, 0) + log1p(e^-|t|)     (no overflow for any t)

so every objective below stays finite for a saturated discriminator (``|l|`` up to 1e4
and beyond), where ``log(sigmoid(l))`` would give ``log(0) = -inf``.

Each function returns ``(loss, dlogits)``: the mean loss over the batch (a 0-d array of
the backend: call ``float()`` only when logging) and its gradient with respect to the
logits, of the logits' shape and dtype.
"""

from npgan.backend import get_backend
from npgan.nn.kernels import sigmoid

GENERATOR_LOSSES = ("nonsaturating", "minimax")


def softplus(t):
    """``log(1 + e^t)`` without overflow: ``max(t, 0) + log1p(exp(-|t|))``."""
    xp = get_backend()
    return xp.maximum(t, 0) + xp.log1p(xp.exp(-xp.abs(t)))


def _check_logits(logits, name):
    if getattr(logits, "ndim", None) not in (1, 2) or (logits.ndim == 2 and logits.shape[1] != 1):
        got = getattr(logits, "shape", None)
        raise ValueError(f"{name}: expected logits of shape (batch,) or (batch, 1), got {got}")
    if logits.shape[0] == 0:
        raise ValueError(f"{name}: expected a non-empty batch of logits")


def sigmoid_cross_entropy(logits, target):
    """Mean binary cross-entropy between ``sigmoid(logits)`` and a constant target in [0, 1].

    Per example ``L_n = -t log D_n - (1 - t) log(1 - D_n)`` with ``D_n = sigmoid(l_n)``;
    substituting the softplus forms,

        L_n = t softplus(-l_n) + (1 - t) softplus(l_n) = softplus(l_n) - t l_n,

    using ``softplus(-l) = softplus(l) - l``. Its derivative is
    ``dL_n/dl_n = sigmoid(l_n) - t``; the mean over ``N`` divides it by ``N``.
    """
    _check_logits(logits, "sigmoid_cross_entropy")
    if not 0.0 <= target <= 1.0:
        raise ValueError(f"sigmoid_cross_entropy: target must be in [0, 1], got {target}")
    n = logits.shape[0]
    loss = (softplus(logits) - target * logits).mean()
    dlogits = (sigmoid(logits) - target) / n
    return loss, dlogits.astype(logits.dtype, copy=False)


def discriminator_loss(real_logits, fake_logits, real_target=1.0):
    """The discriminator's objective, as a loss to *minimise*:

        L_D = 0.5 * (BCE(D(x), 1) + BCE(D(G(z)), 0))
            = -0.5 * (mean log D(x) + mean log(1 - D(G(z)))),

    i.e. minus half the value function ``V(D, G)`` estimated on the minibatch, so
    descending ``L_D`` ascends ``V`` as Algorithm 1 asks. Returns
    ``(loss, dreal_logits, dfake_logits)``.

    real_target: one-sided label smoothing (``npgan.nn.remedies``) replaces the real target 1
    by ``t = 1 - s``; by ``sigmoid_cross_entropy``'s derivation ``dL_D/dl = 0.5
    (sigmoid(l) - t) / N`` on the real logits. Pointwise, ``t p_data log D + p_g log(1 - D)``
    is largest at ``D*(x) = t p_data(x) / (p_data(x) + p_g(x))``: still 0 where there is
    no data, so G is still pushed off it. Smoothing the fake target too would put
    ``s p_g / (p_data + p_g)`` in D*, which rewards G's samples where there is no data:
    hence one-sided.
    """
    real_loss, dreal = sigmoid_cross_entropy(real_logits, real_target)
    fake_loss, dfake = sigmoid_cross_entropy(fake_logits, 0.0)
    return 0.5 * (real_loss + fake_loss), 0.5 * dreal, 0.5 * dfake


def generator_loss(fake_logits, kind="nonsaturating"):
    """The generator's objective on ``D(G(z))``, as a loss to minimise.

    - ``"minimax"``: the value function as written, ``L_G = mean log(1 - D(G(z)))
      = -mean softplus(l)``; ``dL_G/dl = -sigmoid(l) / N``. When D rejects the fakes
      confidently (``l -> -inf``, ``D(G(z)) -> 0``) this gradient vanishes, which is why
      the paper trains G differently in practice.
    - ``"nonsaturating"``: ``L_G = -mean log D(G(z)) = BCE(D(G(z)), 1)
      = mean softplus(-l)``; ``dL_G/dl = (sigmoid(l) - 1) / N``, which tends to
      ``-1/N`` there instead of 0: the same fixed point, strong early gradients.
    """
    if kind == "nonsaturating":
        return sigmoid_cross_entropy(fake_logits, 1.0)
    if kind == "minimax":
        _check_logits(fake_logits, "generator_loss")
        n = fake_logits.shape[0]
        loss = -softplus(fake_logits).mean()
        dlogits = -sigmoid(fake_logits) / n
        return loss, dlogits.astype(fake_logits.dtype, copy=False)
    raise ValueError(f"generator_loss: unknown kind {kind!r}; expected one of {GENERATOR_LOSSES}")


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy between ``softmax(logits)`` and integer class labels.

    logits: (N, K); labels: (N,) integers in ``0..K-1``. With ``p_nk = softmax(l_n)_k
    = e^{l_nk} / sum_j e^{l_nj}`` and ``y_n`` the label of example ``n``,

        L_n = -log p_{n,y_n} = logsumexp_j(l_nj) - l_{n,y_n},
        logsumexp_j(l_nj) = m_n + log sum_j e^{l_nj - m_n},   m_n = max_j l_nj

    (the shift by the row maximum keeps every exponent <= 0: no overflow for any logit).
    Differentiating, ``d logsumexp_j(l_nj) / dl_nk = e^{l_nk} / sum_j e^{l_nj} = p_nk`` and
    ``dl_{n,y_n}/dl_nk = [k = y_n]``, so

        dL_n/dl_nk = p_nk - onehot(y_n)_k,

    and the mean over ``N`` divides it by ``N``. The one-hot rows come from comparing
    the labels with ``arange(K)`` (a mask, no scatter). Returns ``(loss, dlogits)``.
    """
    xp = get_backend()
    if getattr(logits, "ndim", None) != 2 or logits.shape[0] == 0:
        raise ValueError(f"softmax_cross_entropy: expected logits of shape (batch, classes), "
                         f"got {getattr(logits, 'shape', None)}")
    if getattr(labels, "shape", None) != (logits.shape[0],):
        raise ValueError(f"softmax_cross_entropy: expected labels of shape ({logits.shape[0]},), "
                         f"got {getattr(labels, 'shape', None)}")
    n, k = logits.shape
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, K), every entry <= 0
    log_norm = xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))  # (N, 1)
    log_p = shifted - log_norm  # log softmax
    onehot = labels[:, None] == xp.arange(k)[None, :]  # (N, K) bool
    loss = -(log_p * onehot).sum() / n
    dlogits = (xp.exp(log_p) - onehot) / n
    return loss, dlogits.astype(logits.dtype, copy=False)
