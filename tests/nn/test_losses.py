"""Losses: gradient checks, saturation, and the paper's reason for the non-saturating G loss."""

import math

import numpy as np
import pytest

import npgan
from npgan.backend import Random
from npgan.nn import gradcheck, losses

TOL = gradcheck.LAYER_TOLERANCE


def test_cross_entropy_matches_the_definition(xp):
    logits = xp.asarray([[-3.0], [0.0], [2.5]])
    d = 1 / (1 + np.exp(-npgan.to_numpy(logits)))
    for t in (0.0, 0.3, 1.0):
        loss, _ = losses.sigmoid_cross_entropy(logits, t)
        expected = np.mean(-t * np.log(d) - (1 - t) * np.log(1 - d))
        assert float(loss) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("kind", losses.GENERATOR_LOSSES)
def test_generator_loss_gradients(xp, kind):
    logits = Random(0).normal((9, 1), dtype="float64") * 4
    assert gradcheck.check_loss(lambda l: losses.generator_loss(l, kind), logits) < TOL


@pytest.mark.parametrize("target", [0.0, 0.25, 1.0])
def test_cross_entropy_gradient(xp, target):
    logits = Random(1).normal((7,), dtype="float64") * 4
    assert gradcheck.check_loss(lambda l: losses.sigmoid_cross_entropy(l, target), logits) < TOL


def test_discriminator_loss_is_minus_half_the_value_function(xp):
    rng = Random(2)
    real, fake = rng.normal((6, 1), dtype="float64"), rng.normal((6, 1), dtype="float64")
    loss, dreal, dfake = losses.discriminator_loss(real, fake)
    s = lambda l: 1 / (1 + np.exp(-npgan.to_numpy(l)))  # noqa: E731
    v = np.mean(np.log(s(real))) + np.mean(np.log(1 - s(fake)))
    assert float(loss) == pytest.approx(-0.5 * v, rel=1e-12)
    assert gradcheck.check_loss(lambda l: losses.discriminator_loss(l, fake)[:2], real.copy()) < TOL
    assert gradcheck.check_loss(lambda l: losses.discriminator_loss(real, l)[::2], fake.copy()) < TOL


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_saturated_logits_stay_finite(xp, dtype):
    logits = xp.asarray([[-1e4], [-50.0], [0.0], [50.0], [1e4]], dtype=dtype)
    results = [losses.sigmoid_cross_entropy(logits, 1.0), losses.sigmoid_cross_entropy(logits, 0.0),
               losses.generator_loss(logits, "minimax"), losses.generator_loss(logits, "nonsaturating")]
    for loss, grad in results:
        assert np.isfinite(float(loss)) and bool(xp.isfinite(grad).all())
        assert grad.dtype == dtype
    # BCE against target 1 is softplus(-l): 1e4 at l = -1e4, 50 + 1.9e-22 at -50, log 2 at 0,
    # under 2e-22 at 50 and 0 at 1e4; the loss is the mean of the five.
    loss, _ = losses.sigmoid_cross_entropy(logits, 1.0)
    assert float(loss) == pytest.approx((1e4 + 50 + math.log(2) + 1.9e-22) / 5, rel=1e-6)


def test_minimax_gradient_vanishes_where_nonsaturating_does_not(xp):
    # D(G(z)) near 0: a discriminator that confidently rejects the fakes (early training).
    logits = xp.full((100, 1), -10.0)
    _, d_minimax = losses.generator_loss(logits, "minimax")
    _, d_nonsat = losses.generator_loss(logits, "nonsaturating")
    n = logits.shape[0]
    assert float(xp.abs(d_minimax).max()) * n < 1e-4  # sigmoid(-10) = 4.5e-5
    assert float(xp.abs(d_nonsat).min()) * n > 0.999  # 1 - sigmoid(-10)
    # both push the logit the same way (raise D(G(z))): negative gradients
    assert bool((d_minimax < 0).all()) and bool((d_nonsat < 0).all())


def test_bad_input(xp):
    with pytest.raises(ValueError, match="unknown kind 'wasserstein'"):
        losses.generator_loss(xp.zeros((2, 1)), "wasserstein")
    with pytest.raises(ValueError, match=r"expected logits of shape \(batch,\) or \(batch, 1\)"):
        losses.sigmoid_cross_entropy(xp.zeros((2, 3)), 1.0)
    with pytest.raises(ValueError, match=r"target must be in \[0, 1\]"):
        losses.sigmoid_cross_entropy(xp.zeros((2, 1)), 2.0)
