"""Evaluation beyond Parzen: sample quality and diversity measured by a classifier.

Every function here takes arrays (host or active backend) and returns Python numbers;
none knows about models. ``npgan.cli.evaluate`` feeds them the features and logits of
npgan's own classifier (``npgan.evaluation.classifier``: the 240 penultimate maxout units and the
10 logits) for generator samples and for real test images, and pixels for the copy
detector. With ``F`` the features of ``n`` samples and ``R`` those of ``m`` real images:

* ``frechet_distance``: the distance between Gaussian fits of ``F`` and ``R`` (FID, with
  npgan's classifier in place of Inception). 0 for identical fits; grows with any change
  of mean or covariance, so it sees both quality and diversity.
* ``inception_score``: ``exp(E_x KL(p(y|x) || p(y)))``, between 1 and the number of
  classes; high when each sample is confidently one digit and all digits occur.
* ``precision_recall``: the improved precision and recall of Kynkaanniemi et al. (2019):
  the share of samples inside the real images' k-nearest-neighbour balls (quality) and
  the share of real images inside the samples' balls (coverage).
* ``class_balance``: the histogram of predicted digits, its KL to uniform, and the mean
  confidence ``max_y p(y|x)``.
* ``copy_share``: the share of samples closer to a training image than nearly every
  real test image is (the 1st percentile of test-to-train distances): the number behind
  the paper's Figure 2.

Distances between sets are computed block by block (``|a - b|^2 = |a|^2 + |b|^2 - 2 a.b``,
one matrix product per block, clamped at 0 against rounding), so memory is bounded by
``chunk`` entries of a distance block whatever the set sizes.
"""

import warnings

import numpy
import scipy.linalg

from npgan.backend import asarray, get_backend, to_numpy

DEFAULT_CHUNK = 1 << 22  # entries of one distance block: 16 MiB in float32


def _as_2d(x, name):
    x = asarray(x, dtype="float32") if getattr(x, "dtype", None) != "float64" else asarray(x)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name}: expected a non-empty 2-D array (n, d), got shape {tuple(x.shape)}")
    return x


def _squared_norms(x):
    """``|x_i|^2`` per row, without an ``x``-sized temporary (``x * x`` of the training set is 157 MB)."""
    return get_backend().einsum("ij,ij->i", x, x)


def _squared_distances(a, a_norms, b, b_norms):
    """``|a_i - b_j|^2 = |a_i|^2 + |b_j|^2 - 2 a_i.b_j`` for a block (len(a), len(b)), clamped at 0.

    Built in the product's own array (one block of memory, no temporaries of its size).
    """
    xp = get_backend()
    d2 = a @ b.T
    d2 *= -2
    d2 += a_norms[:, None]
    d2 += b_norms[None, :]
    return xp.maximum(d2, 0, out=d2)


# ---- Frechet distance --------------------------------------------------------------

def mean_and_covariance(features, chunk=4096):
    """Sample mean (d,) and covariance (d, d) as host float64, accumulated by blocks of rows.

    ``cov = (sum_i (x_i - c)(x_i - c)^T - n (mu - c)(mu - c)^T) / (n - 1)`` with ``c`` the
    mean of the first block: the shift by ``c`` keeps the two sums from cancelling.
    """
    xp = get_backend()
    x = _as_2d(features, "mean_and_covariance")
    n, d = x.shape
    if n < 2:
        raise ValueError(f"mean_and_covariance: needs at least 2 rows, got {n}")
    shift = x[:chunk].astype("float64").mean(axis=0)
    total = xp.zeros(d, dtype="float64")
    outer = xp.zeros((d, d), dtype="float64")
    for start in range(0, n, chunk):
        block = x[start:start + chunk].astype("float64") - shift  # (b, d)
        total += block.sum(axis=0)
        outer += block.T @ block
    centred_mean = total / n
    cov = (outer - n * xp.outer(centred_mean, centred_mean)) / (n - 1)
    return to_numpy(centred_mean + shift), to_numpy(cov)


