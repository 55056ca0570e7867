"""Toy distributions and the PacGAN mode-collapse metrics."""

import math

import numpy
import pytest

from npgan.backend import Random, to_numpy
from npgan.datasets.toy import TOY_DATASETS, Gaussian1D, Grid, Ring, make_toy
from npgan.evaluation.modes import mode_metrics


def _hq_probability(dim):
    """P(|z| <= 3) for a standard Gaussian in ``dim`` dimensions (1 or 2)."""
    if dim == 1:
        return math.erf(3.0 / math.sqrt(2.0))                     # 0.99730
    return 1.0 - math.exp(-9.0 / 2.0)                             # chi^2_2 tail: 0.98889


# ---- the distributions -------------------------------------------------------------

def test_ring_centres_are_distinct_points_on_the_unit_circle():
    c = Ring().centres
    assert c.shape == (8, 2)
    numpy.testing.assert_allclose(numpy.hypot(c[:, 0], c[:, 1]), 1.0, atol=1e-15)
    gaps = numpy.linalg.norm(c[:, None] - c[None], axis=2) + numpy.eye(8) * 10
    assert gaps.min() == pytest.approx(2 * math.sin(math.pi / 8))   # neighbours, no repeat
    numpy.testing.assert_allclose(c[0], [1.0, 0.0])
    numpy.testing.assert_allclose(c[2], [0.0, 1.0], atol=1e-15)


def test_grid_centres_are_the_5x5_lattice():
    c = Grid().centres
    assert c.shape == (25, 2)
    expected = {(a, b) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)}
    assert {tuple(p) for p in c.tolist()} == expected


def test_lookup_and_names():
    for name in TOY_DATASETS:
        assert make_toy(name).name == name
    assert make_toy("ring-8", std=0.02).std == 0.02
    with pytest.raises(ValueError, match="ring-8"):
        make_toy("ring-7")


@pytest.mark.parametrize("name", sorted(TOY_DATASETS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sample_shape_dtype_backend(xp, name, dtype):
    toy = make_toy(name)
    s = toy.sample(300, Random(1), dtype=dtype)
    assert isinstance(s, xp.ndarray)
    assert s.shape == (300, toy.dim) and s.dtype == xp.dtype(dtype)


def test_samples_are_reproducible_from_the_seed(xp):
    a = to_numpy(Grid().sample(50, Random(7)))
    b = to_numpy(Grid().sample(50, Random(7)))
    numpy.testing.assert_array_equal(a, b)


def test_gaussian_1d_moments_and_density():
    toy = Gaussian1D()
    s = to_numpy(toy.sample(20000, Random(3), dtype="float64"))[:, 0]
    # Mean within 5 standard errors; the sample std within 5 of its own standard error.
    assert abs(s.mean() - 4.0) < 5 * 0.5 / math.sqrt(s.size)
    assert abs(s.std() - 0.5) < 5 * 0.5 / math.sqrt(2 * s.size)
    x = numpy.linspace(-2, 10, 12001)
    assert toy.density(x).sum() * (x[1] - x[0]) == pytest.approx(1.0, abs=1e-9)
    assert toy.density(4.0) == pytest.approx(1 / (0.5 * math.sqrt(2 * math.pi)))


@pytest.mark.parametrize("name", sorted(TOY_DATASETS))
def test_true_samples_score_full_coverage(xp, name):
    toy = make_toy(name)
    n = 2500
    m = mode_metrics(toy.sample(n, Random(0)), toy.centres, toy.std)
    assert m["modes_covered"] == m["n_modes"] == len(toy.centres)
    # Modes are far apart (>= 76 std), so the share is P(|z| <= 3) up to negligible
    # misassignment; 6 binomial standard errors make a flake essentially impossible.
    p = _hq_probability(toy.dim)
    assert abs(m["high_quality"] - p) < 6 * math.sqrt(p * (1 - p) / n)
    # A multinomial with n/K ~ 100 per bin: reverse KL ~ (K-1)/(2 n_good), tiny.
    assert 0.0 <= m["reverse_kl"] < 5 * len(toy.centres) / n


def test_invalid_constructor_arguments():
    with pytest.raises(ValueError, match="std"):
        Ring(std=0)
    with pytest.raises(ValueError, match="n_modes"):
        Ring(n_modes=0)
    with pytest.raises(ValueError, match="side"):
        Grid(side=2.5)


# ---- the metrics on constructed samples -------------------------------------------

def test_all_samples_at_one_centre(xp):
    c = Grid().centres
    s = xp.asarray(numpy.repeat(c[7:8], 100, axis=0))
    m = mode_metrics(s, c, 0.05)
    assert m["modes_covered"] == 1 and m["high_quality"] == 1.0
    assert m["reverse_kl"] == pytest.approx(math.log(25), abs=1e-12)
    assert m["counts"][7] == 100 and m["counts"].sum() == 100


def test_half_of_the_modes_equally(xp):
    c = Ring().centres
    s = xp.asarray(numpy.repeat(c[::2], 30, axis=0) + 0.005)       # 4 of 8 modes, inside 3 std
    m = mode_metrics(s, c, 0.01)
    assert m["modes_covered"] == 4 and m["high_quality"] == 1.0
    assert m["reverse_kl"] == pytest.approx(math.log(2), abs=1e-12)
    numpy.testing.assert_array_equal(m["counts"], [30, 0] * 4)


def test_every_mode_equally(xp):
    c = Grid().centres
    m = mode_metrics(xp.asarray(numpy.tile(c, (4, 1))), c, 0.05)
    assert m["modes_covered"] == 25 and m["reverse_kl"] == pytest.approx(0.0, abs=1e-12)


def test_samples_far_from_every_centre(xp):
    c = Ring().centres
    s = xp.zeros((50, 2))                                           # the ring's centre
    m = mode_metrics(s, c, 0.01)
    assert m["modes_covered"] == 0 and m["high_quality"] == 0.0
    assert math.isnan(m["reverse_kl"]) and m["counts"].sum() == 0


def test_three_sigma_boundary_and_low_quality_samples_not_counted(xp):
    c = numpy.array([[0.0, 0.0], [10.0, 0.0]])
    s = xp.asarray([[2.9, 0.0], [3.0, 0.0], [0.0, 3.1], [6.0, 0.0]])   # std 1
    m = mode_metrics(s, c, 1.0)
    numpy.testing.assert_array_equal(m["counts"], [2, 0])          # 3.0 is inside
    assert m["high_quality"] == 0.5 and m["modes_covered"] == 1
    assert m["reverse_kl"] == pytest.approx(math.log(2))


@pytest.mark.parametrize(
    "samples, centres, std, match",
    [
        (numpy.zeros(5), numpy.zeros((2, 1)), 1.0, "samples must be 2-D"),
        (numpy.zeros((5, 2)), numpy.zeros(2), 1.0, "centres must be 2-D"),
        (numpy.zeros((5, 3)), numpy.zeros((2, 2)), 1.0, "dim 3 .* dim 2"),
        (numpy.zeros((0, 2)), numpy.zeros((2, 2)), 1.0, "at least one sample"),
        (numpy.zeros((5, 2)), numpy.zeros((2, 2)), 0.0, "std must be"),
        (numpy.zeros((5, 2)), numpy.zeros((2, 2)), float("nan"), "std must be"),
    ],
)
def test_bad_metric_inputs(samples, centres, std, match):
    with pytest.raises(ValueError, match=match):
        mode_metrics(samples, centres, std)
