"""The data npgan trains on, by name: "mnist", "fashion-mnist", "cifar10" and the toy distributions.

idx.py      the data root (``$NPGAN_DATA_DIR``), MNIST's IDX format, its verified download
            and the paper's split (``Split``)
fashion.py  Fashion-MNIST: MNIST's format, clothes instead of digits
cifar10.py  CIFAR-10's binary release, read and verified
own.py      your own images: a folder of PNG/JPEG files or a .npy/.npz array, split and fingerprinted
toy.py      the toy distributions: a 1-D Gaussian, a ring of 8 and a grid of 25 Gaussians
batches.py  where a training step's examples come from: a data set in shuffled epochs, or a distribution

Every module here works on host NumPy arrays and imports only ``npgan.backend`` and
``npgan.errors`` beside its siblings; the trainer moves the arrays to the backend.
"""

from npgan.datasets.cifar10 import load_cifar10
from npgan.datasets.fashion import load_fashion_mnist
from npgan.datasets.idx import MNIST_DATA, load_mnist

GREY_28 = ("mnist", "fashion-mnist")  # the IDX data sets: 28 x 28 grey images, 784 features
OWN = "own"  # your own images (own.py), whose path and shape a run's configuration names
IMAGE_DATASETS = GREY_28 + ("cifar10", OWN)  # the rest are toy distributions (toy.py)
# (channels, side, side) of the named image data sets
IMAGE_SHAPES = {"mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28), "cifar10": (3, 32, 32)}
# training images of the named image data sets (the splits of idx.py and cifar10.py)
TRAIN_SIZES = {"mnist": 50000, "fashion-mnist": 50000, "cifar10": 45000}


def load_images(name, data="", image_shape=()):
    """The split of image data set ``name``: "mnist", "fashion-mnist" or "cifar10", each from its
    folder under the data root; or "own", the images at ``data`` read at ``image_shape``
    (channels, side, side) by ``own.load``."""
    if name == OWN:
        from npgan.datasets import own

        return own.load(data, image_shape[1], image_shape[0]).split
    if name == "fashion-mnist":
        return load_fashion_mnist()
    if name == "cifar10":
        return load_cifar10()
    if name != MNIST_DATA.folder:
        raise ValueError(f"no image data set {name!r}; expected mnist, fashion-mnist, cifar10 or own")
    return load_mnist()
