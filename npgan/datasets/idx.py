"""The data root, and MNIST's format: the IDX reader, its verified download, the paper's split.

Layout: ``$NPGAN_DATA_DIR`` names the data root (default ``<XDG_CACHE_HOME or
~/.cache>/npgan``), one folder per data set, each also that data set's download cache::

    ROOT/mnist/           the four MNIST files
    ROOT/fashion-mnist/   the four Fashion-MNIST files (npgan.datasets.fashion)
    ROOT/cifar10/         CIFAR-10's archive (npgan.datasets.cifar10)

as ``../shared/data`` is laid out. For compatibility, a root that itself holds the four
MNIST files is MNIST's own folder, and the other data sets are looked up beside it (in
its parent), which is where they were looked up before the root had one folder each.

An IDX data set (``IdxDataSet``: MNIST here, Fashion-MNIST in ``npgan.datasets.fashion``) is four
files, gzip-compressed (``train-images-idx3-ubyte.gz``) or raw (``train-images-idx3-ubyte``).
Every file is checked when read: the IDX magic number, the dimensions, the byte size,
and the SHA-256 of the *decompressed* bytes against the canonical values (the gzip
wrappers differ between mirrors; the contents do not). Missing files are downloaded from
the data set's mirrors into a temporary file beside the target, verified, and only then
renamed into place, so a failed, truncated or corrupt download never leaves anything in
the cache. The split is the paper's: training images 0..49,999 train, the rest validate,
the t10k images test.

This module works on the host: it returns NumPy arrays, and the trainer moves them to
the active backend.
"""

import dataclasses
import functools
import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.request
import zlib

import numpy

from npgan.errors import FaultError

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

