"""Which array module npgan computes with (NumPy or CuPy), and random numbers on it.

Every array operation in npgan goes through ``get_backend()``, the module of the
active backend (bound to a local ``xp`` by convention: in npgan ``xp`` means only that
module), so that the same lines run on the CPU (NumPy) and on a GPU (CuPy). Host-only
work (reading files, plotting, JSON) converts explicitly with ``to_numpy``.

The backend is chosen once per process: ``set_backend("numpy" | "cupy")``, or else the
``NPGAN_BACKEND`` environment variable (default numpy), read when a backend is first
needed, so that a bad value breaks only what computes (``npgan --help`` still works, and
``npgan --backend numpy`` overrides it). Switching backends while
arrays of the old one are alive is allowed but mixing them in one computation is not.

On CuPy every array operation and random draw uses only what CuPy provides: CuPy's
random ``Generator`` has ``random``, ``standard_normal`` and ``integers`` (no
``normal``, ``permutation``, ``choice`` or ``shuffle``), so ``Random`` builds its draws
from those. ``tests/test_cupy_surface.py`` checks this on every CI run, without a GPU.
"""

import json
import os

import numpy

BACKENDS = ("numpy", "cupy")

_state = {"name": None, "module": None}  # chosen on first use (_chosen)


def _chosen():
    """The backend state, choosing it from ``$NPGAN_BACKEND`` (default numpy) if nothing has."""
    if _state["module"] is None:
        name = os.environ.get("NPGAN_BACKEND", "").strip().lower() or "numpy"
        if name not in BACKENDS:
            raise ValueError(f"NPGAN_BACKEND={name!r} is not a backend; expected one of {', '.join(BACKENDS)}")
        set_backend(name)
    return _state


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


def use_module(name, module):
    """Install ``module`` as the array module of backend ``name``, importing and checking nothing.

    For tests: ``tests/cupy_surface.py`` installs a stand-in with CuPy's names (NumPy
    underneath) as ``"cupy"``, so that every non-NumPy code path runs on a machine
    without a GPU. Returns the previous ``(name, module)``; pass it back to restore.
    """
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of {BACKENDS}")
    previous = backend_name(), get_backend()
    _state["name"], _state["module"] = name, module
    return previous


def get_backend():
    """The array module in use (``numpy`` or ``cupy``)."""
    return _chosen()["module"]


def backend_name():
    """``"numpy"`` or ``"cupy"``."""
    return _chosen()["name"]


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
    if _is_device_array(a):
        return a.get()  # device -> host copy; CuPy refuses numpy.asarray(device_array)
    return numpy.asarray(a)


def _is_device_array(a):
    """A CuPy array, or an array of a module installed with ``use_module``."""
    module = _state["module"]
    if module is not None and module is not numpy and isinstance(a, module.ndarray):
        return True
    return type(a).__module__.startswith("cupy") and callable(getattr(a, "get", None))


