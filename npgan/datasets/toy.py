"""Toy data distributions: the data of the paper's Figure 1 and of PacGAN's mode-collapse tests.

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

``npgan.evaluation.modes.mode_metrics`` scores generator samples against these modes.

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

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}: {self.n_modes} modes in {self.dim}-D, std {self.std}>"


def check_std(std, who):
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
        check_std(std, "Gaussian1D")
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
        check_std(std, "Ring")
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
        check_std(std, "Grid")
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
