"""Momentum SGD and its schedules."""

import numpy as np
import pytest

import npgan
from npgan.backend import Random
from npgan.nn.layers import Linear, Sequential
from npgan.nn.optim import Adam, ExponentialDecay, LinearRamp, MomentumSGD


def test_update_rule_by_hand(xp):
    net = Sequential(Linear(2, 1, Random(0), 0.5, "float64"))
    w0 = npgan.to_numpy(net[0].params["W"]).copy()
    opt = MomentumSGD(net, lr=0.1, momentum=0.5)
    g = xp.asarray([[1.0], [-2.0]])
    v = np.zeros((2, 1))
    w = w0.copy()
    for _ in range(3):
        net[0].grads["W"], net[0].grads["b"] = g, xp.zeros(1)
        opt.step()
        v = 0.5 * v - 0.1 * npgan.to_numpy(g)
        w = w + v
    np.testing.assert_allclose(npgan.to_numpy(net[0].params["W"]), w, rtol=1e-15)
    assert opt.updates == 3


def test_learning_rate_decay_and_floor():
    sched = ExponentialDecay(0.1, decay=1.000004, lr_min=1e-6)
    assert sched(0) == 0.1
    assert sched(1) == pytest.approx(0.1 / 1.000004)
    assert sched(500) == pytest.approx(0.1 / 1.000004**500)
    assert sched(10**8) == 1e-6


def test_momentum_ramp():
    ramp = LinearRamp(0.5, 0.7, start_epoch=1, saturate_epoch=250)
    assert ramp(0) == ramp(1) == 0.5
    assert ramp(250) == ramp(1000) == 0.7
    assert ramp(125.5) == pytest.approx(0.6)


def test_state_round_trip_is_exact(xp):
    rng = Random(1)
    net = Sequential(Linear(3, 2, rng, 0.5, "float32"))
    opt = MomentumSGD(net, lr=0.05, momentum=0.6, lr_schedule=ExponentialDecay(0.05, 1.01))
    for _ in range(4):
        net[0].grads = {"W": rng.normal((3, 2)), "b": rng.normal((2,))}
        opt.step()
    state = opt.state_dict()
    other = MomentumSGD(net, lr=1.0, momentum=0.0, lr_schedule=ExponentialDecay(0.05, 1.01))
    other.load_state_dict(state)
    assert other.updates == 4 and other.momentum == pytest.approx(0.6) and other.lr == opt.lr
    for k in opt.velocity:
        np.testing.assert_array_equal(npgan.to_numpy(other.velocity[k]), npgan.to_numpy(opt.velocity[k]))


def test_bad_settings():
    net = Sequential(Linear(2, 1, Random(0)))
    with pytest.raises(ValueError, match="learning rate must be > 0"):
        MomentumSGD(net, lr=0.0)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        MomentumSGD(net, momentum=1.0)
    with pytest.raises(ValueError, match="decay must be >= 1"):
        ExponentialDecay(0.1, decay=0.9)


def reference_adam(p, grads, lr, beta1, beta2, eps):
    """Algorithm 1 of Kingma and Ba (2015), written out in float64 for one array."""
    m, v, p = np.zeros_like(p), np.zeros_like(p), p.copy()
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


def test_adam_matches_the_paper_update_rule_with_bias_correction():
    rng = np.random.default_rng(0)
    net = Sequential(Linear(3, 2, Random(0), 0.5, "float64"))
    start = {k: np.array(v) for k, v in net.params.items()}
    grads = [{k: rng.standard_normal(v.shape) for k, v in start.items()} for _ in range(7)]
    opt = Adam(net, lr=0.01, beta1=0.9, beta2=0.99, eps=1e-8)
    for g in grads:
        for key, layer, name in net.parameters():
            layer.grads[name] = g[key].copy()
        opt.step()
    for key, value in net.params.items():
        expected = reference_adam(start[key], [g[key] for g in grads], 0.01, 0.9, 0.99, 1e-8)
        np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-15)
    # the first step moves every parameter by lr * sign(g) (up to eps): the bias correction at work
    net2 = Sequential(Linear(3, 2, Random(0), 0.5, "float64"))
    first = Adam(net2, lr=0.01, beta1=0.9, beta2=0.99)
    for key, layer, name in net2.parameters():
        layer.grads[name] = grads[0][key].copy()
    first.step()
    for key, value in net2.params.items():
        np.testing.assert_allclose(value - start[key], -0.01 * np.sign(grads[0][key]), rtol=1e-6)


def test_adam_state_round_trips_exactly():
    rng = Random(3)
    net = Sequential(Linear(3, 2, rng, 0.5, "float32"))
    a = Adam(net, lr=0.01)
    for _ in range(3):
        for _, layer, name in net.parameters():
            layer.grads[name] = rng.normal(layer.params[name].shape, "float32")
        a.step()
    b = Adam(net, lr=0.01)
    b.load_state_dict(a.state_dict())
    assert b.updates == 3 and b.momentum == a.momentum
    for key in a.first:
        np.testing.assert_array_equal(a.first[key], b.first[key])
        np.testing.assert_array_equal(a.second[key], b.second[key])
    with pytest.raises(ValueError, match="beta1 and beta2 must be in"):
        Adam(net, beta1=1.0)
