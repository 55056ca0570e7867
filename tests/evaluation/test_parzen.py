"""Parzen-window log-likelihood against a direct float64 implementation, and its protocol."""

import json
import math

import numpy
import pytest
from scipy.special import logsumexp

from npgan.backend import to_numpy
from npgan.evaluation import parzen
from npgan.files import write_json


def direct_log_likelihood(x, samples, sigmas):
    """The definition, in float64 with a broadcast difference tensor: (k, n)."""
    d2 = ((x[:, None, :] - samples[None, :, :]) ** 2).sum(axis=2)  # (n, m)
    m, d = samples.shape
    return numpy.stack(
        [logsumexp(-d2 / (2 * s * s), axis=1) - math.log(m) - d / 2 * math.log(2 * math.pi * s * s) for s in sigmas]
    )


def _data(seed=0, n=23, m=41, d=9):
    rng = numpy.random.default_rng(seed)
    return rng.random((n, d)), rng.random((m, d))


@pytest.mark.parametrize("chunk", [1, 5, 41, 100, 10**6])
def test_agrees_with_direct_float64(xp, chunk):
    x, samples = _data()
    sigmas = numpy.array([0.03, 0.1, 0.3, 1.0, 3.0])
    expected = direct_log_likelihood(x, samples, sigmas)
    got = to_numpy(parzen.log_likelihood(xp.asarray(x), xp.asarray(samples), sigmas, chunk=chunk, dtype="float64"))
    assert got.shape == (5, 23)
    numpy.testing.assert_allclose(got, expected, rtol=1e-6)


def test_float32_is_close_and_scalar_sigma_gives_one_row(xp):
    x, samples = _data(seed=1)
    expected = direct_log_likelihood(x, samples, [0.2])[0]
    got = to_numpy(parzen.log_likelihood(x, samples, 0.2, chunk=50))
    assert got.shape == (23,) and got.dtype == numpy.float64
    numpy.testing.assert_allclose(got, expected, rtol=1e-4)


def test_far_points_and_a_point_on_a_centre_stay_finite(xp):
    # the nearest centre is far (every exponent underflows without the shift), or at 0
    x, samples = _data(seed=2)
    x[0] += 100.0
    x[1] = samples[3]
    got = to_numpy(parzen.log_likelihood(x, samples, [0.01, 0.1], chunk=7, dtype="float64"))
    numpy.testing.assert_allclose(got, direct_log_likelihood(x, samples, [0.01, 0.1]), rtol=1e-6)


def test_one_centre_is_the_gaussian_log_density(xp):
    rng = numpy.random.default_rng(3)
    x, mu, sigma = rng.normal(size=(6, 4)), rng.normal(size=(1, 4)), 0.7
    expected = -((x - mu) ** 2).sum(1) / (2 * sigma**2) - 4 / 2 * math.log(2 * math.pi * sigma**2)
    got = to_numpy(parzen.log_likelihood(x, mu, sigma, dtype="float64"))
    numpy.testing.assert_allclose(got, expected, rtol=1e-10)


def test_select_sigma_picks_the_argmax(xp):
    x, samples = _data(seed=4, n=50, m=60)
    sigmas = numpy.logspace(-2, 1, 13)
    best, means = parzen.select_sigma(samples, x, sigmas, dtype="float64")
    direct = direct_log_likelihood(x, samples, sigmas).mean(axis=1)
    numpy.testing.assert_allclose(means, direct, rtol=1e-6)
    assert best == sigmas[numpy.argmax(direct)]
    assert 0 < numpy.argmax(direct) < len(sigmas) - 1  # an interior optimum, not an edge


def test_protocol_and_json(xp, tmp_path):
    x, samples = _data(seed=5, n=30, m=40)
    valid, test = x[:20], x[20:]
    result = parzen.parzen_protocol(samples, valid, test, sigmas=[0.1, 0.2, 0.4], n_valid=15, chunk=64)
    ll = direct_log_likelihood(test, samples, [result["sigma"]])[0]
    assert result["n_valid"] == 15 and result["n_test"] == 10 and result["n_samples"] == 40
    assert result["test_ll"] == pytest.approx(ll.mean(), rel=1e-4)
    assert result["test_se"] == pytest.approx(ll.std() / math.sqrt(10), rel=1e-3)
    assert result["sigma"] == result["sigmas"][int(numpy.argmax(result["valid_ll"]))]
    path = tmp_path / "parzen.json"
    write_json(result, str(path))
    assert json.loads(path.read_text()) == result
    assert [p.name for p in path.parent.iterdir()] == ["parzen.json"]  # no temporary left


def test_memory_is_bounded_by_the_chunk(monkeypatch):
    """No distance block larger than ``chunk`` entries, whatever n and m are."""
    seen = []
    real = parzen._accumulate

    def spy(xp, u, *args):
        seen.append(u.size)
        return real(xp, u, *args)

    monkeypatch.setattr(parzen, "_accumulate", spy)
    x, samples = _data(seed=6, n=30, m=40)
    got = parzen.log_likelihood(x, samples, [0.3, 1.0], chunk=12, dtype="float64")
    assert seen and max(seen) <= 12 and sum(seen) == 30 * 40
    numpy.testing.assert_allclose(got, direct_log_likelihood(x, samples, [0.3, 1.0]), rtol=1e-6)


@pytest.mark.parametrize(
    "x_shape, m_shape, sigma, chunk, message",
    [
        ((4, 3), (5, 2), 0.1, 10, r"x has 3 features per row but samples have 2; expected the same"),
        ((4,), (5, 3), 0.1, 10, r"must be 2-D \(n, d\) and \(m, d\); got shapes \(4,\)"),
        ((0, 3), (5, 3), 0.1, 10, r"empty input: x has shape \(0, 3\).*expected at least one row"),
        ((4, 3), (0, 3), 0.1, 10, r"empty input.*samples \(0, 3\)"),
        ((4, 3), (5, 3), 0.0, 10, r"sigma must be positive and finite; got \[0.0\]"),
        ((4, 3), (5, 3), [0.1, -1.0], 10, r"sigma must be positive and finite; got \[0.1, -1.0\]"),
        ((4, 3), (5, 3), [], 10, r"sigma must be a positive number or a 1-D array"),
        ((4, 3), (5, 3), 0.1, 0, r"chunk must be a positive number of entries; got 0"),
    ],
)
def test_bad_input_says_what_was_expected(x_shape, m_shape, sigma, chunk, message):
    with pytest.raises(ValueError, match=message):
        parzen.log_likelihood(numpy.zeros(x_shape), numpy.zeros(m_shape), sigma, chunk=chunk)
