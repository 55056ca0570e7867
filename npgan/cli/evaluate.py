"""``npgan evaluate``: a generator (or any set of images) scored every way npgan knows.

    npgan evaluate CKPT|SAMPLES.npy [-n 10000] [--seed S] [--averaged]
                   [--dataset mnist|fashion-mnist] [--images 10000] [-o FILE.json [--force]]

Draws ``n`` samples from a checkpoint or generator file (or reads them from a ``.npy``
of shape (n, 784), values in [0, 1]) and prints one table: the metrics of
``npgan.evaluation.metrics`` in the feature space of npgan's own classifier of the data set
against its test images, the copy detector in pixel space against its training images,
and the paper's Parzen-window estimate. The data set is the one the checkpoint's config
names (a ``.npy``: ``--dataset``, default mnist), and with it the classifier
(``classifier.PRETRAINED_FOR``: ``pretrained/npgan-mnist-classifier.npz``,
``pretrained/npgan-fashion-classifier.npz``) unless ``--classifier`` names another.
``-o`` also writes every number, with the time each took, as JSON.
"""

import os
import time

import numpy

from npgan.backend import Random, asarray, to_numpy
from npgan.cli.arguments import load_model, output_file, positive_int, seed
from npgan.datasets import GREY_28, load_images
from npgan.datasets.idx import load_mnist
from npgan.errors import UsageError
from npgan.evaluation import classifier as classifiers
from npgan.evaluation.scores import evaluate
from npgan.files import write_json
from npgan.models import family

DATASETS = tuple(classifiers.PRETRAINED_FOR)  # the data sets with a committed classifier
FEATURES = {name: 784 for name in GREY_28}


