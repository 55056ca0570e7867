"""Shared fixtures: run array tests over every available backend."""

import os

import pytest

import npgan
from npgan import backend

_CUPY = backend.cupy_available()
_CUPY_REASON = "CuPy not installed or no GPU visible"

# NPGAN_TEST_SURFACE=1: the whole session on the CuPy-surface stand-in, where
# NPGAN_BACKEND=cupy would put it on a GPU (a rehearsal, without one, of the test stage
# of benchmarks/gpu_check.sh).
if os.environ.get("NPGAN_TEST_SURFACE") == "1":
    import cupy_surface

    backend.use_module("cupy", cupy_surface.MODULE)


@pytest.fixture(params=["numpy", "cupy", "cupy-surface"])
def xp(request):
    """The array module of each backend: NumPy; CuPy (skipped without a GPU); and the
    CuPy-surface stand-in of cupy_surface.py (NumPy underneath, CuPy's names and its
    refusals; skipped without CuPy installed), so that every run checks the CuPy paths."""
    if request.param == "cupy-surface":
        try:
            import cupy_surface
        except ImportError:
            pytest.skip("CuPy not installed (pip install cupy-cuda12x; no GPU needed)")
        with cupy_surface.installed() as module:
            yield module
        return
    if request.param == "cupy" and not _CUPY:
        pytest.skip(_CUPY_REASON)
    previous = backend.backend_name(), backend.get_backend()
    module = npgan.set_backend(request.param)
    yield module
    backend.use_module(*previous)


requires_cupy = pytest.mark.skipif(not _CUPY, reason=_CUPY_REASON)

# The repository: tests run from its root, but a test in a folder finds committed files from here.
REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def data_root():
    """The data root: $NPGAN_DATA_DIR, else the shared copy beside the repository (one folder
    per data set, ``mnist/`` and ``fashion-mnist/``; see npgan.datasets.idx)."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("NPGAN_DATA_DIR") or os.path.normpath(os.path.join(here, "..", "..", "shared", "data"))


def mnist_dir():
    """MNIST's folder under the tests' data root (the root itself when it holds the MNIST files)."""
    from npgan.datasets.idx import dataset_dir

    return dataset_dir("mnist", data_root())


def fashion_dir():
    """Fashion-MNIST's folder under the tests' data root."""
    from npgan.datasets.idx import dataset_dir

    return dataset_dir("fashion-mnist", data_root())


def pretrained_classifier_and_mnist():
    """npgan's committed classifier and the MNIST split, or a skip saying which is missing."""
    from npgan.datasets.idx import load_mnist
    from npgan.evaluation import classifier

    if not os.path.exists(classifier.PRETRAINED):
        pytest.skip("pretrained/npgan-mnist-classifier.npz is absent")
    try:
        data = load_mnist(mnist_dir(), download=False)
    except Exception as exc:
        pytest.skip(f"MNIST not available: {exc}")
    net, state = classifier.load()
    return net, state, data
