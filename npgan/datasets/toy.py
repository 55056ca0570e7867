"""Toy data distributions, and the mode-collapse metrics of PacGAN (Lin et al., 2018).

Three distributions, all with the same small interface:

    toy.name                           e.g. "ring-8"
    toy.dim                            1 or 2
    toy.centres                        (n_modes, dim) host NumPy float64: the mode means
    toy.std                            the standard deviation of every mode
    toy.sample(n, rng, dtype)          (n, dim) array of the active backend

- ``Gaussian1D``: one Gaussian on the line, the data density of the paper's Figure 1.
- ``Ring``: ``n_modes`` Gaussians evenly spaced on a circle (PacGAN's ring-8).
- ``Grid``: ``side x side`` Gaussians on a square lattice (PacGAN's grid-25).

Every sample picks its mode uniformly at random, independently of the others, then adds
isotropic Gaussian noise of standard deviation ``std`` around that mode's centre.

``mode_metrics(samples, centres, std)`` scores generator samples the PacGAN way: modes
covered, the share of high-quality samples, and the reverse KL divergence between the
histogram of samples over modes and the uniform one.

``centres`` are small constants, kept on the host as NumPy float64 so that they outlive
a backend switch; ``sample`` copies them to the active backend each call.
"""

import math

import numpy

from npgan.backend import get_backend, to_numpy


class _Mixture:
    """Equal-weight mixture of isotropic Gaussians with a shared ``std``.

    Subclasses set ``name`` and ``centres`` (host float64, shape (n_modes, dim)).
    """

    name = "mixture"
    centres = numpy.zeros((1, 1))
    std = 1.0

    @property
    def dim(self):
        return self.centres.shape[1]

    @property
    def n_modes(self):
        return self.centres.shape[0]

    def sample(self, n, rng, dtype="float32"):
        """``n`` draws of shape (n, dim) on the active backend, in ``dtype``.

        ``rng`` is an ``npgan.backend.Random``. Modes are chosen uniformly per sample.
        """
        if int(n) != n or n < 0:
            raise ValueError(f"{self.name}.sample: n must be a non-negative integer, got {n!r}")
        n = int(n)
        xp = get_backend()
        centres = xp.asarray(self.centres, dtype=dtype)            # (K, dim)
        which = rng.integers(0, self.n_modes, (n,))                # (n,) mode of each sample
        noise = rng.normal((n, self.dim), dtype=dtype, std=self.std)
        return centres[xp.asarray(which)] + noise                  # (n, dim)

    def mode_metrics(self, samples):
        """``mode_metrics(samples, self.centres, self.std)``."""
        return mode_metrics(samples, self.centres, self.std)

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}: {self.n_modes} modes in {self.dim}-D, std {self.std}>"


def _check_std(std, who):
    try:
        ok = math.isfinite(float(std)) and float(std) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{who}: std must be a finite number > 0, got {std!r}")


class Gaussian1D(_Mixture):
    """One Gaussian on the line: the data density ``p_data`` of the paper's Figure 1.

    Defaults ``mean=4.0, std=0.5`` put the data away from a generator that starts near 0
    (as in the figure, where ``p_g`` must travel to ``p_data``) and narrow enough that
    the picture on [-2, 8] shows both densities clearly.
    """

    def __init__(self, mean=4.0, std=0.5):
        _check_std(std, "Gaussian1D")
        self.mean = float(mean)
        self.std = float(std)
        self.centres = numpy.array([[self.mean]])                  # (1, 1)
        self.name = "gaussian-1d"

    def density(self, x):
        """``p_data(x)``, host NumPy float64 of ``x``'s shape (for plots and theory)."""
        x = numpy.asarray(to_numpy(x), dtype=numpy.float64)
        z = (x - self.mean) / self.std
        return numpy.exp(-0.5 * z * z) / (self.std * math.sqrt(2.0 * math.pi))


class Ring(_Mixture):
    """``n_modes`` Gaussians with means ``radius * (cos 2 pi i/K, sin 2 pi i/K)``, i = 0..K-1.

    The angles are ``2 pi i / K`` for ``i < K``, never ``linspace(0, 2 pi, K)``, whose
    last angle repeats the first and leaves only K - 1 distinct modes. PacGAN's ring-8:
    K = 8, radius 1, std 0.01.
    """

    def __init__(self, n_modes=8, radius=1.0, std=0.01):
        if int(n_modes) != n_modes or n_modes < 1:
            raise ValueError(f"Ring: n_modes must be a positive integer, got {n_modes!r}")
        if not radius > 0:
            raise ValueError(f"Ring: radius must be > 0, got {radius!r}")
        _check_std(std, "Ring")
        self.radius = float(radius)
        self.std = float(std)
        angles = 2.0 * math.pi * numpy.arange(int(n_modes)) / int(n_modes)
        self.centres = self.radius * numpy.stack([numpy.cos(angles), numpy.sin(angles)], axis=1)  # (K, 2)
        self.name = f"ring-{int(n_modes)}"


class Grid(_Mixture):
    """``side**2`` Gaussians on a square lattice centred on the origin.

    Coordinates along each axis are ``spacing * (i - (side - 1) / 2)``, i = 0..side-1;
    PacGAN's grid-25 (side 5, spacing 2, std 0.05) has means on {-4, -2, 0, 2, 4}^2.
    Centres are listed row by row: the first coordinate varies slowest.
    """

    def __init__(self, side=5, spacing=2.0, std=0.05):
        if int(side) != side or side < 1:
            raise ValueError(f"Grid: side must be a positive integer, got {side!r}")
        if not spacing > 0:
            raise ValueError(f"Grid: spacing must be > 0, got {spacing!r}")
        _check_std(std, "Grid")
        self.spacing = float(spacing)
        self.std = float(std)
        axis = self.spacing * (numpy.arange(int(side)) - (int(side) - 1) / 2.0)
        a, b = numpy.meshgrid(axis, axis, indexing="ij")
        self.centres = numpy.stack([a.ravel(), b.ravel()], axis=1)  # (side**2, 2)
        self.name = f"grid-{int(side) ** 2}"


TOY_DATASETS = {
    "gaussian-1d": Gaussian1D,
    "ring-8": Ring,
    "grid-25": Grid,
}


def make_toy(name, **overrides):
    """The toy distribution called ``name`` (a key of ``TOY_DATASETS``), at its defaults.

    Keyword arguments override the constructor's defaults, e.g. ``make_toy("ring-8", std=0.02)``.
    """
    if name not in TOY_DATASETS:
        raise ValueError(f"unknown toy dataset {name!r}; expected one of {sorted(TOY_DATASETS)}")
    return TOY_DATASETS[name](**overrides)


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
    _check_std(std, "mode_metrics")


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
    n_good = int(counts.sum())
    if n_good == 0:
        reverse_kl = float("nan")
    else:
        q = counts[counts > 0] / n_good
        reverse_kl = float(numpy.sum(q * numpy.log(q * k)))
    return {
        "modes_covered": int((counts > 0).sum()),
        "n_modes": int(k),
        "high_quality": n_good / n,
        "reverse_kl": reverse_kl,
        "counts": counts,
    }
