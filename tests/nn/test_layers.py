"""Layers: float64 gradient checks, algebraic properties, and bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import npgan
from npgan.backend import Random
from npgan.nn import functional, gradcheck, mlp
from npgan.nn.layers import Dropout, Linear, Maxout, ReLU, Sequential, Sigmoid

TOL = gradcheck.LAYER_TOLERANCE


def normal(rng, *shape):
    return rng.normal(shape, dtype="float64")


@pytest.mark.parametrize("n, d, m", [(1, 1, 1), (4, 7, 5), (16, 3, 9)])
def test_linear_gradients(xp, n, d, m):
    rng = Random(n * 100 + d)
    errors = gradcheck.check_layer(Linear(d, m, rng, 0.5, "float64"), normal(rng, n, d))
    assert set(errors) == {"dx", "W", "b"}
    assert max(errors.values()) < TOL, errors


def test_relu_gradient_off_the_kink(xp):
    rng = Random(1)
    x = normal(rng, 5, 8)
    x[xp.abs(x) < 1e-3] = 0.5  # keep every input away from the kink at 0
    assert gradcheck.check_layer(ReLU(), x)["dx"] < TOL


def test_sigmoid_gradient(xp):
    rng = Random(2)
    assert gradcheck.check_layer(Sigmoid(), 4 * normal(rng, 5, 8))["dx"] < TOL


@pytest.mark.parametrize("units, pieces", [(1, 1), (3, 2), (4, 5)])
def test_maxout_gradients_on_shuffled_arange(xp, units, pieces):
    # Distinct, well-separated pre-activations: x is a shuffled arange and W = I-like
    # identity blocks, so no two pieces of a unit are within h of each other.
    rng = Random(3)
    n, d = 4, units * pieces
    layer = Maxout(d, units, pieces, rng, 0.5, "float64")
    layer.params["W"][...] = xp.eye(d) + 0.01 * normal(rng, d, d)
    x = xp.asarray(np.random.default_rng(0).permutation(n * d).reshape(n, d), dtype="float64") / 10
    errors = gradcheck.check_layer(layer, x)
    assert max(errors.values()) < TOL, errors


def test_dropout_gradient_with_fixed_mask(xp):
    rng = Random(4)
    assert gradcheck.check_layer(Dropout(0.7, rng), normal(rng, 6, 5))["dx"] < TOL


def test_paper_shaped_networks_pass_elementwise_and_directional_checks(xp):
    rng = Random(5)
    d = mlp.discriminator(12, (6, 6), n_pieces=3, init_range=0.5, rng=rng, dtype="float64")
    g = mlp.generator(5, (8, 8), 12, init_range=0.5, rng=rng, dtype="float64")
    gradcheck.randomize_parameters(d, rng)
    gradcheck.randomize_parameters(g, rng)
    for net, x in [(d, normal(rng, 6, 12)), (g, normal(rng, 6, 5))]:
        errors = gradcheck.check_layer(net, x)
        assert set(errors) == {"dx", *net.params}
        assert max(errors.values()) < gradcheck.NETWORK_TOLERANCE, errors
        assert gradcheck.directional_check(net, x) < gradcheck.NETWORK_TOLERANCE


def test_gradcheck_catches_a_wrong_backward(xp, monkeypatch):
    # A wrong factor in dW (half of x^T dy, as a dropped 2 in a derivation gives); dx stays right.
    original = functional.linear_backward

    def broken(dy, cache, input_grad=True, param_grads=True):
        dx, dW, db = original(dy, cache, input_grad, param_grads)
        return dx, dW * 0.5, db

    monkeypatch.setattr(functional, "linear_backward", broken)
    rng = Random(6)
    errors = gradcheck.check_layer(Linear(4, 3, rng, 0.5, "float64"), normal(rng, 5, 4))
    assert errors["W"] > 0.1 and errors["dx"] < TOL


def test_gradcheck_refuses_to_probe_across_a_maxout_tie(xp):
    # All inputs dropped and zero biases: every piece is 0, a kink; the check must say so.
    layer = Sequential(Dropout(0.5, Random(0)), Maxout(3, 2, 2, Random(0), 0.5, "float64"))
    layer[0].fixed_mask = xp.zeros((2, 3))
    with pytest.raises(RuntimeError, match="kink"):
        gradcheck.check_layer(layer, xp.ones((2, 3)))


def test_backward_overwrites_grads(xp):
    rng = Random(7)
    layer = Linear(3, 2, rng, 0.5, "float64")
    x = normal(rng, 4, 3)
    layer.forward(x)
    layer.backward(xp.ones((4, 2)))
    first = layer.grads["W"].copy()
    layer.forward(x)
    layer.backward(xp.ones((4, 2)))
    assert xp.array_equal(layer.grads["W"], first)  # not 2 * first


def test_generator_step_skips_weight_gradients(xp):
    rng = Random(8)
    d = mlp.discriminator(6, (4,), n_pieces=2, keep_input=1.0, keep_hidden=1.0, rng=rng, dtype="float64")
    x = normal(rng, 3, 6)
    d.forward(x)
    d.backward(xp.ones((3, 1)))
    before = {k: g.copy() for k, g in d.grads.items()}
    d.forward(x)
    full_dx = d.backward(xp.ones((3, 1)) * 2)
    d.forward(x)
    dx = d.backward(xp.ones((3, 1)) * 2, param_grads=False)
    assert xp.allclose(dx, full_dx)
    # grads are those of the dy=2 pass, untouched by the param_grads=False pass
    assert all(xp.allclose(d.grads[k], 2 * before[k]) for k in before)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layers_keep_the_callers_dtype(xp, dtype):
    rng = Random(9)
    net = Sequential(Dropout(0.8, rng), Maxout(6, 3, 2, rng, 0.1, dtype), ReLU(),
                     Linear(3, 2, rng, 0.1, dtype), Sigmoid())
    x = rng.normal((4, 6), dtype=dtype)
    y = net.forward(x)
    dx = net.backward(xp.ones_like(y))
    assert y.dtype == dtype and dx.dtype == dtype
    assert all(g.dtype == dtype for g in net.grads.values())


# ---- properties (hypothesis) -------------------------------------------------

sizes = st.integers(1, 64)


@settings(max_examples=25, deadline=None)
@given(n=sizes, d=sizes, m=sizes, seed=st.integers(0, 2**16))
def test_maxout_with_one_piece_is_linear(n, d, m, seed):
    rng = Random(seed)
    maxout = Maxout(d, m, 1, rng, 0.5, "float64")
    linear = Linear(d, m, rng, 0.5, "float64")
    linear.params["W"][...] = maxout.params["W"]
    linear.params["b"][...] = rng.normal((m,), dtype="float64")
    maxout.params["b"][...] = linear.params["b"]
    x, dy = rng.normal((n, d), dtype="float64"), rng.normal((n, m), dtype="float64")
    np.testing.assert_array_equal(npgan.to_numpy(maxout.forward(x)), npgan.to_numpy(linear.forward(x)))
    np.testing.assert_array_equal(npgan.to_numpy(maxout.backward(dy)), npgan.to_numpy(linear.backward(dy)))
    for k in ("W", "b"):
        np.testing.assert_array_equal(npgan.to_numpy(maxout.grads[k]), npgan.to_numpy(linear.grads[k]))


@settings(max_examples=25, deadline=None)
@given(n=sizes, d=sizes, keep=st.floats(0.05, 1.0), seed=st.integers(0, 2**16))
def test_dropout_identity_in_eval_mode_and_at_keep_one(n, d, keep, seed):
    rng = Random(seed)
    x = rng.normal((n, d), dtype="float32")
    assert Dropout(keep, rng).forward(x, training=False) is x
    y = Dropout(1.0, rng).forward(x, training=True)
    np.testing.assert_array_equal(npgan.to_numpy(y), npgan.to_numpy(x))


@settings(max_examples=10, deadline=None)
@given(keep=st.floats(0.1, 0.95), seed=st.integers(0, 2**16))
def test_dropout_keeps_the_mean(keep, seed):
    # Each output is x * B / keep with B ~ Bernoulli(keep): mean 1 (x = 1), variance
    # (1 - keep) / keep <= 9. With n = 400,000 the standard error of the mean is at most
    # sqrt(9 / n) = 0.0047, so a 0.03 tolerance is over 6 standard errors (p < 1e-9).
    x = np.ones((400, 1000), dtype="float32")
    y = npgan.to_numpy(Dropout(keep, Random(seed)).forward(npgan.backend.asarray(x)))
    assert abs(y.mean() - 1.0) < 0.03
    assert abs((y != 0).mean() - keep) < 0.01  # share kept: sd <= 0.0008


@settings(max_examples=25, deadline=None)
@given(n=sizes, units=st.integers(1, 16), pieces=st.integers(3, 6), seed=st.integers(0, 2**16))
def test_maxout_tie_sends_the_whole_gradient_to_the_first_piece(n, units, pieces, seed):
    rng = Random(seed)
    layer = Maxout(1, units, pieces, rng, 0.5, "float64")
    layer.params["W"][...] = 0.0  # every piece equals b: an exact tie among the top pieces
    layer.params["b"][...] = 0.0
    layer.params["b"][1::pieces] = 1.0  # pieces 1 and P - 1 (P >= 3: two pieces) tie at the top...
    layer.params["b"][pieces - 1::pieces] = 1.0
    x = rng.normal((n, 1), dtype="float64")
    layer.forward(x)
    dy = rng.normal((n, units), dtype="float64")
    layer.backward(dy)
    db = npgan.to_numpy(layer.grads["b"]).reshape(units, pieces)
    expected = np.zeros((units, pieces))
    expected[:, 1] = npgan.to_numpy(dy).sum(0)  # ...and the first of them, piece 1, wins
    np.testing.assert_allclose(db, expected, rtol=1e-12, atol=1e-12)


# ---- bad input -----------------------------------------------------------------

@pytest.mark.parametrize("layer", [Linear(4, 3, Random(0)), Maxout(4, 3, 2, Random(0))], ids=repr)
def test_wrong_width_names_layer_and_expected_shape(xp, layer):
    with pytest.raises(ValueError, match=r"(Linear|Maxout)\(4.*\(batch, 4\).*\(2, 5\)"):
        layer.forward(xp.zeros((2, 5), dtype="float32"))


@pytest.mark.parametrize("layer", [Linear(4, 3, Random(0)), ReLU(), Sigmoid(), Dropout(0.5, Random(0)),
                                   Maxout(4, 3, 2, Random(0))], ids=repr)
def test_wrong_ndim_is_refused(xp, layer):
    with pytest.raises(ValueError, match="2-D input"):
        layer.forward(xp.zeros(4, dtype="float32"))


@pytest.mark.parametrize("keep", [0.0, -0.1, 1.5, float("nan")])
def test_keep_prob_outside_unit_interval(keep):
    with pytest.raises(ValueError, match=r"Dropout: keep_prob must be in \(0, 1\]"):
        Dropout(keep, Random(0))


def test_maxout_needs_a_piece():
    with pytest.raises(ValueError, match="n_pieces must be >= 1"):
        Maxout(4, 3, 0, Random(0))


@pytest.mark.parametrize("layer", [Linear(4, 3, Random(0)), ReLU(), Sigmoid(), Dropout(0.5, Random(0)),
                                   Maxout(4, 3, 2, Random(0)), Sequential(Linear(4, 3, Random(0)), ReLU())], ids=repr)
def test_backward_before_forward_is_a_clear_error(xp, layer):
    with pytest.raises(RuntimeError, match="backward\\(\\) called before forward"):
        layer.backward(xp.zeros((2, 3), dtype="float32"))


def test_wrong_upstream_gradient_shape(xp):
    layer = Linear(4, 3, Random(0))
    layer.forward(xp.zeros((2, 4), dtype="float32"))
    with pytest.raises(ValueError, match=r"expected dy of shape \(2, 3\)"):
        layer.backward(xp.zeros((2, 4), dtype="float32"))


def test_fixed_mask_of_wrong_shape(xp):
    layer = Dropout(0.5, Random(0))
    layer.fixed_mask = xp.ones((3, 2))
    with pytest.raises(ValueError, match=r"fixed_mask of shape \(2, 3\)"):
        layer.forward(xp.ones((2, 3)))


def test_backward_in_evaluation_mode_is_the_gradient_of_the_evaluation_function(xp):
    """After forward(training=False), backward differentiates the evaluation-mode network
    (dropout as the identity): the gradient through a frozen D or G in evaluation mode."""
    rng = Random(4)
    net = Sequential(Dropout(0.8, rng), Maxout(5, 3, 2, rng, 0.5, "float64"), Dropout(0.5, rng),
                     Linear(3, 2, rng, 0.5, "float64"))
    gradcheck.randomize_parameters(net, rng)
    x, dy = normal(rng, 4, 5), normal(rng, 4, 2)
    net.forward(x, training=False)
    dx = net.backward(dy)

    def s():
        return xp.sum(net.forward(x, training=False) * dy)

    assert gradcheck.rel_error(dx, gradcheck.numerical_gradient(s, x)) < TOL


def test_input_dtypes_cast_or_refused(xp):
    layer = Linear(3, 2, Random(0), dtype="float32")
    assert layer.forward(xp.ones((2, 3), dtype="float64")).dtype == xp.float32  # cast: harmless
    assert layer.forward(xp.ones((2, 3), dtype="int64")).dtype == xp.float32
    with pytest.raises(TypeError, match="real-valued"):
        layer.forward(xp.ones((2, 3), dtype="complex64"))
