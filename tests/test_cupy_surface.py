"""npgan uses only what CuPy provides: checked on every CI run, without a GPU.

Two checks against the installed CuPy (``pip install cupy-cuda12x`` imports on a machine
without a GPU; only using it needs one):

- static: every name npgan's source takes from the array module (``xp.<name>``,
  ``get_backend().<name>``) and from CuPy's random generator (``self._rng.<name>`` in
  ``backend.py``) exists in CuPy, and every keyword argument passed to it is in CuPy's
  signature;
- dynamic: the real code paths (a few iterations of ``toy-1d`` and of ``mnist-paper``,
  sampling, the Parzen protocol, checkpoints, resume) run on the CuPy-surface stand-in of
  ``tests/cupy_surface.py``, which fails wherever CuPy would.

Neither is a GPU: ``benchmarks/gpu_check.sh`` is the check on one.
"""

import ast
import os
import sys

import numpy as np
import pytest

pytest.importorskip("cupy", reason="the CuPy surface checks need CuPy installed: pip install cupy-cuda12x")

import cupy
import cupy_surface as surface
from threadpoolctl import threadpool_limits

import npgan
from npgan import backend
from npgan.datasets import idx as data

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "npgan")


# ---- static: names and keywords, read from npgan's source ---------------------------------

def _chain(node):
    """``(root, [names])`` of an attribute chain ``root.a.b``, or ``None``.

    Roots: ``"module"`` for ``xp``, ``get_backend()`` and ``self._module()``; ``"generator"``
    for ``self._rng`` (the random generator that runs on CuPy; NumPy-only fast forms use
    ``self._numpy_rng``, which is ``None`` there).
    """
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
        if (isinstance(node, ast.Attribute) and node.attr == "_rng"
                and isinstance(node.value, ast.Name) and node.value.id == "self"):
            return "generator", names[::-1]
    names.reverse()
    if isinstance(node, ast.Name) and node.id == "xp":
        return "module", names
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        f = node.func
        if (isinstance(f, ast.Name) and f.id == "get_backend") or (
                isinstance(f, ast.Attribute) and f.attr == "_module"
                and isinstance(f.value, ast.Name) and f.value.id == "self"):
            return "module", names
    return None


