"""Shared fixtures: run array tests over every available backend; where the tests find their data."""

import functools
import hashlib
import importlib.util
import os
from pathlib import Path

import pytest

import npgan
from npgan import backend

# Libraries' own caches go under the user's cache too, not into ~/.config or ~/.cupy.
_CACHE = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
os.environ.setdefault("MPLCONFIGDIR", os.path.join(_CACHE, "matplotlib"))
os.environ.setdefault("CUPY_CACHE_DIR", os.path.join(_CACHE, "cupy"))

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


def load_script(relative_path):
    """A script of the repository that is not in a package (``results/...``), imported as a module."""
    path = Path(REPOSITORY) / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- the data -----------------------------------------------------------------------------
#
# The tests read the data where npgan does: $NPGAN_DATA_DIR, else the user's cache
# (<XDG_CACHE_HOME or ~/.cache>/npgan; npgan.datasets.idx.data_root), one folder per data
# set. Without $NPGAN_DATA_DIR, the first test that needs a data set downloads it into that
# cache, once, verified (npgan's own download); that is the only download a test session
# makes. Every other download to anywhere but 127.0.0.1 is refused for the session (the
# tests of the downloader serve their files from 127.0.0.1), so a test that needs data
# which is not there skips, with DATA_REASON, instead of reaching the internet; in CI
# (CI=true) missing data fails instead.

DATA_REASON = ("data not reachable: set NPGAN_DATA_DIR to a data root that holds mnist/ and fashion-mnist/ "
               "(README, Quick start)")
PROBE_TIMEOUT = 20.0  # seconds without progress before the one download attempt gives up
_DOWNLOADS = not os.environ.get("NPGAN_DATA_DIR")  # the root is the user's cache: fill it once


def data_root():
    """The tests' data root: npgan's own, ``$NPGAN_DATA_DIR`` or else the user's cache."""
    from npgan.datasets.idx import data_root as root

    return root()


def mnist_dir():
    """MNIST's folder under the tests' data root (the root itself when it holds the MNIST files)."""
    from npgan.datasets.idx import dataset_dir

    return dataset_dir("mnist", data_root())


def fashion_dir():
    """Fashion-MNIST's folder under the tests' data root."""
    from npgan.datasets.idx import dataset_dir

    return dataset_dir("fashion-mnist", data_root())


def _loopback(url):
    from urllib.parse import urlsplit

    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


def _offline_guard():
    """Refuse, for the session, every download from anywhere but 127.0.0.1 (``DataNotFoundError``)."""
    from npgan.datasets import cifar10, idx

    original_file, original_archive = idx.download_file, cifar10.download

    def download_file(name, directory, mirrors=None, *args, **kwargs):
        dataset = kwargs.get("dataset", args[1] if len(args) > 1 else idx.MNIST_DATA)
        if not all(_loopback(m) for m in (dataset.mirrors if mirrors is None else mirrors)):
            raise idx.DataNotFoundError(f"{name}.gz: the tests download nothing from the internet; {DATA_REASON}")
        return original_file(name, directory, mirrors, *args, **kwargs)

    def download(directory=None, url=cifar10.URL, *args, **kwargs):
        if not _loopback(url):
            raise idx.DataNotFoundError(f"{url}: the tests download nothing from the internet; {DATA_REASON}")
        return original_archive(directory, url, *args, **kwargs)

    idx.download_file, cifar10.download = download_file, download
    return original_file


_download_once = _offline_guard()


@functools.cache
def data_available(name="mnist"):
    """Whether data set ``name`` ("mnist", "fashion-mnist") is readable under the data root.

    Without ``$NPGAN_DATA_DIR`` a missing data set is downloaded into the user's cache
    first (once a session, verified); with it, nothing is downloaded.
    """
    from npgan.datasets import idx
    from npgan.datasets.fashion import FASHION_DATA

    dataset = {"mnist": idx.MNIST_DATA, "fashion-mnist": FASHION_DATA}[name]
    directory = idx.dataset_dir(name, data_root())
    try:
        if _DOWNLOADS:
            for file in dataset.files:
                if idx._existing(directory, file) is None:
                    _download_once(file, directory, dataset.mirrors, PROBE_TIMEOUT, dataset=dataset)
        idx.load_idx(dataset, directory, download=False)
    except (OSError, ValueError):  # missing, unreachable or damaged
        return False
    return True


def require_data(name="mnist"):
    """Data set ``name``'s folder, or skip with ``DATA_REASON`` (fail in CI, where it must be there)."""
    if not data_available(name):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} expected under {data_root()} in CI")
        pytest.skip(DATA_REASON)
    return mnist_dir() if name == "mnist" else fashion_dir()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that stops on missing data (``DataNotFoundError``) is skipped with ``DATA_REASON``."""
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and os.environ.get("CI") != "true":
        from npgan.datasets.idx import DataNotFoundError

        if call.excinfo.errisinstance(DataNotFoundError):
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {DATA_REASON}")


def pretrained_classifier_and_mnist():
    """npgan's committed classifier and the MNIST split, or a skip saying which is missing."""
    from npgan.datasets.idx import load_mnist
    from npgan.evaluation import classifier

    if not os.path.exists(classifier.PRETRAINED):
        pytest.skip("pretrained/npgan-mnist-classifier.npz is absent")
    data = load_mnist(require_data("mnist"), download=False)
    net, state = classifier.load()
    return net, state, data


def tree_hash(root):
    """One SHA-256 of every path under ``root`` and every file's bytes: equal means unchanged."""
    digest = hashlib.sha256()
    for path in sorted(Path(root).rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def rewrite(source, target, change):
    """Copy an .npz with ``change(arrays)`` applied (a hand-made or damaged file)."""
    import numpy as np

    from npgan import checkpoint

    with np.load(source, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    change(arrays)
    with open(target, "wb") as f:
        checkpoint.write_npz(f, arrays)


def log_without_times(path):
    """A run's log.csv rows without its measured times (wall clock and CPU), which no two runs share."""
    rows = Path(path).read_text().splitlines()
    keep = [i for i, name in enumerate(rows[0].split(",")) if name not in ("seconds", "cpu_seconds")]
    return [",".join(row.split(",")[i] for i in keep) for row in rows]
