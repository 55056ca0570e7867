"""``npgan sample``: samples of a model file as a picture or an array.

A class-conditional model (one whose loaded object has ``classes``) draws every sample
of ``--label``, or as many of each class in label order.
"""

import argparse
import os
import shutil

import numpy

from npgan import plots
from npgan.backend import Random, get_backend, to_numpy
from npgan.cli.arguments import MAX_GRID, load_model, output_file, plural, positive_int, seed
from npgan.datasets import GREY_28, OWN
from npgan.errors import UsageError
from npgan.evaluation.neighbours import nearest_rows
from npgan.files import atomic_write
from npgan.models.common import image_shape, image_split
from npgan.models.record import article
from npgan.progress import Progress

SAMPLE_CHUNK = 10000  # samples drawn and written at a time into a .npy
CLASSES = 10  # the classes of MNIST and Fashion-MNIST (your own images may have others: the model knows)


def label_argument(text):
    """argparse type of ``--label``: a class label (a digit, a kind of clothes, one of your classes), an integer
    >= 0; ``sample_labels`` checks it against the model's classes."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a class label 0..{CLASSES - 1}, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a class label 0..{CLASSES - 1}, got {value}")
    return value


def add_parser(sub, common):
    """Register ``sample`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("sample", parents=[common], help="draw samples from a checkpoint")
    p.add_argument("checkpoint", help="a model file or training checkpoint of a family that can sample "
                                      "(e.g. pretrained/npgan-mnist-generator.npz)")
    p.add_argument("-n", type=positive_int, default=100, help="number of samples (default 100)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the generator's noise (default 0)")
    p.add_argument("-o", "--output", required=True, help=".png picture or .npy array (n, features)")
    p.add_argument("--nearest", action="store_true",
                   help="beside each sample its nearest training image (paper's Figure 2)")
    p.add_argument("--averaged", action="store_true", help="sample the run's averaged generator (average_from > 0)")
    p.add_argument("--label", type=label_argument,
                   help="class-conditional models: draw every sample of this digit (0..9); without it, n/10 of "
                        "each in label order (one class per .png row; a .npy gets FILE.labels.npy beside it)")
    p.add_argument("--force", action="store_true", help="replace the output file(s) if they exist")
    p.set_defaults(func=run)
    return p


def sample_labels(loaded, n, label, path):
    """The labels ``npgan sample`` draws from ``loaded`` (``None`` for an unconditional model).

    label: ``--label`` (every sample of that class) or ``None`` (n/K of each of the model's
    K classes in label order, so K must divide n). ``UsageError`` in one line for
    ``--label`` on an unconditional model and for n that does not split evenly.
    """
    classes = getattr(loaded, "classes", 0)
    if label is not None and not classes:
        raise UsageError(f"--label needs a class-conditional model (model 'cgan', e.g. "
                         f"pretrained/npgan-mnist-cgan.npz); {path} holds {article(loaded.config.model)} model")
    if not classes:
        return None
    if label is not None and label >= classes:
        raise UsageError(f"{path} has {classes} classes; expected a class label 0..{classes - 1}, got {label}")
    if label is None:
        from npgan.models.cgan.model import balanced_labels  # only a conditional model gets here

        if n % classes:
            raise UsageError(f"-n {n}: a class-conditional model draws n/{classes} samples of each class; expected a "
                             f"multiple of {classes}, or --label L for samples of one class")
        return balanced_labels(n, classes)
    return get_backend().full(n, label, dtype="int64")


def labels_path(output):
    """Where the labels of a conditional ``.npy`` of samples go: ``FILE.npy`` -> ``FILE.labels.npy``."""
    return output[:-len(".npy")] + ".labels.npy"


def run(args):
    output_file(args.output, (".png", ".npy"), args.force, [args.checkpoint])
    if args.output.endswith(".png") and args.n > MAX_GRID:
        raise UsageError(f"-n {args.n} is too many for one picture; expected at most {MAX_GRID} (or write a .npy)")
    gan = load_model(args.checkpoint, "sample", args.averaged)
    if args.nearest and (gan.config.dataset not in GREY_28 + (OWN,) or args.output.endswith(".npy")):
        raise UsageError("--nearest draws a .png picture of an image model's samples (MNIST, Fashion-MNIST or "
                         "your own images)")
    shape = image_shape(gan.config) if gan.config.dataset == OWN else None
    labels = sample_labels(gan, args.n, args.label, args.checkpoint)  # None unless class-conditional
    if labels is not None and args.output.endswith(".npy"):
        output_file(labels_path(args.output), (".npy",), args.force, [args.checkpoint])
    rng = Random(args.seed)
    if args.output.endswith(".npy"):
        _save_samples_npy(gan, args.n, rng, args.output, labels)
    elif args.nearest:
        samples = gan.sample(args.n, rng=rng, **({} if labels is None else {"labels": labels}))
        train_x = image_split(gan.config).train_x
        plots.nearest_grid(samples, train_x[nearest_rows(samples, train_x)], args.output, shape=shape)
    elif labels is not None:  # one class per row of ten
        plots.image_grid(gan.sample(args.n, rng=rng, labels=labels), args.output, shape=shape)
    else:
        plots.save_samples(gan, gan.config.dataset, args.output, n=args.n, seed=args.seed, shape=shape)
    print(f"wrote {plural(args.n, 'sample')} to {args.output}")
    return 0


def _save_samples_npy(gan, n, rng, path, labels=None):
    """``n`` samples as a float32 .npy, drawn and written ``SAMPLE_CHUNK`` at a time (memory stays flat).

    labels: a class-conditional model's labels, one per sample, also written to ``FILE.labels.npy``.
    """
    features = gan.features
    size = n * features * 4
    free = shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free
    if size > free:
        raise UsageError(f"-n {n} needs {size / 2**30:.1f} GiB for {path}, but its disk has "
                         f"{free / 2**30:.1f} GiB free")
    header = {"descr": numpy.lib.format.dtype_to_descr(numpy.dtype("float32")), "fortran_order": False,
              "shape": (n, features)}

    def write(f):
        numpy.lib.format.write_array_header_2_0(f, header)
        with Progress(n, "sampling", unit="samples") as progress:
            for start in range(0, n, SAMPLE_CHUNK):
                part = {} if labels is None else {"labels": labels[start:start + SAMPLE_CHUNK]}
                chunk = gan.sample(min(SAMPLE_CHUNK, n - start), rng=rng, **part)
                f.write(numpy.ascontiguousarray(to_numpy(chunk), dtype=numpy.float32).tobytes())
                progress.update(len(chunk))

    atomic_write(path, write)
    if labels is not None:
        atomic_write(labels_path(path), lambda f: numpy.save(f, to_numpy(labels)))
