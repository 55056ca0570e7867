"""Proposition 1 and Theorem 1, checked numerically on discrete and continuous densities."""

import math

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from npgan.evaluation.theory import (
    jensen_shannon,
    kl_divergence,
    optimal_discriminator,
    value,
    virtual_training_criterion,
)

LOG_2, LOG_4 = math.log(2.0), math.log(4.0)

_weight = st.one_of(st.just(0.0), st.floats(1e-3, 10.0))   # zeros are common on purpose


def _normalise(w):
    w = numpy.asarray(w, dtype=numpy.float64)
    if w.sum() == 0:
        w[0] = 1.0
    return w / w.sum()


@st.composite
def distribution_pairs(draw):
    """Two probability vectors of one random size in 2..50, each with some zeros allowed."""
    n = draw(st.integers(2, 50))
    vector = st.lists(_weight, min_size=n, max_size=n).map(_normalise)
    return draw(vector), draw(vector)


@settings(max_examples=200, deadline=None)
@given(distribution_pairs())
def test_value_at_optimal_discriminator_is_the_virtual_criterion(pq):
    p, q = pq
    d_star = optimal_discriminator(p, q)
    assert value(d_star, p, q) == pytest.approx(virtual_training_criterion(p, q), abs=1e-10)


def test_criterion_stays_finite_where_d_star_rounds_to_one():
    """Two distant Gaussians on a wide grid: p_g / p_data < 1e-16 in p_data's bulk."""
    x, dx = numpy.linspace(-20, 20, 4001, retstep=True)
    p, q = stats.norm.pdf(x, -3, 1), stats.norm.pdf(x, 3, 1)
    d_star = optimal_discriminator(p, q)
    assert numpy.any((d_star == 1.0) & (q > 0))  # the rounding that defeats value()
    assert value(d_star, p, q, dx) == -math.inf
    criterion = virtual_training_criterion(p, q, dx)
    assert math.isfinite(criterion) and -LOG_4 < criterion < 0


@settings(max_examples=200, deadline=None)
@given(distribution_pairs(), st.integers(0, 2**32 - 1), st.floats(1e-6, 0.5))
def test_optimal_discriminator_maximises_value(pq, seed, scale):
    p, q = pq
    d_star = optimal_discriminator(p, q)
    best = value(d_star, p, q)
    rng = numpy.random.default_rng(seed)
    for _ in range(5):
        d = numpy.clip(d_star + scale * rng.standard_normal(p.size), 1e-12, 1 - 1e-12)
        assert value(d, p, q) <= best + 1e-12


@settings(max_examples=200, deadline=None)
@given(distribution_pairs())
def test_jsd_bounds_symmetry_and_the_global_minimum(pq):
    p, q = pq
    jsd = jensen_shannon(p, q)
    assert jsd == pytest.approx(jensen_shannon(q, p), abs=1e-15)
    assert -1e-15 <= jsd <= LOG_2 + 1e-12
    # Pinsker on both halves: JSD >= |p - q|_1^2 / 8, so C(G) > -log 4 whenever p != q.
    assert jsd >= numpy.abs(p - q).sum() ** 2 / 8 - 1e-12
    assert virtual_training_criterion(p, q) >= -LOG_4 - 1e-12
    assert virtual_training_criterion(p, p) == pytest.approx(-LOG_4, abs=1e-14)
    assert jensen_shannon(p, p) == 0.0


def test_jsd_reaches_log_2_on_disjoint_supports():
    p, q = numpy.array([0.5, 0.5, 0.0, 0.0]), numpy.array([0.0, 0.0, 0.3, 0.7])
    assert jensen_shannon(p, q) == pytest.approx(LOG_2, abs=1e-15)
    assert virtual_training_criterion(p, q) == pytest.approx(0.0, abs=1e-15)
    numpy.testing.assert_array_equal(optimal_discriminator(p, q), [1, 1, 0, 0])
    assert value(optimal_discriminator(p, q), p, q) == 0.0


def test_optimal_discriminator_where_both_densities_vanish():
    p, q = numpy.array([0.5, 0.0, 0.5]), numpy.array([0.5, 0.0, 0.5])
    d = optimal_discriminator(p, q)
    numpy.testing.assert_array_equal(d, 0.5)
    # V does not depend on D where both densities are 0.
    assert value(numpy.array([0.5, 1e-9, 0.5]), p, q) == value(d, p, q) == -LOG_4


