"""The mode-collapse metrics of PacGAN (Lin et al., 2018), for samples of a 2-D (or 1-D) toy.

``mode_metrics(samples, centres, std)`` scores generator samples the PacGAN way: modes
covered, the share of high-quality samples, and the reverse KL divergence between the
histogram of samples over modes and the uniform one. The modes are a toy distribution's
(``npgan.datasets.toy``: ``toy.centres``, ``toy.std``).
"""

import numpy

from npgan.backend import get_backend, to_numpy
from npgan.datasets.toy import check_std


def _check_metric_inputs(samples, centres, std):
    if getattr(samples, "ndim", None) != 2:
        raise ValueError(
            f"mode_metrics: samples must be 2-D (n_samples, dim), got shape {getattr(samples, 'shape', None)}; "
            "reshape 1-D data with samples.reshape(-1, 1)"
        )
    if getattr(centres, "ndim", None) != 2:
        raise ValueError(
            f"mode_metrics: centres must be 2-D (n_modes, dim), got shape {getattr(centres, 'shape', None)}"
        )
    if samples.shape[0] == 0 or centres.shape[0] == 0:
        raise ValueError(
            f"mode_metrics: need at least one sample and one centre, got samples {samples.shape}, "
            f"centres {centres.shape}"
        )
    if samples.shape[1] != centres.shape[1]:
        raise ValueError(
            f"mode_metrics: samples have dim {samples.shape[1]} but centres have dim {centres.shape[1]}; "
            "expected the same"
        )
    check_std(std, "mode_metrics")


def mode_metrics(samples, centres, std):
    """Mode coverage, sample quality and reverse KL, by the protocol of PacGAN.

    Parameters
    ----------
    samples : (N, dim) array of the active backend or NumPy (e.g. 2,500 generator samples)
    centres : (K, dim) array, the mode means (``toy.centres``)
    std     : float > 0, the standard deviation of each mode

    Each sample is assigned to its nearest centre (Euclidean; ties go to the lower index).
    It is *high-quality* if its distance to that centre is at most ``3 * std``.

    Returns a dict:

    - ``counts``: (K,) host NumPy int64, the number of *high-quality* samples nearest to
      each mode; samples that are not high-quality are counted nowhere;
    - ``modes_covered``: int, the number of modes with ``counts > 0``;
    - ``n_modes``: int, K;
    - ``high_quality``: float in [0, 1], the share of all N samples that are high-quality;
    - ``reverse_kl``: float, ``KL(q || u)`` in nats, where ``q = counts / counts.sum()``
      is the histogram of the high-quality samples over the modes and ``u = 1/K`` the
      uniform one:

          KL(q || u) = sum_{k: q_k > 0} q_k log(q_k / (1/K)) = log K - H(q),

      empty bins contribute 0 (the limit of q log q as q -> 0), so the value lies in
      [0, log K]: 0 for a perfectly balanced histogram, log K when every high-quality
      sample sits at one mode. When no sample is high-quality, q is undefined and
      ``reverse_kl`` is NaN (a mean over seeds will then be NaN too, on purpose).

    Distances are computed exactly as differences, (N, K, dim), in float64 on the active
    backend (2,500 x 25 x 2 is tiny), so the 3-sigma boundary is not blurred by the
    cancellation of the ``|x|^2 + |c|^2 - 2 x.c`` expansion. Only the K counts come back
    to the host, where the scalar summaries are computed with NumPy.
    """
    _check_metric_inputs(samples, centres, std)
    xp = get_backend()
    x = xp.asarray(samples, dtype=xp.float64)                      # (N, dim)
    c = xp.asarray(centres, dtype=xp.float64)                      # (K, dim)
    n, k = x.shape[0], c.shape[0]

    diff = x[:, None, :] - c[None, :, :]                           # (N, K, dim)
    sq_dist = (diff * diff).sum(axis=2)                            # (N, K)
    nearest = sq_dist.argmin(axis=1)                               # (N,)
    nearest_sq = sq_dist.min(axis=1)                               # (N,)
    good = nearest_sq <= (3.0 * std) ** 2                          # (N,) high-quality

    counts = to_numpy(xp.bincount(nearest[good], minlength=k)).astype(numpy.int64)  # (K,)
    return {"modes_covered": int((counts > 0).sum()), "n_modes": int(k), "high_quality": int(counts.sum()) / n,
            "reverse_kl": reverse_kl(counts), "counts": counts}


def reverse_kl(counts):
    """``KL(q || u)`` in nats of the histogram ``counts`` (K,) against the uniform one; NaN when empty."""
    total = int(counts.sum())
    if total == 0:
        return float("nan")
    q = counts[counts > 0] / total
    return float(numpy.sum(q * numpy.log(q * len(counts))))
