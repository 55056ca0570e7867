"""The fast paths of the training step give what the straightforward forms give.

Each fast form (maxout by a running max, dropout masks from raw bits, the cache-blocked
momentum update, the in-place sigmoid) is compared with the plain NumPy expression of
the same math: exactly (bit for bit) where the operations are the same, and by the
distribution where the random stream differs.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import npgan
from npgan import backend
from npgan.nn import functional, kernels
from npgan.nn.layers import Dropout, Linear, Sequential
from npgan.nn.optim import MomentumSGD


def reference_maxout(x, W, b, pieces):
    z = (x @ W + b).reshape(len(x), -1, pieces)
    which = z.argmax(axis=-1)  # first index on a tie
    return np.take_along_axis(z, which[..., None], axis=-1)[..., 0], which


def reference_maxout_dz(dy, which, pieces):
    return ((which[..., None] == np.arange(pieces)) * dy[..., None]).reshape(len(dy), -1)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 7), units=st.integers(1, 6), pieces=st.integers(1, 6),
       levels=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_maxout_matches_argmax_reference_including_ties(n, units, pieces, levels, seed):
    # z takes only a few distinct values, so most units have ties among their pieces
    rng = np.random.default_rng(seed)
    x = np.eye(n, 3, dtype=np.float32) + 0  # picks rows of W, so z is exactly W's entries
    W = rng.integers(0, levels, (3, units * pieces)).astype(np.float32)
    b = np.zeros(units * pieces, dtype=np.float32)
    y, cache = functional.maxout_forward(x, W, b, pieces)
    y_ref, which_ref = reference_maxout(x, W, b, pieces)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(cache[2], which_ref)
    dy = rng.standard_normal((n, units)).astype(np.float32)
    dz = reference_maxout_dz(dy, which_ref, pieces)
    dx, dW, db = functional.maxout_backward(dy, cache)
    np.testing.assert_array_equal(db, dz.sum(axis=0))
    np.testing.assert_allclose(dW, x.T @ dz, rtol=1e-6)
    np.testing.assert_allclose(dx, dz @ W.T, rtol=1e-6)
    # exactly one piece per unit carries the gradient, whatever the ties
    credited = (dz.reshape(n, units, pieces) != 0).sum(-1)
    assert (credited <= 1).all() and (credited[dy != 0] == 1).all()


def test_maxout_all_pieces_tied_credit_the_first():
    x = np.ones((2, 1))
    W = np.full((1, 3 * 4), 0.5)
    y, cache = functional.maxout_forward(x, W, np.zeros(12), 4)
    assert (cache[2] == 0).all()
    _, _, db = functional.maxout_backward(np.ones((2, 3)), cache)
    np.testing.assert_array_equal(db.reshape(3, 4), [[2, 0, 0, 0]] * 3)


def test_maxout_paper_shape_matches_reference():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 784), dtype=np.float32)
    W = rng.uniform(-0.005, 0.005, (784, 1200)).astype(np.float32)
    b = rng.standard_normal(1200, dtype=np.float32)
    y, cache = functional.maxout_forward(x, W, b, 5)
    y_ref, which = reference_maxout(x, W, b, 5)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(cache[2], which)
    dy = rng.standard_normal((200, 240), dtype=np.float32)
    _, _, db = functional.maxout_backward(dy, cache)
    np.testing.assert_array_equal(db, reference_maxout_dz(dy, which, 5).sum(0))


@pytest.mark.parametrize("keep", [0.5, 0.8, 0.3])
@pytest.mark.parametrize("shape", [(200, 784), (7, 13), (1, 1)])
def test_bernoulli_keep_rate_and_dtypes(xp, keep, shape):
    rng = backend.Random(5)
    masks = [rng.bernoulli(keep, shape, dtype=bool) for _ in range(min(2000, max(1, 200_000 // int(np.prod(shape)))))]
    assert all(m.dtype == bool and tuple(m.shape) == shape for m in masks)
    rate = float(np.mean([float(m.mean()) for m in masks]))
    n = len(masks) * int(np.prod(shape))
    assert abs(rate - keep) < 5 * np.sqrt(keep * (1 - keep) / n)
    m = rng.bernoulli(keep, shape, dtype="float32")
    assert m.dtype == np.float32 and set(np.unique(npgan.to_numpy(m))) <= {0.0, 1.0}


@pytest.mark.parametrize("keep", [0.5, 0.8])
def test_bernoulli_bits_are_independent(keep):
    # neighbouring elements (same word, adjacent bits) are uncorrelated
    m = backend.Random(2).bernoulli(keep, (1000, 1000), dtype=bool).astype(np.float64)
    for lag in (1, 8, 32, 64):
        a, b = m.ravel()[:-lag], m.ravel()[lag:]
        assert abs(np.corrcoef(a, b)[0, 1]) < 0.005  # sd 0.001


def test_bernoulli_stream_restores_exactly():
    a = backend.Random(9)
    state = a.get_state()
    first = a.bernoulli(0.5, (33, 17), dtype=bool), a.bernoulli(0.8, (5, 3), dtype=bool)
    a.set_state(state)
    again = a.bernoulli(0.5, (33, 17), dtype=bool), a.bernoulli(0.8, (5, 3), dtype=bool)
    for u, v in zip(first, again):
        np.testing.assert_array_equal(u, v)


def test_dropout_bool_and_float_masks_agree(xp):
    rng = backend.Random(0)
    x = rng.normal((20, 30), dtype="float32")
    mask = rng.bernoulli(0.8, (20, 30), dtype=bool)
    y_bool, s_bool = functional.dropout_forward(x, mask, 0.8)
    y_float, s_float = functional.dropout_forward(x, mask.astype("float32"), 0.8)
    np.testing.assert_array_equal(npgan.to_numpy(y_bool), npgan.to_numpy(y_float))
    assert y_bool.dtype == x.dtype and s_bool.dtype == x.dtype
    expected = npgan.to_numpy(x) * (npgan.to_numpy(mask) / np.float32(0.8)).astype(np.float32)
    np.testing.assert_array_equal(npgan.to_numpy(y_bool), expected)


def test_dropout_layer_mask_is_the_drawn_one():
    layer = Dropout(0.5, backend.Random(3))
    x = np.ones((50, 64), dtype=np.float32)
    y = layer.forward(x)
    np.testing.assert_array_equal(y, layer.mask * 2)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), layer.mask * 2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_matches_the_two_branch_form_exactly(dtype):
    x = np.concatenate([np.linspace(-120, 120, 10001), [0.0, -0.0, 1e-30, -1e-30, 1e4, -1e4]]).astype(dtype)
    e = np.exp(-np.abs(x))
    expected = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(dtype)
    y = functional.sigmoid(x)
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(y, expected)
    dy = np.linspace(-1, 1, len(x)).astype(dtype)
    np.testing.assert_array_equal(functional.sigmoid_backward(dy, y), dy * y * (1 - y))


@pytest.mark.parametrize("size", [10, kernels.BLOCK, kernels.BLOCK * 3 + 17])
def test_blocked_momentum_update_is_bit_identical(size):
    rng = np.random.default_rng(size)
    net = Sequential(Linear(1, size, backend.Random(1)))
    opt = MomentumSGD(net, lr=0.1, momentum=0.6)
    p0 = net.params["0.W"].copy()
    v = np.zeros_like(p0)
    p = p0.copy()
    for _ in range(3):
        g = rng.standard_normal(p0.shape).astype(np.float32)
        net[0].grads = {"W": g, "b": rng.standard_normal(size).astype(np.float32)}
        lr = opt.lr
        opt.step()
        v *= np.float32(0.6)
        v -= lr * g
        p += v
    np.testing.assert_array_equal(net.params["0.W"], p)
    np.testing.assert_array_equal(opt.velocity["0.W"], v)


def test_sequential_skips_gradients_nobody_reads(monkeypatch):
    from npgan.nn.mlp import discriminator

    D = discriminator(12, (4, 3), n_pieces=2, rng=backend.Random(0), dtype="float64")
    x = backend.Random(1).normal((5, 12), dtype="float64")
    dy = backend.Random(2).normal((5, 1), dtype="float64")
    for layer in D:
        if isinstance(layer, Dropout):
            layer.fixed_mask = backend.Random(3).bernoulli(layer.keep_prob, (5, layer_width(D, layer)), dtype="float64")
    D.forward(x)
    full_dx = D.backward(dy)
    full = {k: g.copy() for k, g in D.grads.items()}
    calls = []
    real = functional.linear_backward

    def spy(*a, **k):
        calls.append(a[2] if len(a) > 2 else k.get("input_grad", True))
        return real(*a, **k)

    monkeypatch.setattr(functional, "linear_backward", spy)
    D.forward(x)
    assert D.backward(dy, input_grad=False) is None
    assert full_dx is not None
    # the first maxout (behind the input dropout) computes no dx; the later layers do
    assert calls == [True, True, False]
    for k, g in D.grads.items():
        np.testing.assert_array_equal(g, full[k])


def layer_width(network, layer):
    i = network.layers.index(layer)
    nxt = network.layers[i + 1]
    return nxt.n_in
