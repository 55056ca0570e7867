"""How good a set of completions is, and the two baselines that need no training.

For images ``x`` (N, 784) with masks ``observed`` (1 = observed) and ``per_image``
completions of each (N * per_image, 784, image by image):

- ``missing_error_and_spread``: the squared error on the missing pixels, and the spread
  between an image's completions (0 for a model that ignores its noise);
- ``label_accuracy``: the share of completions that a classifier puts in the original's class;
- ``nearest_on_observed``: the nearest-neighbour baseline, the training image closest to
  ``x`` on the observed pixels only, its pixels filling the missing ones;
- ``mean_image_completion``: the mean training image filling the missing pixels.
"""

from npgan.backend import asarray, get_backend
from npgan.evaluation.neighbours import chunked_argmin
from npgan.models.inpainting.model import PIXELS, compose


def missing_error_and_spread(x, observed, completions, per_image):
    """Host floats ``(mse, spread)``.

    mse: the squared error averaged over every missing pixel of every completion. spread:
    the root of the mean, over the missing pixels, of the variance across an image's
    ``per_image`` completions (unbiased, ddof 1); ``nan`` for ``per_image < 2``.
    """
    xp = get_backend()
    n = len(x)
    if completions.shape != (n * per_image, PIXELS):
        raise ValueError(f"missing_error_and_spread: expected completions of shape ({n * per_image}, {PIXELS}), "
                         f"got {completions.shape}")
    missing = 1 - observed
    c = completions.reshape(n, per_image, PIXELS)
    count = max(float(missing.sum()), 1.0)
    mse = float((((c - x[:, None, :]) ** 2) * missing[:, None, :]).sum()) / (count * per_image)
    if per_image < 2:
        return mse, float("nan")
    spread = float(xp.sqrt((c.var(axis=1, ddof=1) * missing).sum() / count))
    return mse, spread


def label_accuracy(classifier, completions, labels, per_image):
    """Share of the completions classified as their original's label (labels: (N,), host or backend)."""
    xp = get_backend()
    return classifier.accuracy(completions, xp.repeat(asarray(labels), per_image))


def observed_scores(x, observed):
    """The scores ``(N, M)`` of candidates ``t`` (M, 784) whose argmin over ``t`` is each ``x``'s nearest image.

    ``sum_d m_d (x_d - t_d)^2 = sum_d m_d x_d^2 - 2 (m x) . t + m . t^2``: the first term
    is the same for every candidate, so the argmin needs ``m . t^2 - 2 (m x) . t``, two
    matrix products (one when all masks are equal). Returns that function of ``t``.
    """
    x, observed = asarray(x, dtype="float32"), asarray(observed, dtype="float32")
    mx = observed * x
    weights = observed[:1] if bool((observed == observed[:1]).all()) else observed

    def scores(t):
        return weights @ (t * t).T - 2 * (mx @ t.T)  # (N, M); (1, M) broadcast when the masks are shared

    return scores


def nearest_on_observed(x, observed, train, chunk=2000):
    """Index into ``train`` (M, 784) of the nearest image to each ``x`` (N, 784) on its observed pixels.

    The argmin of ``observed_scores``, a chunk of candidates at a time. Host (N,) int64.
    """
    return chunked_argmin(observed_scores(x, observed), len(x), train, chunk)


def nearest_neighbour_completion(x, observed, train, chunk=2000):
    """The observed pixels of ``x``, the missing ones from its ``nearest_on_observed`` training image."""
    neighbours = asarray(train[nearest_on_observed(x, observed, train, chunk)], dtype=x.dtype)
    return compose(x, observed, neighbours)


def mean_image_completion(x, observed, train):
    """The observed pixels of ``x``, the missing ones from the mean training image."""
    mean = asarray(train, dtype="float32").mean(axis=0).astype(x.dtype)
    return compose(x, observed, get_backend().broadcast_to(mean, x.shape))
