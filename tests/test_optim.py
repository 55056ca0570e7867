"""Momentum SGD and its schedules."""

import numpy as np
import pytest

import npgan
from npgan.backend import Random
from npgan.layers import Linear, Sequential
from npgan.optim import ExponentialDecay, LinearRamp, MomentumSGD


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
