"""Shared fixtures: run array tests over every available backend."""

import os

import pytest

import npgan
from npgan import backend as B

_CUPY = B.cupy_available()
_CUPY_REASON = "CuPy not installed or no GPU visible"


@pytest.fixture(params=["numpy", "cupy"])
def xp(request):
    """The array module of each available backend; CuPy cases skip without a GPU."""
    if request.param == "cupy" and not _CUPY:
        pytest.skip(_CUPY_REASON)
    previous = B.backend_name()
    module = npgan.set_backend(request.param)
    yield module
    npgan.set_backend(previous)


requires_cupy = pytest.mark.skipif(not _CUPY, reason=_CUPY_REASON)


def mnist_dir():
    """The shared MNIST copy beside the repository, or $NPGAN_DATA_DIR."""
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.path.normpath(os.path.join(here, "..", "..", "shared", "data", "mnist"))
    return os.environ.get("NPGAN_DATA_DIR") or shared