def test_value_is_minus_infinity_for_a_certain_wrong_discriminator():
    p, q = numpy.array([0.5, 0.5]), numpy.array([0.5, 0.5])
    assert value(numpy.array([0.0, 0.5]), p, q) == -math.inf
    assert value(numpy.array([0.5, 1.0]), p, q) == -math.inf


def test_kl_divergence():
    p, q = numpy.array([0.5, 0.5, 0.0]), numpy.array([0.25, 0.25, 0.5])
    assert kl_divergence(p, q) == pytest.approx(LOG_2)
    assert kl_divergence(q, p) == math.inf


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: jensen_shannon([0.5, 0.6], [0.5, 0.5]), "p_data: integrates to"),
        (lambda: jensen_shannon([1.5, -0.5], [0.5, 0.5]), "non-negative"),
        (lambda: jensen_shannon([[0.5, 0.5]], [0.5, 0.5]), "1-D"),
        (lambda: jensen_shannon([1.0], [0.5, 0.5]), "shape"),
        (lambda: jensen_shannon([0.5, 0.5], [0.5, 0.5], dx=0.0), "dx"),
        (lambda: value([0.5, 1.5], [0.5, 0.5], [0.5, 0.5]), r"\[0, 1\]"),
        (lambda: value([0.5], [0.5, 0.5], [0.5, 0.5]), "D has shape"),
    ],
)
def test_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---- continuous densities on a fine grid, against adaptive quadrature ---------------

P_DATA = stats.norm(loc=0.0, scale=1.0)
P_G = stats.norm(loc=1.0, scale=1.5)
LOW, HIGH = -15.0, 20.0                                    # tails below 1e-40 at both ends


def _on_grid(dx=1e-3):
    x = numpy.arange(LOW, HIGH + dx / 2, dx)
    return x, P_DATA.pdf(x), P_G.pdf(x)


def _quad(f):
    # Split at the modes so quad sees the mass; its error estimate is ~1e-12 here.
    return sum(integrate.quad(f, a, b, limit=200, epsabs=1e-13, epsrel=1e-12)[0]
               for a, b in [(LOW, 0.0), (0.0, 1.0), (1.0, HIGH)])


def _jsd_integrand(x):
    p, q = P_DATA.pdf(x), P_G.pdf(x)
    m = 0.5 * (p + q)
    return 0.5 * (p * math.log(p / m) + q * math.log(q / m))


def test_continuous_jsd_and_criterion_match_quadrature():
    x, p, q = _on_grid()
    dx = x[1] - x[0]
    reference = _quad(_jsd_integrand)
    assert 0.05 < reference < LOG_2
    assert jensen_shannon(p, q, dx) == pytest.approx(reference, abs=1e-9)
    c = virtual_training_criterion(p, q, dx)
    assert c == pytest.approx(-LOG_4 + 2 * reference, abs=1e-9)
    assert value(optimal_discriminator(p, q), p, q, dx) == pytest.approx(c, abs=1e-10)


def test_continuous_value_of_a_suboptimal_discriminator_matches_quadrature():
    x, p, q = _on_grid()
    dx = x[1] - x[0]
    sigmoid = lambda t: 1.0 / (1.0 + math.exp(-t))        # noqa: E731
    d = 1.0 / (1.0 + numpy.exp(-(0.5 - x)))               # D(x) = sigmoid(0.5 - x)
    reference = _quad(lambda t: P_DATA.pdf(t) * math.log(sigmoid(0.5 - t))
                      + P_G.pdf(t) * math.log(1.0 - sigmoid(0.5 - t)))
    assert value(d, p, q, dx) == pytest.approx(reference, abs=1e-9)
    assert value(d, p, q, dx) < virtual_training_criterion(p, q, dx)


def test_accepts_arrays_of_either_backend(xp):
    p, q = numpy.array([0.2, 0.3, 0.5]), numpy.array([0.5, 0.5, 0.0])
    on_device = virtual_training_criterion(xp.asarray(p), xp.asarray(q))
    assert isinstance(on_device, float)
    assert on_device == virtual_training_criterion(p, q)
    d = optimal_discriminator(xp.asarray(p), xp.asarray(q))
    assert isinstance(d, numpy.ndarray) and d.dtype == numpy.float64
