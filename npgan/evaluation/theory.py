"""The paper's Proposition 1 and Theorem 1, computed on a grid so they can be checked.

Densities are given as 1-D arrays on a common uniform grid, and every integral is the
rectangle rule ``integral f(x) dx ~ sum_i f(x_i) * dx``. One convention covers both cases:

- continuous densities: ``p[i] = p(x_i)`` with grid spacing ``dx``; the integrals are
  Riemann sums (for smooth densities whose tails vanish at the grid's ends this is
  accurate to far below 1e-10 once ``dx`` is a fraction of the narrowest scale);
- discrete distributions: probability vectors with ``dx = 1`` (the default), so the
  integrals are exact sums.

Either way each density must integrate to 1: ``|sum(p) * dx - 1| <= MASS_TOLERANCE``,
since ``C(G) = -log 4 + 2 JSD`` uses ``integral p_data = integral p_g = 1``. Values are
non-negative; zeros are allowed, with the convention ``0 log 0 = 0`` (the limit of
``t log t`` as ``t -> 0``) and, more generally, ``0 * log(anything) = 0``.

This is host-side analysis, not training: inputs of either backend are copied to the
host with ``to_numpy`` and everything is computed in NumPy float64, so that identities
can be checked to 1e-10 and results compared with ``scipy.integrate.quad``. Logarithms
are natural (nats).
"""

import math

import numpy

from npgan.backend import to_numpy

MASS_TOLERANCE = 1e-6

LOG_4 = math.log(4.0)


def _density(p, name, dx):
    """``p`` as host float64 (n,), checked to be a density on the grid."""
    p = numpy.asarray(to_numpy(p), dtype=numpy.float64)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"{name}: expected a non-empty 1-D array of density values, got shape {p.shape}")
    if not numpy.all(numpy.isfinite(p)) or numpy.any(p < 0):
        raise ValueError(f"{name}: expected finite, non-negative density values")
    mass = p.sum() * dx
    if abs(mass - 1.0) > MASS_TOLERANCE:
        raise ValueError(
            f"{name}: integrates to {mass!r} on this grid (sum * dx), expected 1 within "
            f"{MASS_TOLERANCE}; normalise with p / (p.sum() * dx) or widen the grid"
        )
    return p


def _pair(p_data, p_g, dx):
    if not (math.isfinite(dx) and dx > 0):
        raise ValueError(f"dx must be a finite grid spacing > 0, got {dx!r}")
    p = _density(p_data, "p_data", dx)
    q = _density(p_g, "p_g", dx)
    if p.shape != q.shape:
        raise ValueError(f"p_data has shape {p.shape} but p_g has shape {q.shape}; expected the same grid")
    return p, q


def _weighted_log(weight, y, log=numpy.log):
    """``weight * log(y)`` elementwise, with ``0 * log(anything) = 0``.

    ``log`` may be ``numpy.log1p`` (then ``y`` is the argument of log1p). Where
    ``weight > 0`` and the logarithm is of 0 the result is ``-inf``, which is correct: the
    integrand, and hence the integral, is ``-inf`` there.
    """
    out = numpy.zeros_like(weight)
    on = weight > 0
    with numpy.errstate(divide="ignore"):
        out[on] = weight[on] * log(y[on])
    return out


def optimal_discriminator(p_data, p_g):
    """Proposition 1: the discriminator that maximises ``V(D, G)`` for a fixed ``G``.

        D*(x) = p_data(x) / (p_data(x) + p_g(x))

    Derivation. ``V(D, G) = integral [ p_data(x) log D(x) + p_g(x) log(1 - D(x)) ] dx``
    is maximised pointwise: for each ``x`` choose ``y = D(x)`` in [0, 1] to maximise
    ``f(y) = a log y + b log(1 - y)`` with ``a = p_data(x)``, ``b = p_g(x)``. For
    ``a, b > 0``, ``f'(y) = a/y - b/(1 - y) = 0`` gives ``y = a / (a + b)``, and
    ``f''(y) = -a/y^2 - b/(1 - y)^2 < 0``, so it is the unique maximum. If ``b = 0 < a``
    the maximum is at ``y = 1`` (and at ``y = 0`` if ``a = 0 < b``), both given by the
    same formula.

    Where ``p_data = p_g = 0`` the formula is 0/0; we return 1/2. The choice does not
    matter for ``V``: both weights are 0 there, so the integrand is 0 whatever ``D`` is
    (and 1/2 keeps both logarithms finite). Outside both supports ``D*`` is not defined
    by the theory at all.

    Arrays: ``p_data``, ``p_g`` of shape (n,), non-negative. Returns (n,) float64 in [0, 1].
    Normalisation is not needed here (D* is a ratio), so it is not checked.
    """
    p = numpy.asarray(to_numpy(p_data), dtype=numpy.float64)
    q = numpy.asarray(to_numpy(p_g), dtype=numpy.float64)
    if p.shape != q.shape:
        raise ValueError(f"p_data has shape {p.shape} but p_g has shape {q.shape}; expected the same grid")
    total = p + q
    d = numpy.full_like(total, 0.5)
    on = total > 0
    d[on] = p[on] / total[on]
    return d


