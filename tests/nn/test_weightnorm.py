"""Improved GAN's layers in npgan.nn: weight normalisation (its start from the data, held
scales), Gaussian noise, softplus, and the exponential average of a network's parameters."""

import numpy as np
import pytest

from npgan.backend import Random, asarray, to_numpy
from npgan.nn import gradcheck
from npgan.nn.averaging import ExponentialAverage
from npgan.nn.checks import weight_norm_rows
from npgan.nn.layers import Linear, ReLU, Sequential
from npgan.nn.noise import GaussianNoise
from npgan.nn.softplus import Softplus
from npgan.nn.weightnorm import WeightNormLinear, init_weight_norm


def test_every_weight_norm_noise_and_softplus_check_passes():
    rows = weight_norm_rows()
    assert {what for what, *_ in rows} >= {"WeightNormLinear(7, 5)", "WeightNormLinear(7, 5), g held",
                                           "GaussianNoise(0.5)", "Softplus"}
    assert all(err < tol for _, _, err, tol in rows)


def test_weight_norm_separates_direction_and_length_and_its_v_gradient_is_orthogonal_to_v():
    rng = Random(0)
    layer = WeightNormLinear(6, 4, rng, "float64", init_std=0.1)
    gradcheck.randomize_parameters(Sequential(layer), rng)
    v, g = to_numpy(layer.params["v"]), to_numpy(layer.params["g"])
    W = to_numpy(layer.weight()[0])
    assert np.allclose(np.linalg.norm(W, axis=0), np.abs(g))
    layer.params["v"][...] *= 3.0  # the length of v does not matter
    assert np.allclose(to_numpy(layer.weight()[0]), W)
    layer.forward(rng.normal((5, 6), "float64"))
    layer.backward(rng.normal((5, 4), "float64"))
    assert np.allclose((to_numpy(layer.grads["v"]) * 3 * v).sum(axis=0), 0, atol=1e-12)


def test_a_held_scale_reports_a_zero_gradient_and_an_optimiser_leaves_it():
    from npgan.nn.optim import Adam
    rng = Random(1)
    layer = WeightNormLinear(5, 3, rng, "float64", train_scale=False)
    net = Sequential(layer)
    gradcheck.randomize_parameters(net, rng)
    before = to_numpy(layer.params["g"]).copy()
    opt = Adam(net, lr=0.1)
    for _ in range(3):
        net.forward(rng.normal((4, 5), "float64"))
        net.backward(rng.normal((4, 3), "float64"))
        opt.step()
    assert np.array_equal(to_numpy(layer.params["g"]), before)
    assert not np.array_equal(to_numpy(layer.params["b"]), 0)
    assert "g fixed" in repr(layer)


def test_the_data_dependent_start_gives_unit_outputs_layer_by_layer():
    rng = Random(2)
    net = Sequential(WeightNormLinear(30, 20, rng, "float64"), ReLU(), GaussianNoise(0.5, rng),
                     WeightNormLinear(20, 4, rng, "float64"))
    x = rng.uniform(0, 1, (300, 30), "float64")
    init_weight_norm(net, x, training=False)
    out = to_numpy(net.forward(x, training=False))
    assert np.allclose(out.mean(axis=0), 0, atol=1e-6) and np.allclose(out.std(axis=0), 1, atol=1e-4)
    first = to_numpy(net.layers[0].forward(x))
    assert np.allclose(first.mean(axis=0), 0, atol=1e-6) and np.allclose(first.std(axis=0), 1, atol=1e-4)
    # with the noise on (Improved GAN's start) the last layer is unit on the noisy pass, not the clean one
    noisy = Random(3)
    net.layers[2].rng = noisy
    init_weight_norm(net, x, training=True)
    clean = to_numpy(net.forward(x, training=False))
    assert not np.allclose(clean.std(axis=0), 1, atol=1e-2)


def test_weight_norm_refuses_bad_sizes():
    with pytest.raises(ValueError, match="init_std > 0"):
        WeightNormLinear(3, 2, Random(0), init_std=0.0)


def test_gaussian_noise_is_the_identity_in_evaluation_and_adds_noise_of_its_std_in_training():
    layer = GaussianNoise(0.3, Random(0))
    x = asarray(np.ones((4000, 25), dtype=np.float32))
    assert np.array_equal(to_numpy(layer.forward(x, training=False)), to_numpy(x))
    y = to_numpy(layer.forward(x))
    assert y.std() == pytest.approx(0.3, rel=0.02) and y.mean() == pytest.approx(1.0, abs=0.01)
    assert np.array_equal(to_numpy(layer.backward(x)), to_numpy(x))
    with pytest.raises(ValueError, match="std must be >= 0"):
        GaussianNoise(-1, Random(0))


def test_softplus_is_log_1_plus_exp_and_does_not_overflow():
    layer = Softplus()
    x = np.array([[-800.0, -2.0, 0.0, 3.0, 800.0]])
    y = to_numpy(layer.forward(asarray(x)))
    assert np.allclose(y[0, 1:4], np.log1p(np.exp(x[0, 1:4])))
    assert y[0, 0] == 0.0 and y[0, 4] == 800.0
    dx = to_numpy(layer.backward(asarray(np.ones_like(x))))
    assert np.allclose(dx, 1 / (1 + np.exp(-np.clip(x, -50, 50))))


def test_the_exponential_average_follows_the_iterates_and_corrects_its_start_at_zero():
    rng = Random(4)
    source, raw, into = (Linear(3, 2, Random(s), 0.5, "float64") for s in (0, 1, 2))
    source, raw, into = Sequential(source), Sequential(raw), Sequential(into)
    average = ExponentialAverage(source, raw, 0.1)
    assert all(not to_numpy(p).any() for p in raw.params.values())
    expected = {k: np.zeros_like(to_numpy(p)) for k, p in source.params.items()}
    for _ in range(5):
        for k, p in source.params.items():
            p[...] = rng.normal(p.shape, "float64")
            expected[k] += 0.1 * (to_numpy(p) - expected[k])
        average.update()
    for k, p in raw.params.items():
        assert np.allclose(to_numpy(p), expected[k])
    average.corrected(into)
    for k, p in into.params.items():
        assert np.allclose(to_numpy(p), expected[k] / (1 - 0.9 ** 5))
    # a parameter that never moves averages to itself once corrected
    constant = Sequential(Linear(3, 2, Random(5), 0.5, "float64"))
    held = ExponentialAverage(constant, Sequential(Linear(3, 2, Random(6), 0.5, "float64")), 1e-4)
    for _ in range(3):
        held.update()
    out = held.corrected(Sequential(Linear(3, 2, Random(7), 0.5, "float64")))
    assert np.allclose(to_numpy(out.params["0.W"]), to_numpy(constant.params["0.W"]))


def test_the_exponential_average_refuses_another_architecture_and_a_bad_rate():
    a, b = Sequential(Linear(3, 2, Random(0))), Sequential(Linear(3, 2, Random(0)), Linear(2, 2, Random(0)))
    with pytest.raises(ValueError, match="the source's parameters"):
        ExponentialAverage(a, b, 0.1)
    with pytest.raises(ValueError, match="rate must be in"):
        ExponentialAverage(a, Sequential(Linear(3, 2, Random(0))), 0.0)
    with pytest.raises(ValueError, match="no update yet"):
        ExponentialAverage(a, Sequential(Linear(3, 2, Random(0))), 0.1).corrected(a)
