"""MNIST: reading the IDX files, a verified download into a cache, the paper's split.

The four files of the MNIST database are looked up in a data directory
(``$NPGAN_DATA_DIR``, else ``$XDG_CACHE_HOME/npgan/mnist``, else
``~/.cache/npgan/mnist``), gzip-compressed (``train-images-idx3-ubyte.gz``) or raw
(``train-images-idx3-ubyte``). Every file is checked when read: the IDX magic number,
the dimensions, the byte size, and the SHA-256 of the *decompressed* bytes against the
canonical values (the gzip wrappers differ between mirrors; the contents do not).

Missing files are downloaded from ``MIRRORS`` into a temporary file beside the target,
verified, and only then renamed into place, so a failed, truncated or corrupt download
never leaves anything in the cache.

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

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

# name (without .gz) -> (IDX magic number, dimensions, SHA-256 of the decompressed file)
MNIST_FILES = {
    "train-images-idx3-ubyte": (
        2051,
        (60000, 28, 28),
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    "train-labels-idx1-ubyte": (
        2049,
        (60000,),
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    "t10k-images-idx3-ubyte": (
        2051,
        (10000, 28, 28),
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    "t10k-labels-idx1-ubyte": (
        2049,
        (10000,),
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
}

N_TRAIN = 50000  # the paper's split: training images 0..49,999 train, the rest validate
DOWNLOAD_TIMEOUT = 30.0  # seconds without progress before a mirror is given up
_GZIP_MAGIC = b"\x1f\x8b"


class DataError(ValueError):
    """A data file is corrupt, truncated, or not the file it should be."""


class DataNotFoundError(DataError, FileNotFoundError):
    """The data files are missing and could not be downloaded."""


@dataclasses.dataclass(frozen=True)
class Split:
    """A data set's train/valid/test split, host NumPy arrays (read-only, shared by every caller).

    ``*_x``: float32 (n, features), values in [0, 1]; ``*_y``: uint8 (n,) class indices.
    MNIST's (``load_mnist``): (n, 784) pixels and digits 0..9; train = training images
    0..49,999 (50,000), valid = 50,000..59,999 (10,000), test = the t10k images (10,000).
    Fashion-MNIST's and CIFAR-10's are the same type (``npgan.fashion``, ``npgan.cifar10``).
    """

    train_x: numpy.ndarray
    train_y: numpy.ndarray
    valid_x: numpy.ndarray
    valid_y: numpy.ndarray
    test_x: numpy.ndarray
    test_y: numpy.ndarray


MNIST = Split  # what load_mnist returns, under the name its callers know


def default_data_dir():
    """``$NPGAN_DATA_DIR``, else the per-user cache ``<XDG_CACHE_HOME or ~/.cache>/npgan/mnist``."""
    if os.environ.get("NPGAN_DATA_DIR"):
        return os.path.abspath(os.path.expanduser(os.environ["NPGAN_DATA_DIR"]))
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.abspath(os.path.join(cache, "npgan", "mnist"))


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


def parse_idx(data, name, label=None):
    """Check the IDX bytes of MNIST file ``name`` and return them as a uint8 array.

    data: the decompressed bytes. Checks, in order: magic number, dimensions, byte size,
    SHA-256. Returns shape (n, 28, 28) for images, (n,) for labels. Raises DataError
    naming ``label`` (default ``name``) and what was wrong.
    """
    label = label or name
    magic, dims, sha = MNIST_FILES[name]
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
            f"({'images' if magic == 2051 else 'labels'}); not an MNIST file? {_DELETE_HINT}"
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
            f"{label}: SHA-256 of the decompressed data is {digest}, expected {sha}; "
            f"{_DELETE_HINT}"
        )
    return numpy.frombuffer(data, dtype=numpy.uint8, offset=header).reshape(dims)


def read_idx(path):
    """Read and verify one MNIST IDX file (gzip or raw, detected by its first bytes)."""
    base = os.path.basename(path)
    name = base[:-3] if base.endswith(".gz") else base
    if name not in MNIST_FILES:
        raise DataError(f"{base}: not one of the MNIST files {sorted(MNIST_FILES)}")
    return parse_idx(_decompressed_bytes(path), name, label=base)


def read_idx_as(path, name):
    """Read and verify ``path`` as MNIST file ``name`` (for files under another name)."""
    return parse_idx(_decompressed_bytes(path), name, label=f"{name}.gz (downloaded)")


def _existing(directory, name):
    """The path of ``name.gz`` or ``name`` in ``directory``, or None."""
    for candidate in (name + ".gz", name):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    return None


def _manual_hint(directory):
    names = ", ".join(n + ".gz" for n in MNIST_FILES)
    return (
        f"put the MNIST files ({names}) in {directory} by hand "
        "(or set NPGAN_DATA_DIR to a directory that holds them)"
    )


def download_file(name, directory, mirrors=MIRRORS, timeout=DOWNLOAD_TIMEOUT):
    """Download ``name.gz`` into ``directory`` from the first mirror that serves a good copy.

    Each attempt streams into a temporary file in ``directory``, checks the byte count
    against Content-Length, verifies the contents (``parse_idx``) and renames the file
    into place with ``os.replace``; whatever fails, the temporary file is removed and the
    next mirror is tried. Returns the final path; raises DataNotFoundError listing every
    mirror's failure when none succeeds.
    """
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, name + ".gz")
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name + ".gz"
        fd, tmp = tempfile.mkstemp(prefix="." + name + ".", suffix=".part", dir=directory)
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                shutil.copyfileobj(response, out, 1 << 20)
                received = out.tell()
            expected = response.headers.get("Content-Length")
            if expected is not None and int(expected) != received:
                raise DataError(f"connection closed after {received} of {expected} bytes")
            read_idx_as(tmp, name)
            os.replace(tmp, target)
            return target
        except Exception as exc:  # any failure of this mirror: record it, try the next one
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise DataNotFoundError(
        f"could not download {name}.gz from any mirror:\n  "
        + "\n  ".join(failures)
        + f"\nTo fix: {_manual_hint(directory)}."
    )


def mnist_paths(data_dir=None, download_missing=True, mirrors=MIRRORS, timeout=DOWNLOAD_TIMEOUT):
    """Paths of the four MNIST files in ``data_dir``, downloading those that are missing.

    Returns a dict name -> path. With ``download_missing=False`` a missing file raises
    DataNotFoundError naming the directory to put the files in.
    """
    directory = os.path.abspath(data_dir or default_data_dir())
    paths = {}
    for name in MNIST_FILES:
        path = _existing(directory, name)
        if path is None:
            if not download_missing:
                raise DataNotFoundError(
                    f"MNIST file {name}.gz not found in {directory} and download=False; "
                    f"{_manual_hint(directory)}."
                )
            path = download_file(name, directory, mirrors=mirrors, timeout=timeout)
        paths[name] = path
    return paths


def load_mnist(data_dir=None, download=True, mirrors=MIRRORS, timeout=DOWNLOAD_TIMEOUT):
    """The paper's MNIST split as an ``MNIST`` of host arrays (see its docstring).

    data_dir: default ``default_data_dir()``. download: fetch missing files from
    ``mirrors``. The decoded arrays are cached per directory for the life of the process
    and are read-only; copy them before changing them.
    """
    directory = os.path.abspath(data_dir or default_data_dir())
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise DataError(f"MNIST data directory {directory} is a file; expected a folder for the four MNIST files "
                        "(set NPGAN_DATA_DIR to one)")
    return _load_cached(directory, bool(download), tuple(mirrors), float(timeout))


@functools.lru_cache(maxsize=4)
def _load_cached(directory, download_missing, mirrors, timeout):
    paths = mnist_paths(directory, download_missing, mirrors, timeout)

    def images(name):  # (n, 28, 28) uint8 -> (n, 784) float32 in [0, 1]
        raw = read_idx(paths[name])
        return (raw.reshape(len(raw), -1).astype(numpy.float32) / numpy.float32(255.0))

    train_x = images("train-images-idx3-ubyte")
    train_y = read_idx(paths["train-labels-idx1-ubyte"])
    arrays = dict(
        train_x=train_x[:N_TRAIN],
        train_y=train_y[:N_TRAIN],
        valid_x=train_x[N_TRAIN:],
        valid_y=train_y[N_TRAIN:],
        test_x=images("t10k-images-idx3-ubyte"),
        test_y=read_idx(paths["t10k-labels-idx1-ubyte"]),
    )
    for a in arrays.values():
        a.flags.writeable = False
    return MNIST(**arrays)