def uses(source, filename="<source>"):
    """Every use of the array module or of CuPy's generator in ``source``:
    ``(filename, line, root, names, keywords)``, keywords those of a call, else ``()``."""
    tree = ast.parse(source, filename)
    calls = {id(n.func): n for n in ast.walk(tree) if isinstance(n, ast.Call)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        chain = _chain(node)
        if chain and chain[1]:
            call = calls.get(id(node))
            keywords = tuple(k.arg for k in call.keywords if k.arg) if call else ()
            found.append((filename, node.lineno, chain[0], tuple(chain[1]), keywords))
    return found


def problems(found):
    """What CuPy lacks among ``found`` (from ``uses``): one line per missing name or keyword."""
    out = []
    for filename, line, root, names, keywords in found:
        target = cupy if root == "module" else cupy.random.Generator
        where = f"{filename}:{line}: {'xp' if root == 'module' else 'self._rng'}.{'.'.join(names)}"
        if root == "generator" and names[0] not in surface.GENERATOR_METHODS:
            out.append(f"{where}: cupy.random.Generator has no method {names[0]!r} "
                       f"(it has {', '.join(sorted(surface.GENERATOR_METHODS))})")
            continue
        for name in names:
            if not hasattr(target, name):
                out.append(f"{where}: CuPy has no {name!r}")
                break
            target = getattr(target, name)
        else:
            sig = surface.signature(target)
            if keywords and sig is not None and not any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
                unknown = [k for k in keywords if k not in sig.parameters]
                if unknown:
                    out.append(f"{where}: CuPy's signature {sig} has no keyword {', '.join(unknown)}")
    return out


def npgan_uses():
    found = []
    for root, _, files in os.walk(PACKAGE):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                with open(path) as f:
                    found += uses(f.read(), os.path.relpath(path, os.path.dirname(PACKAGE)))
    return found


def test_npgan_uses_only_names_cupy_has():
    found = npgan_uses()
    assert problems(found) == []
    # the scan sees what it should (guards against a scan that silently finds nothing)
    module_names = {names[0] for _, _, root, names, _ in found if root == "module"}
    generator_names = {names[0] for _, _, root, names, _ in found if root == "generator"}
    assert {"concatenate", "exp", "maximum", "zeros"} <= module_names
    assert {"random", "standard_normal"} <= generator_names


def test_the_static_scan_catches_a_missing_generator_method_and_name():
    source = (
        "def permutation(self, n):\n"
        "    return self._rng.permutation(n)\n"
        "def f(self, x):\n"
        "    xp = get_backend()\n"
        "    return xp.concatenate([x], axis=0, dtype='float32'), xp.not_in_cupy(x), xp.sum(x, nope=1)\n"
    )
    lines = problems(uses(source, "example.py"))
    assert len(lines) == 3, lines
    assert lines[0].startswith("example.py:2: self._rng.permutation: cupy.random.Generator has no method 'permutation'")
    assert "CuPy has no 'not_in_cupy'" in lines[1]
    assert "has no keyword nope" in lines[2]


# ---- the stand-in itself ----------------------------------------------------------------

def test_stand_in_refuses_what_cupy_refuses():
    with surface.installed() as xp:
        a = backend.asarray(np.arange(6.0).reshape(2, 3))
        assert isinstance(a, xp.ndarray) and backend.backend_name() == "cupy"
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
            np.asarray(a)
        with pytest.raises(TypeError, match="host numpy.ndarray"):
            a + np.ones(3)
        with pytest.raises(TypeError, match="host numpy.ndarray"):
            xp.maximum(a, np.zeros(3))
        with pytest.raises(AttributeError, match="CuPy has no such name"):
            xp.not_a_cupy_function
        with pytest.raises(TypeError, match="CuPy's signature"):
            xp.argsort(a, stable=True)  # NumPy has the keyword, CuPy does not
        rng = xp.random.default_rng(0)
        for missing in ("permutation", "normal", "choice", "shuffle", "bit_generator"):
            with pytest.raises(AttributeError, match="'cupy.random.Generator' object has no attribute"):
                getattr(rng, missing)
        total = a.sum()
        assert isinstance(total, xp.ndarray) and total.ndim == 0  # 0-d, as CuPy's reductions
        assert float(total) == 15.0 and f"{total:.1f}" == "15.0"
        assert isinstance(np.exp(a), xp.ndarray)  # NumPy's ufunc runs the stand-in's
        np.testing.assert_array_equal(backend.to_numpy(a), np.arange(6.0).reshape(2, 3))
    assert backend.backend_name() == "numpy" and backend.get_backend() is np


def test_random_on_the_surface_draws_and_reseeds():
    with surface.installed():
        rng = backend.Random(3)
        order = backend.to_numpy(rng.permutation(1000))
        assert order.dtype == np.int64 and sorted(order.tolist()) == list(range(1000))
        assert not (order == np.arange(1000)).all()
        mask = backend.to_numpy(rng.bernoulli(1 - 1e-12, (100, 100), dtype=bool))
        assert mask.all()
        m = backend.to_numpy(rng.bernoulli(0.8, (200, 200), dtype="float32"))
        assert m.dtype == np.float32 and abs(m.mean() - 0.8) < 0.01  # sd 0.002
        state = rng.get_state()
        assert state == {"backend": "cupy", "seed": 3, "reseeds": 0}
        first, second = backend.Random(3), backend.Random(3)
        first.set_state(state)
        second.set_state(state)
        np.testing.assert_array_equal(backend.to_numpy(first.random((5,))), backend.to_numpy(second.random((5,))))
        assert first.get_state() == {"backend": "cupy", "seed": 3, "reseeds": 1}
        continued = backend.to_numpy(rng.random((5,)))  # the stream a resume does not continue
        assert not np.array_equal(continued, backend.to_numpy(first.random((5,))))


# ---- dynamic: the real code paths on the stand-in ----------------------------------------

@pytest.fixture
def one_blas_thread():
    """BLAS on one thread: on a busy 2-core machine these small networks run faster so, and
    on the stand-in nothing else limits it (the trainer does so on NumPy only)."""
    with threadpool_limits(1, user_api="blas"):
        yield


@pytest.fixture
def small_mnist(monkeypatch):
    """MNIST cut to 300 training images (3 iterations per epoch), 500 validation and 500
    test images, wherever npgan reads it; random pixels when MNIST is not on disk."""
    try:
        full = data.load_mnist(download=False)
        parts = [full.train_x[:300], full.train_y[:300], full.valid_x[:500], full.valid_y[:500],
                 full.test_x[:500], full.test_y[:500]]
    except data.DataError:
        rng = np.random.default_rng(0)
        parts = [rng.random((n, 784), dtype=np.float32) if i % 2 == 0 else rng.integers(0, 10, n).astype(np.uint8)
                 for i, n in enumerate((300, 300, 500, 500, 500, 500))]
    small = data.MNIST(*parts)
    original = data.load_mnist
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("npgan") and getattr(module, "load_mnist", None) is original:
            monkeypatch.setattr(module, "load_mnist", lambda *args, **kwargs: small)
    return small


def parameters(gan):
    return {f"{net}/{key}": backend.to_numpy(value)
            for net in ("G", "D") for key, value in getattr(gan, net).params.items()}


def test_toy_1d_trains_samples_and_round_trips(xp, one_blas_thread, tmp_path):
    """On every backend (the xp fixture: NumPy, CuPy with a GPU, the stand-in)."""
    from npgan.presets import get_preset
    from npgan.train import train

    config = get_preset("toy-1d").replace(epochs=2, iters_per_epoch=10, sample_every=1)
    gan = train(config, tmp_path / "run", quiet=True)
    samples = gan.sample(50, rng=backend.Random(1))
    assert isinstance(samples, xp.ndarray) and samples.shape == (50, 1)
    assert np.isfinite(backend.to_numpy(samples)).all()
    loaded = npgan.load(tmp_path / "run" / "checkpoint.npz")
    again = loaded.sample(50, rng=backend.Random(1))
    np.testing.assert_array_equal(backend.to_numpy(again), backend.to_numpy(samples))
    assert (tmp_path / "run" / "figure1.png").exists()


def test_mnist_paper_trains_evaluates_and_resumes(xp, one_blas_thread, small_mnist, tmp_path):
    """A few iterations of mnist-paper (narrowed), its Parzen evaluation and samples every
    epoch, the averaged generator, a checkpoint, and two resumes from it that agree: on
    CuPy (and the stand-in) by a reseed, statistically equivalent to an uninterrupted run,
    and determined by the checkpoint."""
    from npgan.presets import get_preset
    from npgan.train import train

    config = get_preset("mnist-paper").replace(epochs=2, g_hidden=(32,), d_hidden=(16,), parzen_every=1,
                                               average_from=1, sample_every=1)
    train(config, tmp_path / "run", quiet=True)
    run = tmp_path / "run"
    rows = (run / "parzen.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,") and len(rows) == 3
    assert (run / "parzen-averaged.csv").exists() and list((run / "samples").iterdir())
    g = npgan.load(run / "checkpoint.npz")
    assert np.isfinite(backend.to_numpy(g.sample(20, rng=backend.Random(0)))).all()

    longer = config.replace(epochs=3)
    first = train(longer, tmp_path / "a", resume=run / "checkpoint.npz", quiet=True)
    second = train(longer, tmp_path / "b", resume=run / "checkpoint.npz", quiet=True)
    a, b = parameters(first), parameters(second)
    assert a.keys() == b.keys()
    exact = backend.get_backend() is not cupy  # on a GPU, sums may run in another order
    for key in a:
        if exact:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        else:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-7, err_msg=key)
    log = (tmp_path / "a" / "log.csv").read_text().splitlines()
    assert log[-1].split(",")[0] == "3"


def test_parzen_protocol_on_the_surface_matches_numpy():
    from npgan.evaluation.parzen import parzen_protocol

    rng = np.random.default_rng(0)
    samples, valid, test = (rng.random((n, 20), dtype=np.float32) for n in (300, 40, 50))
    with surface.installed():
        on_device = parzen_protocol(backend.asarray(samples), backend.asarray(valid), backend.asarray(test))
    previous = backend.use_module("numpy", np)  # the NumPy path, on the same host data
    try:
        on_host = parzen_protocol(samples, valid, test)
    finally:
        backend.use_module(*previous)
    assert on_device["sigma"] == on_host["sigma"]
    np.testing.assert_allclose(on_device["test_ll"], on_host["test_ll"], rtol=1e-6)
    np.testing.assert_allclose(on_device["valid_ll"], on_host["valid_ll"], rtol=1e-6)