def value(D, p_data, p_g, dx=1.0):
    """The value function ``V(D, G) = integral [ p_data log D + p_g log(1 - D) ] dx``.

    This is ``E_{x ~ p_data}[log D(x)] + E_{z ~ p_z}[log(1 - D(G(z)))]`` with the second
    expectation written over ``x = G(z) ~ p_g`` (the change of variables in the proof of
    Proposition 1).

    ``D`` holds the discriminator's outputs on the grid, shape (n,), values in [0, 1].
    Computed stably: ``log(1 - D)`` as ``log1p(-D)``, and ``0 * log(anything) = 0``, so
    a point where a density is 0 contributes nothing whatever ``D`` is there. A ``D``
    that is 0 where ``p_data > 0`` (or 1 where ``p_g > 0``) gives ``-inf``, as it should.
    One limit of working with probabilities: where ``p_g`` is positive but ~1e-16 times
    ``p_data`` or less (the tails of two distant Gaussians on a wide grid), ``D*`` rounds
    to exactly 1 and ``value(D*, ...)`` is ``-inf``; ``V(D*, G)`` itself is finite there
    and ``virtual_training_criterion`` computes it from the densities.
    Returns a Python float, in nats.
    """
    p, q = _pair(p_data, p_g, dx)
    d = numpy.asarray(to_numpy(D), dtype=numpy.float64)
    if d.shape != p.shape:
        raise ValueError(f"D has shape {d.shape} but the densities have shape {p.shape}; expected the same grid")
    if numpy.any(~(d >= 0) | ~(d <= 1)):
        raise ValueError("D: expected discriminator outputs in [0, 1]")
    integrand = _weighted_log(p, d) + _weighted_log(q, -d, numpy.log1p)   # log(1 - D) = log1p(-D)
    return float(integrand.sum() * dx)


def kl_divergence(p, q, dx=1.0):
    """``KL(p || q) = integral p log(p / q) dx`` in nats (``+inf`` if p is not << q).

    Sums over points with ``p > 0`` only (``0 log 0 = 0``); ``p > 0 = q`` gives ``+inf``.
    """
    p, q = _pair(p, q, dx)
    on = p > 0
    if numpy.any(q[on] == 0):
        return math.inf
    return float(numpy.sum(p[on] * numpy.log(p[on] / q[on])) * dx)


def jensen_shannon(p_data, p_g, dx=1.0):
    """Jensen-Shannon divergence in nats:

        JSD(p || q) = 1/2 KL(p || m) + 1/2 KL(q || m),     m = (p + q) / 2.

    Symmetric, finite, in [0, log 2]: 0 iff ``p = q``, ``log 2`` iff their supports are
    disjoint. ``m > 0`` wherever ``p > 0`` or ``q > 0``, so neither KL is infinite.
    """
    p, q = _pair(p_data, p_g, dx)
    m = 0.5 * (p + q)
    return 0.5 * (kl_divergence(p, m, dx) + kl_divergence(q, m, dx))


def virtual_training_criterion(p_data, p_g, dx=1.0):
    """Theorem 1: ``C(G) = max_D V(D, G) = -log 4 + 2 JSD(p_data || p_g)``.

    Derivation. Substitute ``D*`` from Proposition 1 into ``V`` and write
    ``p_data + p_g = 2 m`` with ``m = (p_data + p_g) / 2``:

        C(G) = integral p_data log(p_data / (p_data + p_g)) + p_g log(p_g / (p_data + p_g))
             = integral p_data [log(p_data / m) - log 2] + p_g [log(p_g / m) - log 2]
             = -log 2 * (integral p_data + integral p_g) + KL(p_data || m) + KL(p_g || m)
             = -log 4 + 2 JSD(p_data || p_g),

    using that both densities integrate to 1. Since ``JSD >= 0`` with equality iff
    ``p_data = p_g``, the global minimum of ``C`` is ``-log 4``, reached exactly when
    the generator reproduces the data distribution. Returns a Python float, in nats.
    """
    return -LOG_4 + 2.0 * jensen_shannon(p_data, p_g, dx)
