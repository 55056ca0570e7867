"""Which array module npgan computes with (NumPy or CuPy), and random numbers on it.

Every array operation in npgan goes through ``xp()``, the module of the active
backend, so that the same lines run on the CPU (NumPy) and on a GPU (CuPy). Host-only
work (reading files, plotting, JSON) converts explicitly with ``to_numpy``.

The backend is chosen once per process: ``set_backend("numpy" | "cupy")``, or the
``NPGAN_BACKEND`` environment variable, read at import time. Switching backends while
arrays of the old one are alive is allowed but mixing them in one computation is not.
"""

import json
import os

import numpy

BACKENDS = ("numpy", "cupy")

_state = {"name": "numpy", "module": numpy}


def _import_cupy():
    """Import CuPy and make sure a GPU is visible; say which of the two is missing."""
    try:
        import cupy
    except ImportError as exc:
        raise RuntimeError(
            "backend 'cupy' requested but CuPy is not installed "
            f"({exc}). Install the wheel that matches your CUDA version, e.g. "
            "`pip install cupy-cuda12x` for CUDA 12 or `pip install cupy-cuda13x` for "
            "CUDA 13 (or `pip install -e .[gpu]`), or use NPGAN_BACKEND=numpy."
        ) from None
    try:
        n_devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken: CuPy raises its own types
        raise RuntimeError(
            f"backend 'cupy' requested and CuPy is installed, but no GPU is visible ({exc}). "
            "Check `nvidia-smi` and CUDA_VISIBLE_DEVICES, or use NPGAN_BACKEND=numpy."
        ) from None
    if n_devices < 1:
        raise RuntimeError(
            "backend 'cupy' requested and CuPy is installed, but no GPU is visible "
            "(0 CUDA devices). Check `nvidia-smi` and CUDA_VISIBLE_DEVICES, "
            "or use NPGAN_BACKEND=numpy."
        )
    return cupy