# mallopt's parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory(mmap_threshold=32 << 20, trim_threshold=256 << 20):
    """Let the C allocator keep large freed blocks for reuse (glibc, Linux); returns whether it applied.

    glibc's malloc serves a block above its mmap threshold (128 KB at first, raised
    dynamically) from fresh pages of the system and hands them back when the block is
    freed, so the next block of that size faults its pages in again, one by one. A
    training step of the DCGAN makes and frees dozens of 1-25 MB temporaries: on this
    project's 2-core machine those page faults were about 5% of an iteration's CPU time.
    With the threshold at 32 MB (glibc's largest) and the heap trimmed only when
    more than 256 MB lies free at its top, those blocks are reused; the process keeps up
    to that much freed memory. A no-op (False) where the C library is not glibc, or when
    the process has no libc to load (the NumPy side of the C heap then behaves as before).
    """
    import ctypes
    import ctypes.util
    import platform

    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and bool(
            libc.mallopt(_M_TRIM_THRESHOLD, trim_threshold))
    except (OSError, AttributeError):
        return False


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

    Wraps ``numpy.random.Generator`` (PCG64) or ``cupy.random.Generator`` (XORWOW), with
    the few draws npgan needs, each in the caller's dtype. Every draw that runs on CuPy
    calls only ``random``, ``standard_normal`` and ``integers`` on ``self._rng`` (what
    CuPy's generator has); NumPy-only fast forms draw from ``self._numpy_rng``, which is
    ``None`` on CuPy.

    Saving and resuming (``get_state``/``set_state``, which the trainer stores in
    checkpoints as JSON):

    - NumPy: the PCG64 state itself; a resumed run draws exactly the numbers the
      uninterrupted run would have drawn, so it ends bit-identical to it.
    - CuPy: the state of CuPy's generator cannot be read back, so ``get_state`` records
      ``{"seed", "reseeds"}`` (the seed it was made from and how many times it has been
      reseeded) and ``set_state`` starts a new stream from ``[seed, reseeds + 1]``. CuPy
      passes that list through ``numpy.random.SeedSequence`` and keeps one 32-bit word
      of it as the XORWOW seed, so there are 2**32 streams, and two different
      ``(seed, reseeds)`` pairs share one with probability 2**-32. What this guarantees:
      the stream after a resume is determined by the checkpoint (the same checkpoint
      resumes with the same draws), and it is a fresh stream, not the one the
      uninterrupted run would have continued with: a resumed run is *statistically*
      equivalent to an uninterrupted one (same parameters, optimiser state, counters and
      epoch order at the resume point; other noise and dropout masks after it), never
      bit-identical to it. A state saved on one backend and restored on the other
      reseeds the same way.
    """

    def __init__(self, seed=None):
        self.backend = backend_name()
        self.seed = int(numpy.random.SeedSequence(seed).entropy) if seed is None else seed
        self._reseeds = 0
        self._rng = self._make(self.seed)

    def _make(self, seed):
        if self.backend == "numpy":
            return numpy.random.Generator(numpy.random.PCG64(seed))
        return self._module().random.default_rng(seed)

    def _module(self):
        """The array module of the backend this generator was made on.

        Looked up, not stored, so that a ``Random`` (and a network holding one) can be
        deep-copied: a module cannot be.
        """
        if self.backend == "numpy":
            return numpy
        return _state["module"] if _state["name"] == self.backend else _import_cupy()

    @property
    def _numpy_rng(self):
        """The NumPy generator, for NumPy-only fast forms; ``None`` on CuPy."""
        return self._rng if self.backend == "numpy" else None

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

        A uniform draw below ``p``: ``u < p`` with ``u`` uniform on [0, 1) in float64.
        On NumPy the same law comes from raw bits instead, faster
        (``_bernoulli_raw_bits``, below; ``tests/test_backend.py`` checks the two agree).
        """
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"bernoulli: p must be in [0, 1], got {p}")
        if self._numpy_rng is not None:
            return self._bernoulli_raw_bits(p, shape, dtype)
        mask = self._rng.random(shape, dtype="float64") < p
        return mask if numpy.dtype(dtype) == bool else mask.astype(dtype)

    def _bernoulli_raw_bits(self, p, shape, dtype):
        """``bernoulli`` on NumPy, from raw 64-bit outputs of the bit generator, in bulk.

        ``p = 1/2`` takes one random bit per element (a fair coin is one bit); any other
        ``p`` compares a 32-bit word ``w`` per element against ``t = round(p * 2**32)``:
        ``w < t`` is ``u < t / 2**32`` for the uniform ``u = w / 2**32``, so
        ``P(1) = t / 2**32``, within ``2**-33`` of ``p``, from half the bits of a float64
        uniform and no conversion to float. ``t = 2**32`` (``p`` within ``2**-33`` of 1)
        means every word is below it: all ones (a uint32 cannot hold the threshold).
        """
        n = int(numpy.prod(shape))
        if p == 0.5:
            words = self._numpy_rng.bit_generator.random_raw((n + 63) // 64)  # 64 coins a word
            mask = numpy.unpackbits(words.view(numpy.uint8), count=n).view(bool)
        else:
            threshold = round(p * 2.0**32)
            if threshold >= 2**32:
                mask = numpy.ones(n, dtype=bool)
            else:
                words = self._numpy_rng.bit_generator.random_raw((n + 1) // 2).view(numpy.uint32)
                mask = words[:n] < numpy.uint32(threshold)
        mask = mask.reshape(shape)
        return mask if numpy.dtype(dtype) == bool else mask.astype(dtype)

    def integers(self, low, high, shape):
        """Integers uniform on [low, high), int64."""
        return self._rng.integers(low, high, size=shape)

    def permutation(self, n):
        """A uniformly random ordering of ``0 .. n-1`` (int64).

        The sort order of ``n`` random integer keys on [0, 2**62) (CuPy's generator has no
        ``permutation``): every ordering of distinct keys is equally likely, and two keys
        tie with probability below ``n**2 / 2**63`` (3e-10 for MNIST's 50,000; a tie only
        leaves the order of that pair to the sort). On NumPy, NumPy's own shuffle instead,
        so that existing runs resume bit for bit.
        """
        if self._numpy_rng is not None:
            return self._numpy_rng.permutation(n)
        return self._module().argsort(self._rng.integers(0, 2**62, size=n))

    def get_state(self):
        """A JSON-serialisable description of the generator's state (see the class)."""
        if self._numpy_rng is not None:
            return {"backend": "numpy", "bit_generator": self._numpy_rng.bit_generator.state}
        return {"backend": self.backend, "seed": self.seed, "reseeds": self._reseeds}

    def set_state(self, state):
        """Restore a state from ``get_state``: exactly on NumPy, by a reseed otherwise.

        The reseed (a CuPy state, or a state from the other backend) starts the stream
        of ``[seed, reseeds + 1]``; see the class for what that guarantees.
        """
        if isinstance(state, str):
            state = json.loads(state)
        if state.get("backend") == "numpy" and self._numpy_rng is not None:
            self._numpy_rng.bit_generator.state = state["bit_generator"]
            return
        self._reseeds = int(state.get("reseeds", 0)) + 1
        seed = state.get("seed", self.seed)
        self._rng = self._make([int(seed), self._reseeds])

