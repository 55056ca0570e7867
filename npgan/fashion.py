"""Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): MNIST's format, clothes instead of digits.

The four files have MNIST's names and IDX layout (60,000 + 10,000 grey 28 x 28 images,
labels 0..9: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag,
Ankle boot), gzip-compressed or raw. They are looked up in ``$NPGAN_FASHION_DIR``, else
in ``fashion-mnist`` beside the MNIST folder (``npgan.data.default_data_dir()``'s
parent), and checked as MNIST's are: magic number, dimensions, size and the SHA-256 of
the decompressed bytes. There is no download: missing files are one error that says
where to put them. The split is MNIST's: training images 0..49,999 train, the rest
validate, the t10k images test.
"""

import functools
import gzip
import hashlib
import os
import zlib

import numpy

from npgan.data import MNIST, N_TRAIN, DataError, DataNotFoundError, default_data_dir

SOURCE = "https://github.com/zalandoresearch/fashion-mnist"

# name (without .gz) -> (IDX magic number, dimensions, SHA-256 of the decompressed file)
FASHION_FILES = {
    "train-images-idx3-ubyte": (2051, (60000, 28, 28),
                                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    "train-labels-idx1-ubyte": (2049, (60000,), "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    "t10k-images-idx3-ubyte": (2051, (10000, 28, 28),
                               "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    "t10k-labels-idx1-ubyte": (2049, (10000,), "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def default_fashion_dir():
    """``$NPGAN_FASHION_DIR``, else ``fashion-mnist`` beside the MNIST data folder."""
    if os.environ.get("NPGAN_FASHION_DIR"):
        return os.path.abspath(os.path.expanduser(os.environ["NPGAN_FASHION_DIR"]))
    return os.path.join(os.path.dirname(default_data_dir()), "fashion-mnist")


def read_fashion_idx(path, name):
    """The verified contents of Fashion-MNIST file ``name`` at ``path`` as a uint8 array."""
    magic, dims, sha = FASHION_FILES[name]
    label = os.path.basename(path)
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{label}: not a valid gzip stream ({exc})") from None
    header = 4 + 4 * len(dims)
    found = int.from_bytes(data[:4], "big") if len(data) >= header else None
    found_dims = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(len(dims)))
    if found != magic or found_dims != dims:
        raise DataError(f"{label}: IDX header says magic {found}, dimensions {found_dims}; expected {magic}, {dims} "
                        f"(Fashion-MNIST's {name})")
    if len(data) != header + int(numpy.prod(dims)):
        raise DataError(f"{label}: {len(data)} bytes decompressed, expected {header + int(numpy.prod(dims))}")
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha:
        raise DataError(f"{label}: SHA-256 of the decompressed data is {digest}, expected {sha}")
    return numpy.frombuffer(data, dtype=numpy.uint8, offset=header).reshape(dims)


def fashion_paths(data_dir=None):
    """``{name: path}`` of the four files; ``DataNotFoundError`` in one line naming the folder."""
    directory = os.path.abspath(data_dir or default_fashion_dir())
    paths = {}
    for name in FASHION_FILES:
        found = [os.path.join(directory, name + ext) for ext in (".gz", "")
                 if os.path.isfile(os.path.join(directory, name + ext))]
        if not found:
            raise DataNotFoundError(f"Fashion-MNIST file {name}.gz not found in {directory}; put the four files of "
                                    f"{SOURCE} there, or set NPGAN_FASHION_DIR to the folder that holds them")
        paths[name] = found[0]
    return paths


def load_fashion_mnist(data_dir=None):
    """Fashion-MNIST in MNIST's split, as an ``npgan.data.MNIST`` of read-only host arrays.

    ``*_x``: float32 (n, 784) in [0, 1]; ``*_y``: uint8 class indices (``CLASSES``).
    Cached per folder for the life of the process.
    """
    return _load_cached(os.path.abspath(data_dir or default_fashion_dir()))


@functools.lru_cache(maxsize=2)
def _load_cached(directory):
    paths = fashion_paths(directory)

    def images(name):
        raw = read_fashion_idx(paths[name], name)
        return raw.reshape(len(raw), -1).astype(numpy.float32) / numpy.float32(255.0)

    train_x, train_y = images("train-images-idx3-ubyte"), read_fashion_idx(paths["train-labels-idx1-ubyte"],
                                                                           "train-labels-idx1-ubyte")
    arrays = dict(train_x=train_x[:N_TRAIN], train_y=train_y[:N_TRAIN], valid_x=train_x[N_TRAIN:],
                  valid_y=train_y[N_TRAIN:], test_x=images("t10k-images-idx3-ubyte"),
                  test_y=read_fashion_idx(paths["t10k-labels-idx1-ubyte"], "t10k-labels-idx1-ubyte"))
    for a in arrays.values():
        a.flags.writeable = False
    return MNIST(**arrays)
