"""Checks of command-line input, shared by every ``npgan`` command: each bad value is one line.

Also how every command reads a model file (``load_model``) and the MNIST test images it
works on (``first_test_images``), refusing in one line what it cannot use.

argparse types raise ``argparse.ArgumentTypeError`` (argparse prints its message after
the flag's name); the path checks raise ``UsageError``. All of them run before any
expensive work, so a bad output path never costs a training run or an evaluation.
"""

import argparse
import os
import zipfile

import numpy

from npgan import checkpoint
from npgan.backend import asarray
from npgan.datasets.idx import load_mnist_test
from npgan.errors import UsageError
from npgan.files import available_memory, free_space, size_text, writable
from npgan.loading import load, read, require


def _integer(text, low, what):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
    return value


def positive_int(text):
    """An integer >= 1."""
    return _integer(text, 1, "an integer >= 1")


def non_negative_int(text):
    """An integer >= 0 (0 usually meaning "never")."""
    return _integer(text, 0, "an integer >= 0")


def rate(text):
    """A rate in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {value}")
    return value


def seed(text):
    """A random seed: an integer >= 0."""
    return _integer(text, 0, "a seed, an integer >= 0")


def plural(n, word):
    """``"1 epoch"``, ``"3 epochs"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def is_training_checkpoint(path):
    """True when ``path`` is an npgan training checkpoint (a file a run could resume from)."""
    if not zipfile.is_zipfile(path):
        return False
    try:
        with numpy.load(path, allow_pickle=False) as npz:
            return "kind" in npz.files and str(npz["kind"]) == "training"
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return False


def output_file(path, suffixes, force=False, inputs=()):
    """Check that ``path`` can take a new output file now; ``UsageError`` naming what is wrong.

    suffixes: the endings accepted (e.g. ``(".png", ".npy")``). An existing file is
    replaced only with ``force``, and never when it is one of ``inputs`` or a training
    checkpoint (a run could no longer resume).
    """
    if not path:
        raise UsageError("the output file name is empty")
    if not path.endswith(suffixes):
        raise UsageError(f"output file {path} must end in {' or '.join(suffixes)}")
    if os.path.isdir(path):
        raise UsageError(f"output file {path} is a directory")
    if os.path.abspath(path) in {os.path.abspath(p) for p in inputs}:
        raise UsageError(f"output file {path} is one of the inputs")
    if os.path.exists(path):
        if is_training_checkpoint(path):
            raise UsageError(f"output file {path} is a training checkpoint; it is never overwritten "
                             "(a run could no longer resume from it): choose another name")
        if not force:
            raise UsageError(f"output file {path} exists; pass --force to replace it, or choose another name")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"directory {parent} of the output file does not exist")
    reason = writable(parent)  # a real write, as the output's will be: root, read-only mounts and all
    if reason is not None:
        raise UsageError(f"directory {parent} of the output file is not writable ({reason})")
    return path


def check_disk(path, size, what):
    """``UsageError`` unless the disk of output ``path`` has ``size`` bytes free; ``what``: the flags asking."""
    free = free_space(os.path.dirname(os.path.abspath(path)))
    if free is not None and size > free:
        raise UsageError(f"{what} needs {size_text(size)} for {path}, but its disk has {size_text(free)} free")


def check_memory(size, what):
    """``UsageError`` before the work when it would need ``size`` bytes of memory that the machine
    does not have; ``what``: the flags that ask for it."""
    available = available_memory()
    if available is not None and size > available:
        raise UsageError(f"{what} needs about {size_text(size)} of memory, but this machine has "
                         f"{size_text(available)} available; ask for less")


# ---- model files and test images, as every command that reads them takes them --------------

MAX_GRID = 1000  # tiles in one .png picture


def add_encoder_command(sub, common, name, what, output, run):
    """Register ``npgan NAME CKPT --images N -o FILE``, a command on the first N test images
    for models with an encoder (``encode``, ``reconstruct``); returns its parser."""
    p = sub.add_parser(name, parents=[common], help=f"{what} (models with an encoder)")
    p.add_argument("checkpoint", help=f"a model file or training checkpoint of a family that can {name}")
    p.add_argument("--images", type=positive_int, default=100, help="the first N test images (default 100)")
    p.add_argument("-o", "--output", required=True, help=output)
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.set_defaults(func=run)
    return p


def read_checkpoint(path):
    """``loading.read(path)``; ``UsageError`` in one line for a file that cannot be read."""
    try:
        return read(path)
    except checkpoint.CheckpointError as exc:
        raise UsageError(str(exc)) from None


def load_model(path, ability, averaged=False):
    """The model in ``path``; ``UsageError`` if it cannot be read or cannot do ``ability``."""
    try:
        loaded = load(path, averaged=averaged)
    except checkpoint.CheckpointError as exc:
        raise UsageError(str(exc)) from None
    require(loaded, ability, path)
    return loaded


def first_test_images(loaded, n):
    """The first ``n`` test images of the data set ``loaded`` was trained on, on the backend."""
    if loaded.config.dataset != "mnist":
        raise UsageError(f"--images reads MNIST test images; this model was trained on {loaded.config.dataset}")
    test_x, _ = load_mnist_test()  # the test files alone: nothing else is read or downloaded
    if n > len(test_x):
        raise UsageError(f"--images {n}: the test set has {len(test_x)} images")
    return asarray(test_x[:n])
