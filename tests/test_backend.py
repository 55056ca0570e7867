"""The backend switch, its errors, random generators, and CPU/GPU parity."""

import json

import numpy as np
import pytest
from conftest import requires_cupy

import npgan
from npgan import backend as B
from npgan import gradcheck


def test_unknown_backend():
    with pytest.raises(ValueError, match=r"unknown backend 'torch'; expected one of \('numpy', 'cupy'\)"):
        npgan.set_backend("torch")


def test_missing_cupy_says_which_and_how(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_cupy(name, *args, **kwargs):
        if name == "cupy":
            raise ImportError("No module named 'cupy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cupy)
    with pytest.raises(RuntimeError, match="CuPy is not installed.*pip install cupy-cuda12x"):
        npgan.set_backend("cupy")
    assert npgan.backend_name() == "numpy"


def test_no_gpu_says_which_and_how(monkeypatch):
    import sys
    import types

    fake = types.ModuleType("cupy")
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 0))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    with pytest.raises(RuntimeError, match="CuPy is installed, but no GPU is visible"):
        npgan.set_backend("cupy")


def test_environment_variable_selects_backend(tmp_path):
    import subprocess
    import sys

    code = "import npgan; print(npgan.backend_name())"
    out = subprocess.run([sys.executable, "-c", code], env={"NPGAN_BACKEND": "numpy", "PATH": ""},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "numpy"
    bad = subprocess.run([sys.executable, "-c", code], env={"NPGAN_BACKEND": "tpu", "PATH": ""},
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown backend 'tpu'" in bad.stderr


def test_generator_is_seeded_and_state_round_trips(xp):
    a, b = B.Random(7), B.Random(7)
    np.testing.assert_array_equal(npgan.to_numpy(a.random((5,))), npgan.to_numpy(b.random((5,))))
    state = json.loads(json.dumps(a.get_state()))
    x = npgan.to_numpy(a.normal((4,), dtype="float64"))
    b.set_state(state)
    y = npgan.to_numpy(b.normal((4,), dtype="float64"))
    if B.backend_name() == "numpy":
        np.testing.assert_array_equal(x, y)


def test_draws_have_the_right_dtype_and_range(xp):
    rng = B.Random(3)
    u = rng.uniform(-2.0, 3.0, (1000,), dtype="float32")
    assert u.dtype == np.float32 and float(u.min()) >= -2.0 and float(u.max()) < 3.0
    m = rng.bernoulli(0.8, (100, 100), dtype="float64")
    assert m.dtype == np.float64 and set(np.unique(npgan.to_numpy(m))) <= {0.0, 1.0}
    assert abs(float(m.mean()) - 0.8) < 0.02  # sd 0.004


def test_to_numpy_passes_host_arrays_through():
    a = np.arange(3)
    assert B.to_numpy(a) is a
    assert isinstance(B.to_numpy(2.5), np.ndarray)


@requires_cupy
def test_cpu_gpu_parity():
    """The same float64 forward/backward on both backends agrees to rounding."""
    from npgan import models

    results = {}
    for name in ("numpy", "cupy"):
        npgan.set_backend(name)
        rng = B.Random(0)
        d = models.discriminator(12, (6, 6), n_pieces=3, init_range=0.5, rng=rng, dtype="float64")
        gradcheck.randomize_parameters(d, B.Random(1))
        x = B.asarray(np.linspace(-1, 1, 5 * 12).reshape(5, 12))
        for layer in d:
            if hasattr(layer, "fixed_mask"):
                layer.fixed_mask = B.asarray(np.ones((5, layer_width(d, layer))))
        y = d.forward(x)
        dx = d.backward(B.asarray(np.ones((5, 1))))
        results[name] = [npgan.to_numpy(y), npgan.to_numpy(dx)] + [npgan.to_numpy(g) for g in d.grads.values()]
    npgan.set_backend("numpy")
    for a, b in zip(results["numpy"], results["cupy"]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def layer_width(network, layer):
    """Input width of the layer after ``layer`` (what a dropout mask must match)."""
    nxt = network.layers[network.layers.index(layer) + 1]
    return nxt.n_in


def test_blas_threads_limits_inside_and_restores_after():
    from threadpoolctl import threadpool_info

    from npgan.backend import blas_threads

    def blas():
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = blas()
    with blas_threads(1):
        assert blas() and all(n == 1 for n in blas())
    assert blas() == before
    with blas_threads(None):
        assert blas() == before