# name (without .gz) -> (IDX magic number, dimensions, SHA-256 of the decompressed file)
MNIST_FILES = {
    "train-images-idx3-ubyte": (2051, (60000, 28, 28),
                                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train-labels-idx1-ubyte": (2049, (60000,), "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "t10k-images-idx3-ubyte": (2051, (10000, 28, 28),
                               "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "t10k-labels-idx1-ubyte": (2049, (10000,), "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}

N_TRAIN = 50000  # the paper's split: training images 0..49,999 train, the rest validate
DOWNLOAD_TIMEOUT = 30.0  # seconds without progress before a mirror is given up
_GZIP_MAGIC = b"\x1f\x8b"


class DataError(FaultError, ValueError):
    """A data file is corrupt, truncated, or not the file it should be (a fault of the environment:
    the command line says so in one line and exits with status 1)."""


class DataNotFoundError(DataError, FileNotFoundError):
    """The data files are missing and could not be downloaded."""


@dataclasses.dataclass(frozen=True, eq=False)  # hashed by identity: a key of the load cache
class IdxDataSet:
    """A data set of four IDX files in MNIST's layout: what to read, check and download.

    folder: its folder under the data root; title: its name in messages; files: name ->
    (magic number, dimensions, SHA-256 of the decompressed file); mirrors: base URLs,
    tried in order.
    """

    folder: str
    title: str
    files: dict
    mirrors: tuple


MNIST_DATA = IdxDataSet("mnist", "MNIST", MNIST_FILES, MIRRORS)


@dataclasses.dataclass(frozen=True)
class Split:
    """A data set's train/valid/test split, host NumPy arrays (read-only, shared by every caller).

    ``*_x``: float32 (n, features), values in [0, 1]; ``*_y``: uint8 (n,) class indices.
    MNIST's (``load_mnist``): (n, 784) pixels and digits 0..9; train = training images
    0..49,999 (50,000), valid = 50,000..59,999 (10,000), test = the t10k images (10,000).
    Fashion-MNIST's and CIFAR-10's are the same type (``npgan.datasets.fashion``, ``npgan.datasets.cifar10``).
    """

    train_x: numpy.ndarray
    train_y: numpy.ndarray
    valid_x: numpy.ndarray
    valid_y: numpy.ndarray
    test_x: numpy.ndarray
    test_y: numpy.ndarray


MNIST = Split  # what load_mnist returns, under the name its callers know


def data_root():
    """``$NPGAN_DATA_DIR``, else the per-user cache ``<XDG_CACHE_HOME or ~/.cache>/npgan``."""
    if os.environ.get("NPGAN_DATA_DIR"):
        return os.path.abspath(os.path.expanduser(os.environ["NPGAN_DATA_DIR"]))
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.abspath(os.path.join(cache, "npgan"))


def dataset_dir(folder, root=None):
    """The folder of data set ``folder`` ("mnist", "fashion-mnist", "cifar10") under ``root``.

    root: default ``data_root()``. ``ROOT/folder``, except where ROOT itself holds the four
    MNIST files: then ROOT is MNIST's folder and the others are beside it. A root that
    ``$NPGAN_DATA_DIR`` names must exist: a misspelt one is refused, never created (the
    default cache is created on the first download).
    """
    named = root is None and bool(os.environ.get("NPGAN_DATA_DIR"))
    root = os.path.abspath(os.path.expanduser(root or data_root()))
    if named and not os.path.exists(root):
        raise DataNotFoundError(f"NPGAN_DATA_DIR names {root}, which does not exist; expected the data root, a "
                                "folder with one folder per data set (mnist/, fashion-mnist/, cifar10/), or unset "
                                "it to use the download cache")
    if os.path.isfile(root):
        raise DataError(f"data root {root} is a file; expected a folder (NPGAN_DATA_DIR names the data root, "
                        "with one folder per data set: mnist/, fashion-mnist/)")
    if all(_existing(root, name) for name in MNIST_FILES):
        return root if folder == MNIST_DATA.folder else os.path.join(os.path.dirname(root), folder)
    return os.path.join(root, folder)


def _decompressed_bytes(path):
    """The file's bytes, gunzipped when it starts with the gzip magic bytes."""
    label = os.path.basename(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{label}: not a valid gzip stream ({exc}); {_DELETE_HINT}") from None


_DELETE_HINT = "delete the file to download it again"


def parse_idx(data, name, label=None, dataset=MNIST_DATA):
    """Check the IDX bytes of ``dataset``'s file ``name`` and return them as a uint8 array.

    data: the decompressed bytes. Checks, in order: magic number, dimensions, byte size,
    SHA-256. Returns shape (n, 28, 28) for images, (n,) for labels. Raises DataError
    naming ``label`` (default ``name``) and what was wrong.
    """
    label = label or name
    magic, dims, sha = dataset.files[name]
    ndim = len(dims)
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(
            f"{label}: {len(data)} bytes, too short for an IDX header ({header} bytes); "
            f"{_DELETE_HINT}"
        )
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise DataError(
            f"{label}: IDX magic number is {found}, expected {magic} "
            f"({'images' if magic == 2051 else 'labels'}); not a {dataset.title} file? {_DELETE_HINT}"
        )
    found_dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if found_dims != dims:
        raise DataError(f"{label}: IDX dimensions are {found_dims}, expected {dims}; {_DELETE_HINT}")
    expected_size = header + int(numpy.prod(dims))
    if len(data) != expected_size:
        raise DataError(
            f"{label}: {len(data)} bytes of decompressed data, expected {expected_size} "
            f"(truncated or padded); {_DELETE_HINT}"
        )
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha:
        raise DataError(
            f"{label}: SHA-256 of the decompressed data is {digest}, expected {sha} "
            f"({dataset.title}'s); {_DELETE_HINT}"
        )
    return numpy.frombuffer(data, dtype=numpy.uint8, offset=header).reshape(dims)


def read_idx(path, dataset=MNIST_DATA):
    """Read and verify one of ``dataset``'s IDX files (gzip or raw, detected by its first bytes)."""
    base = os.path.basename(path)
    name = base[:-3] if base.endswith(".gz") else base
    if name not in dataset.files:
        raise DataError(f"{base}: not one of the {dataset.title} files {sorted(dataset.files)}")
    return parse_idx(_decompressed_bytes(path), name, label=base, dataset=dataset)


def _existing(directory, name):
    """The path of ``name.gz`` or ``name`` in ``directory``, or None."""
    for candidate in (name + ".gz", name):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    return None


def _manual_hint(directory, dataset):
    names = ", ".join(n + ".gz" for n in dataset.files)
    return (
        f"put the {dataset.title} files ({names}) in {directory} by hand "
        f"(or set NPGAN_DATA_DIR to a data root that holds {dataset.folder}/ with them)"
    )


def download_file(name, directory, mirrors=None, timeout=DOWNLOAD_TIMEOUT, dataset=MNIST_DATA):
    """Download ``name.gz`` into ``directory`` from the first mirror that serves a good copy.

    mirrors: default ``dataset.mirrors``. Each attempt streams into a temporary file in
    ``directory``, checks the byte count against Content-Length, verifies the contents
    (``parse_idx``) and renames the file into place with ``os.replace``; whatever fails,
    the temporary file is removed and the next mirror is tried. Returns the final path;
    raises DataNotFoundError listing every mirror's failure when none succeeds.
    """
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, name + ".gz")
    failures = []
    for mirror in dataset.mirrors if mirrors is None else mirrors:
        url = mirror.rstrip("/") + "/" + name + ".gz"
        fd, tmp = tempfile.mkstemp(prefix="." + name + ".", suffix=".part", dir=directory)
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                shutil.copyfileobj(response, out, 1 << 20)
                received = out.tell()
            expected = response.headers.get("Content-Length")
            if expected is not None and int(expected) != received:
                raise DataError(f"connection closed after {received} of {expected} bytes")
            parse_idx(_decompressed_bytes(tmp), name, label=f"{name}.gz (downloaded)", dataset=dataset)
            os.replace(tmp, target)
            return target
        except Exception as exc:  # any failure of this mirror: record it, try the next one
            failures.append(f"{url}: {type(exc).__name__}: {' '.join(str(exc).split())}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise DataNotFoundError(f"could not download {name}.gz from any mirror ({'; '.join(failures)}); "
                            f"{_manual_hint(directory, dataset)}")


def idx_paths(dataset, directory, download_missing=True, mirrors=None, timeout=DOWNLOAD_TIMEOUT, names=None):
    """Paths of ``dataset``'s four files (or of ``names``) in ``directory``, downloading those that are missing.

    Returns a dict name -> path. With ``download_missing=False`` a missing file raises
    DataNotFoundError naming the directory to put the files in.
    """
    directory = os.path.abspath(directory)
    paths = {}
    for name in names or dataset.files:
        path = _existing(directory, name)
        if path is None:
            if not download_missing:
                raise DataNotFoundError(
                    f"{dataset.title} file {name}.gz not found in {directory} and download=False; "
                    f"{_manual_hint(directory, dataset)}."
                )
            path = download_file(name, directory, mirrors=mirrors, timeout=timeout, dataset=dataset)
        paths[name] = path
    return paths


def mnist_paths(data_dir=None, download_missing=True, mirrors=MIRRORS, timeout=DOWNLOAD_TIMEOUT):
    """``idx_paths`` of MNIST in ``data_dir`` (default: MNIST's folder under the data root)."""
    return idx_paths(MNIST_DATA, data_dir or dataset_dir(MNIST_DATA.folder), download_missing, mirrors, timeout)


def load_idx(dataset, data_dir=None, download=True, mirrors=None, timeout=DOWNLOAD_TIMEOUT):
    """``dataset``'s split (see ``Split``) as read-only host arrays, from its verified files.

    data_dir: the folder of its four files, default ``dataset_dir(dataset.folder)``.
    download: fetch missing files from ``mirrors`` (default the data set's). The decoded
    arrays are cached per folder for the life of the process.
    """
    directory = _folder(dataset, data_dir)
    mirrors = dataset.mirrors if mirrors is None else mirrors
    return _load_cached(dataset, directory, bool(download), tuple(mirrors), float(timeout))


TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def load_idx_test(dataset, data_dir=None, download=True, mirrors=None, timeout=DOWNLOAD_TIMEOUT):
    """``(test_x, test_y)`` of ``dataset`` (as in ``Split``), from its two test files alone.

    For what needs only the test images (``npgan encode``): the training files are
    neither read nor downloaded. Cached per folder for the life of the process.
    """
    directory = _folder(dataset, data_dir)
    mirrors = dataset.mirrors if mirrors is None else mirrors
    return _load_test_cached(dataset, directory, bool(download), tuple(mirrors), float(timeout))


def load_mnist_test(data_dir=None, download=True, mirrors=MIRRORS, timeout=DOWNLOAD_TIMEOUT):
    """MNIST's ``(test_x, test_y)`` alone (``load_idx_test``)."""
    return load_idx_test(MNIST_DATA, data_dir, download, mirrors, timeout)


def _folder(dataset, data_dir):
    """The absolute folder of ``dataset``'s files; ``DataError`` if it is a file."""
    directory = os.path.abspath(data_dir or dataset_dir(dataset.folder))
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise DataError(f"{dataset.title} data directory {directory} is a file; expected a folder for its four "
                        "files (set NPGAN_DATA_DIR to a data root)")
    return directory


def _images(path, name, dataset):
    """The images of one verified IDX file: (n, 28, 28) uint8 -> (n, 784) float32 in [0, 1]."""
    raw = read_idx(path, dataset)
    return raw.reshape(len(raw), -1).astype(numpy.float32) / numpy.float32(255.0)


@functools.lru_cache(maxsize=4)
def _load_test_cached(dataset, directory, download_missing, mirrors, timeout):
    paths = idx_paths(dataset, directory, download_missing, mirrors, timeout, names=TEST_FILES)
    test_x = _images(paths["t10k-images-idx3-ubyte"], "t10k-images-idx3-ubyte", dataset)
    test_y = read_idx(paths["t10k-labels-idx1-ubyte"], dataset)
    for a in (test_x, test_y):
        a.flags.writeable = False
    return test_x, test_y


def load_mnist(data_dir=None, download=True, mirrors=MIRRORS, timeout=DOWNLOAD_TIMEOUT):
    """The paper's MNIST split (``load_idx`` of MNIST; see ``Split``)."""
    return load_idx(MNIST_DATA, data_dir, download, mirrors, timeout)


@functools.lru_cache(maxsize=4)
def _load_cached(dataset, directory, download_missing, mirrors, timeout):
    paths = idx_paths(dataset, directory, download_missing, mirrors, timeout)

    def images(name):  # (n, 28, 28) uint8 -> (n, 784) float32 in [0, 1]
        return _images(paths[name], name, dataset)

    train_x = images("train-images-idx3-ubyte")
    train_y = read_idx(paths["train-labels-idx1-ubyte"], dataset)
    arrays = dict(
        train_x=train_x[:N_TRAIN],
        train_y=train_y[:N_TRAIN],
        valid_x=train_x[N_TRAIN:],
        valid_y=train_y[N_TRAIN:],
        test_x=images("t10k-images-idx3-ubyte"),
        test_y=read_idx(paths["t10k-labels-idx1-ubyte"], dataset),
    )
    for a in arrays.values():
        a.flags.writeable = False
    return Split(**arrays)
