"""Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): MNIST's format, clothes instead of digits.

The four files have MNIST's names and IDX layout (60,000 + 10,000 grey 28 x 28 images,
labels 0..9: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag,
Ankle boot), gzip-compressed or raw, in ``fashion-mnist/`` under the data root
(``npgan.datasets.idx``: ``$NPGAN_DATA_DIR/fashion-mnist``). They are read by MNIST's loader
(``npgan.datasets.idx.load_idx``): the magic number, dimensions, size and the SHA-256 of the
decompressed bytes are checked, missing files are downloaded from ``MIRRORS`` into that
folder and verified before they land, and the split is MNIST's (training images
0..49,999 train, the rest validate, the t10k images test). License: MIT, Zalando SE.
"""

from npgan.datasets.idx import DOWNLOAD_TIMEOUT, IdxDataSet, dataset_dir, load_idx

SOURCE = "https://github.com/zalandoresearch/fashion-mnist"
MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)

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
FASHION_DATA = IdxDataSet("fashion-mnist", "Fashion-MNIST", FASHION_FILES, MIRRORS)


def default_fashion_dir():
    """Fashion-MNIST's folder under the data root: ``dataset_dir("fashion-mnist")``."""
    return dataset_dir(FASHION_DATA.folder)


def load_fashion_mnist(data_dir=None, download=True, mirrors=MIRRORS, timeout=DOWNLOAD_TIMEOUT):
    """Fashion-MNIST in MNIST's split, an ``npgan.datasets.idx.Split`` of read-only host arrays.

    ``*_x``: float32 (n, 784) in [0, 1]; ``*_y``: uint8 class indices (``CLASSES``).
    data_dir: the folder of the four files (default ``default_fashion_dir()``); download:
    fetch missing files. Cached per folder for the life of the process.
    """
    return load_idx(FASHION_DATA, data_dir, download, mirrors, timeout)
