"""The backend switch, its errors, and the random generator (its plain and fast Bernoulli forms)."""

import json

import numpy as np
import pytest

import npgan
from npgan import backend


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
    before = npgan.backend_name(), npgan.get_backend()
    with pytest.raises(RuntimeError, match="CuPy is not installed.*pip install cupy-cuda12x"):
        npgan.set_backend("cupy")
    assert (npgan.backend_name(), npgan.get_backend()) == before  # unchanged by the failure


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
    assert bad.returncode != 0 and "NPGAN_BACKEND='tpu' is not a backend" in bad.stderr


def test_generator_is_seeded_and_state_round_trips(xp):
    a, b = backend.Random(7), backend.Random(7)
    np.testing.assert_array_equal(npgan.to_numpy(a.random((5,))), npgan.to_numpy(b.random((5,))))
    state = json.loads(json.dumps(a.get_state()))
    x = npgan.to_numpy(a.normal((4,), dtype="float64"))
    b.set_state(state)
    y = npgan.to_numpy(b.normal((4,), dtype="float64"))
    if backend.backend_name() == "numpy":
        np.testing.assert_array_equal(x, y)


def test_draws_have_the_right_dtype_and_range(xp):
    rng = backend.Random(3)
    u = rng.uniform(-2.0, 3.0, (1000,), dtype="float32")
    assert u.dtype == np.float32 and float(u.min()) >= -2.0 and float(u.max()) < 3.0
    m = rng.bernoulli(0.8, (100, 100), dtype="float64")
    assert m.dtype == np.float64 and set(np.unique(npgan.to_numpy(m))) <= {0.0, 1.0}
    assert abs(float(m.mean()) - 0.8) < 0.02  # sd 0.004


def test_to_numpy_passes_host_arrays_through():
    a = np.arange(3)
    assert backend.to_numpy(a) is a
    assert isinstance(backend.to_numpy(2.5), np.ndarray)


def test_use_module_installs_and_restores():
    stand_in = object()
    previous = backend.use_module("cupy", stand_in)
    try:
        assert backend.backend_name() == "cupy" and backend.get_backend() is stand_in
    finally:
        assert backend.use_module(*previous) == ("cupy", stand_in)
    assert (backend.backend_name(), backend.get_backend()) == previous
    with pytest.raises(ValueError, match="unknown backend 'torch'"):
        backend.use_module("torch", np)


@pytest.fixture
def numpy_backend():
    """NumPy for the block, whatever NPGAN_BACKEND chose (these tests are about NumPy's path)."""
    previous = backend.use_module("numpy", np)
    yield np
    backend.use_module(*previous)


def test_numpy_permutation_is_numpy_s_own_shuffle(numpy_backend):
    """The NumPy path keeps Generator.permutation, so runs saved before resume bit for bit."""
    expected = np.random.Generator(np.random.PCG64(5)).permutation(1000)
    np.testing.assert_array_equal(backend.Random(5).permutation(1000), expected)


# Parity between backends (host-drawn weights, layers, a short training run): test_parity.py.


# ---- bernoulli: the plain form and NumPy's raw-bits form ------------------------------------

@pytest.mark.parametrize("p", [0.8, 0.3, 1e-3, 0.999, 0.123456789])
def test_raw_bits_are_the_plain_form_on_32_bit_uniforms(numpy_backend, p):
    """For p != 1/2 the fast form is exactly ``u < p'`` on the uniforms ``u = w / 2**32`` of
    the same 32-bit words, with p' = round(p * 2**32) / 2**32 within 2**-33 of p."""
    n = 10_001
    mask = backend.Random(11).bernoulli(p, (n,), dtype=bool)
    words = np.random.Generator(np.random.PCG64(11)).bit_generator.random_raw((n + 1) // 2).view(np.uint32)[:n]
    u = words / 2.0**32  # exact in float64
    p32 = round(p * 2**32) / 2**32
    assert abs(p32 - p) <= 2.0**-33
    np.testing.assert_array_equal(mask, u < p32)


def test_raw_bits_at_one_half_are_one_bit_each(numpy_backend):
    n = 1000
    mask = backend.Random(4).bernoulli(0.5, (n,), dtype=bool)
    words = np.random.Generator(np.random.PCG64(4)).bit_generator.random_raw((n + 63) // 64)
    np.testing.assert_array_equal(mask, np.unpackbits(words.view(np.uint8), count=n).view(bool))


@pytest.mark.parametrize("p", [0.5, 0.8, 0.3])
def test_raw_bits_and_plain_form_draw_the_same_law(numpy_backend, p):
    n = 400_000
    rng = backend.Random(8)
    fast = rng.bernoulli(p, (n,), dtype=bool)
    plain = rng.random((n,), dtype="float64") < p  # the plain form's body
    sd = np.sqrt(p * (1 - p) / n)
    assert abs(fast.mean() - p) < 5 * sd and abs(plain.mean() - p) < 5 * sd
    pairs = fast[:-1] & fast[1:]  # neighbours independent: P(both) = p^2
    assert abs(pairs.mean() - p * p) < 5 * np.sqrt(p * p * (1 - p * p) / n)


def test_bernoulli_near_and_at_the_ends(xp):
    rng = backend.Random(1)
    for p in (1 - 1e-12, 1 - 2.0**-34, 1.0):  # round(p * 2**32) == 2**32: once an OverflowError
        assert npgan.to_numpy(rng.bernoulli(p, (50, 50), dtype=bool)).all()
    assert not npgan.to_numpy(rng.bernoulli(0.0, (50, 50), dtype=bool)).any()
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="p must be in"):
            rng.bernoulli(bad, (3,))


def test_cupy_state_reseeds_deterministically(xp):
    """On CuPy a restored state starts the stream of [seed, reseeds + 1]: the same checkpoint
    resumes with the same draws (and not with the uninterrupted run's)."""
    if backend.backend_name() != "cupy":
        pytest.skip("the reseed is CuPy's resume; NumPy restores exactly")
    a = backend.Random(7)
    state = json.loads(json.dumps(a.get_state()))
    assert state == {"backend": "cupy", "seed": 7, "reseeds": 0}
    b, c = backend.Random(0), backend.Random(0)
    b.set_state(state)
    c.set_state(state)
    np.testing.assert_array_equal(npgan.to_numpy(b.random((8,))), npgan.to_numpy(c.random((8,))))
    assert b.get_state()["reseeds"] == 1


def test_blas_threads_limits_inside_and_restores_after(numpy_backend):
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