def set_backend(name):
    """Select the array backend: ``"numpy"`` or ``"cupy"``. Returns the module."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of {BACKENDS}")
    module = numpy if name == "numpy" else _import_cupy()
    _state["name"], _state["module"] = name, module
    return module


def get_backend():
    """The array module in use (``numpy`` or ``cupy``)."""
    return _state["module"]


xp = get_backend


def backend_name():
    """``"numpy"`` or ``"cupy"``."""
    return _state["name"]


def cupy_available():
    """True when CuPy imports and sees at least one GPU (never raises)."""
    try:
        _import_cupy()
    except RuntimeError:
        return False
    return True


def to_numpy(a):
    """A host NumPy array from an array of either backend (or a Python scalar)."""
    if isinstance(a, numpy.ndarray):
        return a
    get = getattr(a, "get", None)  # cupy.ndarray.get() copies device -> host
    if callable(get) and type(a).__module__.startswith("cupy"):
        return get()
    return numpy.asarray(a)


class blas_threads:
    """Context manager: NumPy's BLAS uses at most ``n`` threads inside (``None``: unchanged).

    Small networks (the toy presets: 32-128 units) multiply matrices so small that
    handing each product to several BLAS threads costs more than it saves: toy-1d trains
    about 3x faster on one thread of a busy 2-core machine. Uses threadpoolctl; a no-op on
    CuPy, or when ``n`` is ``None``.
    """

    def __init__(self, n):
        self.n, self._limits = n, None

    def __enter__(self):
        if self.n is not None and backend_name() == "numpy":
            from threadpoolctl import threadpool_limits

            self._limits = threadpool_limits(limits=self.n, user_api="blas")
        return self

    def __exit__(self, *exc):
        if self._limits is not None:
            self._limits.restore_original_limits()
            self._limits = None
        return False


def asarray(a, dtype=None):
    """An array of the active backend from host data (a no-op when it already is one)."""
    return get_backend().asarray(a, dtype=dtype)


class Random:
    """A seeded random generator on the active backend.

    Wraps ``numpy.random.Generator`` (PCG64) or ``cupy.random.Generator``, with the few
    draws npgan needs, each in the caller's dtype. On NumPy its state saves to JSON and
    restores exactly (``get_state``/``set_state``); on CuPy the state cannot be read back,
    so ``get_state`` records the seed and the number of reseeds and ``set_state`` reseeds
    from them, which resumes a run statistically but not bit for bit.
    """

    def __init__(self, seed=None):
        self.backend = backend_name()
        self.seed = int(numpy.random.SeedSequence(seed).entropy) if seed is None else seed
        self._reseeds = 0
        self._rng = self._make(self.seed)

    def _make(self, seed):
        if self.backend == "numpy":
            return numpy.random.Generator(numpy.random.PCG64(seed))
        import cupy

        return cupy.random.default_rng(seed)

    @property
    def xp(self):
        return numpy if self.backend == "numpy" else _import_cupy()

    def random(self, shape, dtype="float32"):
        """Uniform on [0, 1)."""
        return self._rng.random(shape, dtype=dtype)

    def uniform(self, low, high, shape, dtype="float32"):
        """Uniform on [low, high)."""
        u = self._rng.random(shape, dtype=dtype)
        u *= high - low
        u += low
        return u

    def normal(self, shape, dtype="float32", mean=0.0, std=1.0):
        """Gaussian with the given mean and standard deviation."""
        z = self._rng.standard_normal(shape, dtype=dtype)
        if std != 1.0:
            z *= std
        if mean != 0.0:
            z += mean
        return z

    def bernoulli(self, p, shape, dtype="float32"):
        """An array of 0s and 1s, each 1 with probability ``p`` (``dtype=bool``: a mask).

        On NumPy, from raw 64-bit outputs of the bit generator, drawn in bulk:
        ``p = 1/2`` takes one random bit per element (a fair coin is one bit); any other
        ``p`` compares a 32-bit word per element against ``round(p * 2**32)``, which is
        as exact as a float64 uniform (``P(1) = round(p * 2**32) / 2**32``) and cheaper.
        """
        xp = self.xp
        if p >= 1.0:
            return xp.ones(shape, dtype=dtype)
        if self.backend != "numpy":
            return (self._rng.random(shape, dtype="float64") < p).astype(dtype)
        n = int(numpy.prod(shape))
        if p == 0.5:
            words = self._rng.bit_generator.random_raw((n + 63) // 64)  # 64 coins a word
            mask = numpy.unpackbits(words.view(numpy.uint8), count=n).view(bool)
        else:
            threshold = numpy.uint32(round(p * 2.0**32))
            words = self._rng.bit_generator.random_raw((n + 1) // 2).view(numpy.uint32)
            mask = words[:n] < threshold
        mask = mask.reshape(shape)
        return mask if numpy.dtype(dtype) == bool else mask.astype(dtype)

    def integers(self, low, high, shape):
        return self._rng.integers(low, high, size=shape)

    def permutation(self, n):
        return self._rng.permutation(n)

    def get_state(self):
        """A JSON-serialisable description of the generator's state."""
        if self.backend == "numpy":
            return {"backend": "numpy", "bit_generator": self._rng.bit_generator.state}
        return {"backend": self.backend, "seed": self.seed, "reseeds": self._reseeds}

    def set_state(self, state):
        """Restore a state from ``get_state`` (exactly on NumPy)."""
        if isinstance(state, str):
            state = json.loads(state)
        if state.get("backend") == "numpy" and self.backend == "numpy":
            self._rng.bit_generator.state = state["bit_generator"]
            return
        # A CuPy state, or a state from the other backend: reseed deterministically.
        self._reseeds = int(state.get("reseeds", 0)) + 1
        seed = state.get("seed", self.seed)
        self._rng = self._make([int(seed), self._reseeds])


def _from_environment():
    name = os.environ.get("NPGAN_BACKEND", "").strip().lower()
    if name:
        set_backend(name)


_from_environment()
