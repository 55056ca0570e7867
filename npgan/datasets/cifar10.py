"""CIFAR-10 (Krizhevsky, 2009), the paper's third data set: the binary release, read and verified.

The binary release, ``cifar-10-binary.tar.gz`` (170,052,171 bytes, MD5
``c32a1d4ab5d03f1284b67883e8d87530`` as published on the data set's page), holds six
files of fixed-size records in ``cifar-10-batches-bin/``: ``data_batch_1.bin`` ..
``data_batch_5.bin`` (training) and ``test_batch.bin``, 10,000 records each. A record
is one label byte (0..9) and 3,072 pixel bytes: the red, green and blue 32 x 32 planes,
rows top to bottom, which is exactly an NCHW image flattened. The binary release needs
no unpickling (the python release is pickles: loading one can run code).

The archive is looked up in ``$NPGAN_CIFAR10_DIR``, else in ``cifar10`` under the data
root (``npgan.datasets.idx.dataset_dir``: ``$NPGAN_DATA_DIR/cifar10``); its MD5 is checked every time
it is read, and the records are read from the archive's members without extracting
anything. ``download()`` fetches it into that folder, verified before it is renamed into
place. Split: the first 45,000 training records train, the last 5,000 validate (a tenth
of a smaller archive, such as the tests' synthetic one), the test file tests.
"""

import functools
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.request

import numpy

from npgan.datasets.idx import DOWNLOAD_TIMEOUT, DataError, DataNotFoundError, Split, dataset_dir

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
ARCHIVE = "cifar-10-binary.tar.gz"
MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
FOLDER = "cifar-10-batches-bin"
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILE = "test_batch.bin"
RECORD = 1 + 3 * 32 * 32  # label byte, then R, G, B planes
N_VALID = 5000
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def default_cifar10_dir():
    """``$NPGAN_CIFAR10_DIR``, else ``cifar10`` under the data root (``npgan.datasets.idx.dataset_dir``)."""
    if os.environ.get("NPGAN_CIFAR10_DIR"):
        return os.path.abspath(os.path.expanduser(os.environ["NPGAN_CIFAR10_DIR"]))
    return dataset_dir("cifar10")


def file_md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_records(data, name):
    """``(images, labels)`` from the bytes of one ``.bin`` file: uint8 (n, 3072) and (n,)."""
    if len(data) == 0 or len(data) % RECORD:
        raise DataError(f"{name}: {len(data)} bytes is not a whole number of {RECORD}-byte CIFAR-10 records")
    records = numpy.frombuffer(data, dtype=numpy.uint8).reshape(-1, RECORD)
    labels = records[:, 0]
    if labels.max() > 9:
        raise DataError(f"{name}: a label is {int(labels.max())}; expected class indices 0..9")
    return records[:, 1:], labels


def read_archive(path, md5=MD5):
    """``{file name: (images, labels)}`` for the six record files of a verified archive."""
    found = file_md5(path)
    if found != md5:
        raise DataError(f"{path}: MD5 is {found}, expected {md5} (a damaged or different file; delete it and "
                        f"fetch {URL} again)")
    out = {}
    try:
        with tarfile.open(path, "r:gz") as archive:
            for name in TRAIN_FILES + (TEST_FILE,):
                member = archive.extractfile(f"{FOLDER}/{name}")  # read in memory: nothing lands on disk
                if member is None:
                    raise KeyError(name)
                out[name] = read_records(member.read(), name)
    except KeyError as exc:
        raise DataError(f"{path}: no {FOLDER}/{exc.args[0]} inside; not the CIFAR-10 binary release") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable .tar.gz ({exc})") from None
    return out


def download(directory=None, url=URL, md5=MD5, timeout=DOWNLOAD_TIMEOUT):
    """Fetch the archive into ``directory`` (default ``default_cifar10_dir()``); returns its path.

    It streams into a temporary file beside the target, its MD5 is checked against
    ``md5``, and only then is it renamed into place: a failed or corrupt download
    leaves nothing behind. ``DataNotFoundError`` in one line when it fails.
    """
    directory = os.path.abspath(directory or default_cifar10_dir())
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, ARCHIVE)
    fd, tmp = tempfile.mkstemp(prefix="." + ARCHIVE + ".", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            shutil.copyfileobj(response, out, 1 << 20)
        found = file_md5(tmp)
        if found != md5:
            raise DataError(f"MD5 of the download is {found}, expected {md5}")
        os.replace(tmp, target)
        return target
    except Exception as exc:  # any failure: one line saying what and where the file should go
        raise DataNotFoundError(f"could not download {url} ({type(exc).__name__}: {exc}); "
                                f"put {ARCHIVE} in {directory} by hand") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_cifar10(data_dir=None, md5=MD5):
    """The CIFAR-10 split from the archive in ``data_dir``; nothing is downloaded.

    An ``npgan.datasets.idx.Split``: ``*_x`` float32 (n, 3072) in [0, 1], NCHW order flattened
    (3 x 32 x 32); ``*_y`` uint8 class indices (``CLASSES``).

    A missing archive raises ``DataNotFoundError`` in one line saying where to put it.
    Cached per folder for the life of the process.
    """
    directory = os.path.abspath(data_dir or default_cifar10_dir())
    path = os.path.join(directory, ARCHIVE)
    if not os.path.isfile(path):
        raise DataNotFoundError(f"CIFAR-10 not found: put {ARCHIVE} ({URL}, MD5 {md5}) in {directory}, or set "
                                "NPGAN_CIFAR10_DIR to the folder that holds it (npgan.datasets.cifar10.download() "
                                "fetches it)")
    return _load_cached(path, md5)


@functools.lru_cache(maxsize=1)
def _load_cached(path, md5):
    files = read_archive(path, md5)
    train_x = numpy.concatenate([files[name][0] for name in TRAIN_FILES])
    train_y = numpy.concatenate([files[name][1] for name in TRAIN_FILES])
    n_train = len(train_x) - min(N_VALID, len(train_x) // 10)

    def pixels(raw):
        return raw.astype(numpy.float32) / numpy.float32(255.0)

    arrays = dict(train_x=pixels(train_x[:n_train]), train_y=train_y[:n_train], valid_x=pixels(train_x[n_train:]),
                  valid_y=train_y[n_train:], test_x=pixels(files[TEST_FILE][0]), test_y=files[TEST_FILE][1].copy())
    for a in arrays.values():
        a.flags.writeable = False
    return Split(**arrays)
