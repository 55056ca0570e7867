"""The same computation on NumPy and on the device backend agrees.

Everything random is drawn on the host and copied (``HostDraws``): weights, inputs,
noise, dropout masks, so both backends compute on the same numbers and only rounding
may differ. Layer outputs and gradients are compared within float64 and float32
tolerances, and a few training steps of a small MNIST-shaped GAN, in both update
orders, end with the same parameters.

The device is CuPy on a GPU (skipped without one) and the CuPy-surface stand-in of
``tests/cupy_surface.py``; with the stand-in the arithmetic is NumPy's, so what it checks
is that npgan's non-NumPy code paths (the plain momentum update, Parzen's unsliced
accumulation, ...) compute what the NumPy fast paths compute, and that these tests
themselves hold.
"""

import contextlib

import numpy as np
import pytest
from conftest import requires_cupy

import npgan
from npgan import backend
from npgan.nn.layers import Dropout, Linear, Maxout, ReLU, Sequential, Sigmoid

TOLERANCES = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-6)}


@contextlib.contextmanager
def on(device):
    """Run the block on ``"numpy"``, ``"cupy"`` (a GPU) or ``"surface"`` (the stand-in)."""
    if device == "surface":
        surface = pytest.importorskip("cupy_surface", reason="the stand-in needs CuPy installed")
        with surface.installed():
            yield
        return
    previous = backend.use_module("numpy", np)
    try:
        if device == "cupy":
            npgan.set_backend("cupy")
        yield
    finally:
        backend.use_module(*previous)


@pytest.fixture(params=[pytest.param("cupy", marks=requires_cupy), "surface"])
def device(request):
    return request.param


class HostDraws:
    """``Random``'s draws made on the host by NumPy, then copied to the active backend:
    the same numbers on every backend, from the same seed."""

    def __init__(self, seed):
        with on("numpy"):
            self._host = backend.Random(seed)

    def __getattr__(self, name):
        draw = getattr(self._host, name)
        return lambda *args, **kwargs: backend.asarray(draw(*args, **kwargs))


def host(arrays):
    return [None if a is None else backend.to_numpy(a) for a in arrays]


def run_layer(make, x, dy):
    """``[y, dx, grads...]`` on the host, of ``make()`` on the active backend."""
    layer = make()
    y = layer.forward(backend.asarray(x), training=True)
    dx = layer.backward(backend.asarray(dy))
    return host([y, dx, *(layer.grads[k] for k in sorted(layer.grads))])


def maxout_input(rng, n, n_in, units, pieces, dtype, gap=1e-2):
    """An input whose pre-activations have no near-tie between the two largest pieces of any
    unit, so rounding cannot change a winner (the layer's weights come from ``HostDraws(1)``)."""
    with on("numpy"):
        W = Maxout(n_in=n_in, n_units=units, n_pieces=pieces, rng=HostDraws(1), init_range=1.0, dtype=dtype).params["W"]
    for _ in range(100):
        x = rng.standard_normal((n, n_in)).astype(dtype)
        z = np.sort((x.astype(np.float64) @ W).reshape(n, units, pieces), axis=-1)
        if (z[..., -1] - z[..., -2]).min() > gap:
            return x
    raise AssertionError("no input without near-ties found")


LAYERS = {
    "Linear": lambda dtype: Linear(n_in=7, n_out=5, rng=HostDraws(1), init_range=1.0, dtype=dtype),
    "Maxout": lambda dtype: Maxout(n_in=7, n_units=3, n_pieces=4, rng=HostDraws(1), init_range=1.0, dtype=dtype),
    "ReLU": lambda dtype: ReLU(),
    "Sigmoid": lambda dtype: Sigmoid(),
    "Dropout": lambda dtype: Dropout(0.8, HostDraws(2)),
    "Sequential": lambda dtype: Sequential(
        Dropout(0.8, HostDraws(2)),
        Maxout(n_in=7, n_units=6, n_pieces=2, rng=HostDraws(3), init_range=1.0, dtype=dtype),
        Dropout(0.5, HostDraws(4)),
        Linear(n_in=6, n_out=1, rng=HostDraws(5), init_range=1.0, dtype=dtype)),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_outputs_and_gradients_agree(device, name, dtype):
    rng = np.random.default_rng(0)
    n = 9
    if name == "Maxout":
        x = maxout_input(rng, n, 7, 3, 4, dtype)
    else:
        x = rng.standard_normal((n, 7)).astype(dtype)
        x += np.where(x >= 0, 0.1, -0.1).astype(dtype)  # off ReLU's kink at 0
    make = lambda: LAYERS[name](dtype)  # noqa: E731
    with on("numpy"):
        y = make().forward(x, training=False)
    dy = rng.standard_normal(y.shape).astype(dtype)
    with on("numpy"):
        expected = run_layer(make, x, dy)
    with on(device):
        got = run_layer(make, x, dy)
    assert len(got) == len(expected)
    for a, b in zip(expected, got):
        if a is None:
            assert b is None
            continue
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(b, a, **TOLERANCES[dtype])


def short_run(config, steps=4):
    """``steps`` iterations of ``config``'s update from a host-drawn start on host-drawn data,
    noise and masks; G's and D's parameters and the last statistics, on the host."""
    from npgan.models.gan.training import build_gan, build_optimizers

    draws = HostDraws(0)
    gan = build_gan(config, draws)  # weights, then noise and masks, all from the host stream
    d_opt, g_opt = build_optimizers(config, gan)
    real = np.random.default_rng(1).random((steps, config.batch_size, 784), dtype=np.float32).astype(config.dtype)
    for t in range(steps):
        batch = backend.asarray(real[t])
        if config.update == "simultaneous":
            out = gan.simultaneous_step(batch, d_opt, g_opt)
        else:
            out = gan.d_step(batch, d_opt)
            out.update(gan.g_step(config.batch_size, g_opt))
    params = {f"{net}/{k}": backend.to_numpy(v) for net in ("G", "D") for k, v in getattr(gan, net).params.items()}
    return params, {k: float(v) for k, v in out.items()}


@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_a_short_training_run_agrees(device, update):
    """In float64: in float32 a maxout winner may flip on rounding within a few steps, and
    one flipped winner moves a gradient entry by as much as the entry itself."""
    from npgan.presets import get_preset

    config = get_preset("mnist-paper").replace(g_hidden=(32,), d_hidden=(16, 16), batch_size=20,
                                               update=update, dtype="float64", g_output_bias="zero")
    with on("numpy"):
        expected, expected_stats = short_run(config)
    with on(device):
        got, stats = short_run(config)
    assert got.keys() == expected.keys()
    for key in expected:
        assert got[key].dtype == expected[key].dtype
        np.testing.assert_allclose(got[key], expected[key], err_msg=key, **TOLERANCES["float64"])
    for key in expected_stats:
        np.testing.assert_allclose(stats[key], expected_stats[key], err_msg=key, **TOLERANCES["float64"])


def test_parzen_agrees(device):
    from npgan.evaluation.parzen import parzen_protocol

    rng = np.random.default_rng(0)
    samples, valid, test = (rng.random((n, 30), dtype=np.float32) for n in (500, 60, 80))
    with on("numpy"):
        expected = parzen_protocol(samples, valid, test)
    with on(device):
        got = parzen_protocol(backend.asarray(samples), backend.asarray(valid), backend.asarray(test))
    assert got["sigma"] == expected["sigma"]
    np.testing.assert_allclose(got["valid_ll"], expected["valid_ll"], rtol=1e-5)
    np.testing.assert_allclose(got["test_ll"], expected["test_ll"], rtol=1e-5)