def add_parser(sub, common):
    """Register ``evaluate`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("evaluate", parents=[common],
                       help="score a generator or a .npy of images: Frechet distance, precision/recall, "
                            "class balance, copies, Parzen")
    p.add_argument("source", metavar="CKPT|SAMPLES.npy",
                   help="a checkpoint or generator file, or a .npy array (n, 784) with values in [0, 1]")
    p.add_argument("-n", type=positive_int, default=10000,
                   help="samples to draw from a checkpoint (a .npy: its first n rows); default 10000")
    p.add_argument("--seed", type=seed, default=0, help="seed of the generator's noise (default 0)")
    p.add_argument("--averaged", action="store_true", help="score the run's averaged generator (average_from > 0)")
    p.add_argument("--dataset", choices=DATASETS,
                   help="the data set a .npy is scored against (default mnist); a checkpoint knows its own")
    p.add_argument("--images", type=positive_int, default=10000,
                   help="use the first N test images (default: all 10000)")
    p.add_argument("--classifier", help="classifier file (default: the data set's, "
                                        "pretrained/npgan-mnist-classifier.npz or npgan-fashion-classifier.npz)")
    p.add_argument("-o", "--output", help="also write the results as JSON to this file")
    p.add_argument("--force", action="store_true", help="overwrite the -o file if it exists")
    p.set_defaults(func=run)
    return p


# ---- inputs ---------------------------------------------------------------------------

def check_images(images, source, features):
    """Refuse anything but a finite (n, features) array with values in [0, 1]."""
    if images.ndim != 2 or images.shape[1] != features:
        raise UsageError(f"{source}: expected an array of shape (n, {features}), got {images.shape}")
    if images.shape[0] < 10:
        raise UsageError(f"{source}: expected at least 10 images, got {images.shape[0]}")
    if not numpy.issubdtype(images.dtype, numpy.floating) and not numpy.issubdtype(images.dtype, numpy.integer):
        raise UsageError(f"{source}: expected real numbers in [0, 1], got dtype {images.dtype}")
    if not numpy.isfinite(images).all():
        raise UsageError(f"{source}: holds NaN or infinite values; expected values in [0, 1]")
    low, high = float(images.min()), float(images.max())
    if low < 0 or high > 1:
        raise UsageError(f"{source}: values run from {low:.4g} to {high:.4g}; expected them in [0, 1]")


def _read_npy(path, n, features):
    if os.path.getsize(path) == 0:
        raise UsageError(f"{path}: an empty file (0 bytes); expected a .npy array (n, {features})")
    try:
        images = numpy.load(path, allow_pickle=False, mmap_mode="r")
    except (OSError, ValueError, EOFError) as exc:
        reason = "it holds Python objects" if "allow_pickle" in str(exc) else exc
        raise UsageError(f"{path}: not a readable .npy array ({reason})") from None
    if not isinstance(images, numpy.ndarray):  # numpy.load opens an .npz archive whatever its name
        if hasattr(images, "close"):
            images.close()
        raise UsageError(f"{path}: an .npz archive, not a .npy array; expected one array (n, {features}) "
                         "written by numpy.save")
    if images.ndim == 2:
        images = images[:n]
    check_images(images, path, features)
    return numpy.ascontiguousarray(images, dtype=numpy.float32)


def _sample_checkpoint(path, n, seed, averaged, dataset):
    """``(images, dataset, what)`` from a checkpoint or generator file whose family can be evaluated.

    A family that can sample is scored on ``n`` samples; one that cannot (a deterministic
    autoencoder, which has no prior) on its reconstructions of the first ``n`` test images,
    and ``what`` says which.
    """
    model = load_model(path, "evaluate", averaged)  # one line naming what the file can do, if not this
    # A conditional family, when one exists, plugs in here: n/10 samples per label, and a
    # Frechet distance per label beside the overall one.
    own = model.config.dataset
    if own not in FEATURES:
        raise UsageError(f"{path}: a model of {own}; npgan evaluate scores image models ({', '.join(FEATURES)}); "
                         "toy models are scored by their mode counts (npgan.evaluation.modes, as "
                         "benchmarks/mode_collapse.py does)")
    if dataset is not None and dataset != own:
        raise UsageError(f"{path}: the model was trained on {own}; --dataset {dataset} does not apply")
    if "sample" in family(model.config.model).can:
        images, what = model.sample(n, rng=Random(seed)), "samples"
    else:
        images, what = model.reconstruct(asarray(load_mnist().test_x[:n])), "reconstructions of test images"
    images = to_numpy(images)
    check_images(images, f"{path} (its {what})", FEATURES[own])
    return images, own, what


def load_source(source, n, seed=0, averaged=False, dataset=None):
    """``(images, dataset, what)``: the images to score, their data set and what they are, from a
    ``.npy`` ("images") or a checkpoint ("samples", or an autoencoder's "reconstructions of test images")."""
    if os.path.isdir(source):
        raise UsageError(f"{source} is a folder; expected a checkpoint or generator file, or a .npy of images")
    if not os.path.isfile(source):
        raise UsageError(f"{source}: no such file")
    if source.endswith(".npy"):
        if averaged:
            raise UsageError("--averaged applies to a checkpoint, not to a .npy of images")
        dataset = dataset or "mnist"
        return _read_npy(source, n, FEATURES[dataset]), dataset, "images"
    return _sample_checkpoint(source, n, seed, averaged, dataset)


def format_table(result):
    """The results as the lines of a two-column table."""
    balance = result["class_balance"]
    parzen = result["parzen"]
    rows = [
        ("Frechet distance (classifier features, lower is better)", f"{result['frechet_distance']:.3f}"),
        ("Inception-score analogue (1..10)", f"{result['inception_score']:.3f}"),
        (f"precision (k={result['k']})", f"{result['precision']:.4f}"),
        (f"recall (k={result['k']})", f"{result['recall']:.4f}"),
        ("class KL to uniform (nats)", f"{balance['kl_to_uniform']:.4f}"),
        ("mean confidence", f"{balance['mean_confidence']:.4f}"),
        ("class shares 0..9", " ".join(f"{h:.3f}" for h in balance["histogram"])),
        (f"copies (closer to a training image than {result['copy_threshold']:.3f})",
         f"{100 * result['copy_share']:.2f}%"),
        ("Parzen test log-likelihood (nats)",
         f"{parzen['test_ll']:.2f} +- {parzen['test_se']:.2f} (sigma {parzen['sigma']:.3f})" if parzen
         else "not computed: the images are made from the test images it would score"),
    ]
    width = max(len(name) for name, _ in rows)
    return [f"{name:{width}s}  {value}" for name, value in rows]


def run(args):
    if args.output:
        output_file(args.output, (".json",), args.force, [args.source])
    start = time.perf_counter()
    images, dataset, what = load_source(args.source, args.n, args.seed, args.averaged, args.dataset)
    classifier_path = args.classifier or classifiers.PRETRAINED_FOR[dataset]
    if os.path.isdir(classifier_path):
        raise UsageError(f"classifier file {classifier_path} is a folder; expected a classifier file (.npz)")
    if not os.path.isfile(classifier_path):
        raise UsageError(f"classifier file {classifier_path} not found "
                         "(python results/classifier/train_classifier.py makes it)")
    classifier, state = classifiers.load(classifier_path)
    if classifier.config.dataset != dataset:
        raise UsageError(f"{classifier_path}: a classifier of {classifier.config.dataset}; "
                         f"the images are scored against {dataset}")
    data = load_images(dataset)
    if args.images > len(data.test_x):
        raise UsageError(f"--images {args.images}: the {dataset} test set has {len(data.test_x)} images")
    result = evaluate(images, data, classifier, n_images=args.images, parzen=what != "reconstructions of test images")
    result.update(source=args.source, dataset=dataset, scored=what, seed=args.seed, averaged=args.averaged,
                  classifier=classifier_path, classifier_test_accuracy=state.get("test_accuracy"),
                  total_seconds=round(time.perf_counter() - start, 2))
    print(f"{args.source}: {result['n']} {what}"
          + (f" (seed {args.seed}{', averaged G' if args.averaged else ''})" if what == "samples" else "")
          + f" against {result['test_images']} {dataset} test images")
    for line in format_table(result):
        print("  " + line)
    print(f"  ({result['total_seconds']:.1f} s: "
          + ", ".join(f"{name} {s:.1f}" for name, s in result["seconds"].items()) + ")")
    if args.output:
        write_json(result, args.output)
        print(f"wrote {args.output}")
    return 0