def _sqrtm(a):
    """SciPy's principal square root, or ``None`` where it is not finite or SciPy finds ``a`` singular."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
        try:
            root = scipy.linalg.sqrtm(a)
        except scipy.linalg.LinAlgWarning:
            return None
    return root if numpy.isfinite(root).all() else None


def frechet_distance_between(mu1, cov1, mu2, cov2):
    """Frechet (2-Wasserstein) distance between ``N(mu1, cov1)`` and ``N(mu2, cov2)``.

        FD = |mu1 - mu2|^2 + tr(cov1 + cov2 - 2 (cov1 cov2)^(1/2))

    (Dowson and Landau 1982; the FID of Heusel et al. 2017). ``cov1 cov2`` is not
    symmetric, but it is similar to ``cov1^(1/2) cov2 cov1^(1/2)``, which is positive
    semi-definite, so its eigenvalues are real and >= 0 and its principal square root is
    real. SciPy's ``sqrtm`` works through a complex Schur form, and rounding leaves
    imaginary parts of the order of the float64 epsilon times the matrix's scale: they
    are dropped (the real part is the answer), after checking that they are that small;
    large ones mean a numerically singular product. As in the FID reference code, a
    square root that is not finite, or of a product SciPy finds singular (a covariance
    with dead units), is retried with ``1e-6 I`` added to both covariances. Host float64
    throughout.
    """
    mu1, mu2 = numpy.asarray(mu1, numpy.float64), numpy.asarray(mu2, numpy.float64)
    cov1, cov2 = numpy.asarray(cov1, numpy.float64), numpy.asarray(cov2, numpy.float64)
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape or cov1.shape != mu1.shape * 2:
        raise ValueError(f"frechet_distance: shapes differ: means {mu1.shape}, {mu2.shape}, "
                         f"covariances {cov1.shape}, {cov2.shape}; expected (d,) and (d, d)")
    root = _sqrtm(cov1 @ cov2)
    if root is None:
        offset = numpy.eye(len(mu1)) * 1e-6
        root = _sqrtm((cov1 + offset) @ (cov2 + offset))
        if root is None:
            raise ValueError("frechet_distance: no finite square root of cov1 cov2, even with 1e-6 I added")
    if numpy.iscomplexobj(root):
        scale = max(1e-12, numpy.abs(root.real).max())
        if numpy.abs(root.imag).max() > 1e-3 * scale:
            raise ValueError(f"frechet_distance: the square root of cov1 cov2 has imaginary parts up to "
                             f"{numpy.abs(root.imag).max():.3g} (real scale {scale:.3g}); the covariances "
                             "are numerically singular")
        root = root.real
    diff = mu1 - mu2
    return float(diff @ diff + numpy.trace(cov1) + numpy.trace(cov2) - 2 * numpy.trace(root))


def frechet_distance(features_a, features_b):
    """Frechet distance between Gaussian fits of two feature sets (n, d) and (m, d)."""
    return frechet_distance_between(*mean_and_covariance(features_a), *mean_and_covariance(features_b))


# ---- class probabilities: the Inception-score analogue and the class balance -------

def log_softmax(logits):
    """``log p(y|x)`` from logits (n, K), shifted by the row maximum, in float64."""
    xp = get_backend()
    l = asarray(logits).astype("float64")
    shifted = l - l.max(axis=1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))


def inception_score(logits):
    """``exp(E_x KL(p(y|x) || p(y)))`` with ``p(y) = E_x p(y|x)``, from logits (n, K).

    ``KL(p(y|x) || p(y)) = sum_y p(y|x) (log p(y|x) - log p(y))``. Its mean over x is the
    mutual information between the sample and its class, ``H(y) - E_x H(y|x)``, which
    lies in ``[0, log K]``: the score runs from 1 (every sample the same mixture, or
    every sample the same confident class) to ``K`` (confident and balanced).
    """
    xp = get_backend()
    log_p = log_softmax(logits)  # (n, K)
    p = xp.exp(log_p)
    log_marginal = xp.log(p.mean(axis=0))  # (K,)
    kl = (p * (log_p - log_marginal[None, :])).sum(axis=1)  # (n,)
    return float(xp.exp(kl.mean()))


def class_balance(logits):
    """Histogram of predicted classes, its KL to uniform, and the mean confidence.

    ``h_k`` = share of samples whose most probable class is ``k``;
    ``KL(h || u) = sum_k h_k log(h_k K)`` (terms with ``h_k = 0`` are 0): 0 for a
    balanced mix, ``log(K / j)`` when only ``j`` classes occur, equally often (``log 2``
    for five of ten digits). Mean confidence: the mean of ``max_k p(k|x)``.
    """
    xp = get_backend()
    log_p = log_softmax(logits)
    n, k = log_p.shape
    predicted = log_p.argmax(axis=1)
    histogram = (predicted[:, None] == xp.arange(k)[None, :]).sum(axis=0) / n  # (K,) without a scatter
    h = to_numpy(histogram).astype(numpy.float64)
    nonzero = h > 0
    kl = float((h[nonzero] * numpy.log(h[nonzero] * k)).sum())
    confidence = float(xp.exp(log_p.max(axis=1)).mean())
    return {"histogram": h.tolist(), "kl_to_uniform": kl, "mean_confidence": confidence}


# ---- improved precision and recall --------------------------------------------------

def _rows_per_block(width, chunk):
    return max(1, int(chunk) // max(1, width))


def neighbour_radii(features, k=3, chunk=DEFAULT_CHUNK):
    """Squared distance from each row to its k-th nearest *other* row (n,), on the backend.

    Each point is its own nearest neighbour at distance 0, so the k-th other one is the
    entry of rank ``k`` (from 0) in the row of distances.
    """
    xp = get_backend()
    x = _as_2d(features, "neighbour_radii")
    n = x.shape[0]
    if not 1 <= k < n:
        raise ValueError(f"neighbour_radii: k must be in 1..{n - 1} for {n} points, got {k}")
    norms = _squared_norms(x)
    rows = _rows_per_block(n, chunk)
    parts = []
    for start in range(0, n, rows):
        d2 = _squared_distances(x[start:start + rows], norms[start:start + rows], x, norms)
        parts.append(xp.partition(d2, k, axis=1)[:, k].copy())  # a copy: a view would keep the block alive
    return xp.concatenate(parts)


def inside_share(queries, reference, radii, chunk=DEFAULT_CHUNK):
    """Share of ``queries`` within ``radii[j]`` (squared) of at least one ``reference[j]``."""
    q, r = _as_2d(queries, "inside_share"), _as_2d(reference, "inside_share")
    radii = asarray(radii)
    q_norms, r_norms = _squared_norms(q), _squared_norms(r)
    rows = _rows_per_block(r.shape[0], chunk)
    inside = 0
    for start in range(0, q.shape[0], rows):
        d2 = _squared_distances(q[start:start + rows], q_norms[start:start + rows], r, r_norms)
        inside += int((d2 <= radii[None, :]).any(axis=1).sum())
    return inside / q.shape[0]


def precision_recall(real, fake, k=3, chunk=DEFAULT_CHUNK):
    """Improved precision and recall (Kynkaanniemi et al. 2019) of ``fake`` against ``real``.

    Each set estimates its distribution's support as the union of balls around its
    points, each ball reaching the point's k-th nearest neighbour in its own set:

        precision = share of fake points inside some real ball   (are the samples realistic?)
        recall    = share of real points inside some fake ball   (is the data covered?)

    Real against a disjoint draw of real scores below 1 on both (the balls do not cover
    everything); compare a model with that baseline. One outlying point has a large ball
    that can cover a whole region (Naeem et al. 2020): on MNIST, samples of the digits
    0-4 alone reach about 0.7 of the full recall, not 0.5, as one odd 4 covers most 7s.
    Costs three (n x m) distance computations in blocks.
    """
    real, fake = _as_2d(real, "precision_recall"), _as_2d(fake, "precision_recall")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"precision_recall: real has {real.shape[1]} features, fake {fake.shape[1]}")
    precision = inside_share(fake, real, neighbour_radii(real, k, chunk), chunk)
    recall = inside_share(real, fake, neighbour_radii(fake, k, chunk), chunk)
    return {"precision": precision, "recall": recall, "k": k}


# ---- the copy detector ---------------------------------------------------------------

def nearest_distances(queries, reference, chunk=DEFAULT_CHUNK):
    """Euclidean distance from each query to its nearest reference row (n,), on the backend.

    ``|q - r|^2 = |q|^2 + (|r|^2 - 2 q.r)``, and ``|q|^2`` is the same for every
    candidate, so the minimum over a block needs only ``|r|^2 - 2 q.r``; ``|q|^2`` is
    added once to the minimum (and the sum clamped at 0 against rounding).
    """
    xp = get_backend()
    q, r = _as_2d(queries, "nearest_distances"), _as_2d(reference, "nearest_distances")
    r_norms = _squared_norms(r)
    best = xp.full(q.shape[0], xp.inf, dtype=r_norms.dtype)
    ref_rows = min(r.shape[0], 10000)
    rows = _rows_per_block(ref_rows, chunk)
    for r_start in range(0, r.shape[0], ref_rows):
        block, block_norms = r[r_start:r_start + ref_rows], r_norms[r_start:r_start + ref_rows]
        for start in range(0, q.shape[0], rows):
            partial = q[start:start + rows] @ block.T  # (rows, ref_rows)
            partial *= -2
            partial += block_norms[None, :]
            xp.minimum(best[start:start + rows], partial.min(axis=1), out=best[start:start + rows])
    return xp.sqrt(xp.maximum(best + _squared_norms(q), 0))


def copy_threshold(train=None, test=None, percentile=1.0, chunk=DEFAULT_CHUNK, test_to_train=None):
    """The ``percentile``-th percentile of test-to-nearest-training-image distances.

    Test images are new digits by construction, so 99% of them are farther than this
    from every training image: a sample closer than it is nearer to a training image
    than nearly any new digit is. ``test_to_train``: those distances, if already known
    (then ``train`` and ``test`` are not needed).
    """
    if test_to_train is None:
        test_to_train = nearest_distances(test, train, chunk)
    return float(numpy.percentile(to_numpy(test_to_train), percentile))


def copy_share(samples, train, threshold, chunk=DEFAULT_CHUNK):
    """Share of ``samples`` closer than ``threshold`` to some training image.

    In pixel space, as in the paper's Figure 2, where a copy is a copy: in a classifier's
    feature space every typical digit of a class sits close to many training images, so
    a prototype would be flagged as well as a copy. About 1% for new real digits (by the
    threshold's construction), 1 for exact training images.
    """
    distances = nearest_distances(samples, train, chunk)
    return float((distances < threshold).mean())
