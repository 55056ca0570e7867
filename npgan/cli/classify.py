"""``npgan classify CKPT -o predictions.npy``, and ``npgan train``'s ``--labels`` / ``--label-seed``.

``classify`` writes the predicted digit of each of the 10,000 MNIST test images (int64,
in the test set's order) and prints the error. It reads a semi-supervised checkpoint
(training, or the D-only file of ``export_classifier``) and npgan's own classifier file
(``npgan.evaluation.classifier``, the evaluation metrics' network); any other model has no
classifier head and is refused in one line.
"""

import argparse
import zipfile

import numpy

from npgan.backend import to_numpy
from npgan.checkpoint import save
from npgan.cli.arguments import output_file
from npgan.cli.commands import load_model
from npgan.datasets.idx import load_mnist
from npgan.evaluation import classifier
from npgan.files import atomic_write
from npgan.models.registry import load

MAX_LABELS = 50000  # the training split


def label_count(text):
    """``--labels``: a multiple of 10 (as many images of each digit) from 10 to 50,000."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a multiple of 10 from 10 to {MAX_LABELS}, got {text!r}") from None
    if value < 10 or value % 10 or value > MAX_LABELS:
        raise argparse.ArgumentTypeError(f"expected a multiple of 10 from 10 to {MAX_LABELS} (as many images of each "
                                         f"digit, from the {MAX_LABELS} training images), got {value}")
    return value


def add_train_arguments(p, seed_type):
    """``--labels`` and ``--label-seed`` on ``npgan train`` (model 'semisup' only: Config refuses the rest)."""
    p.add_argument("--labels", type=label_count,
                   help="--preset mnist-semisup: how many training images keep their label (a multiple of 10)")
    p.add_argument("--label-seed", type=seed_type, help="--preset mnist-semisup: seed of the draw of labelled images")


def add_parser(sub, common):
    """Register ``classify`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("classify", parents=[common],
                       help="the predicted digit of each MNIST test image (semi-supervised models, npgan's classifier)")
    p.add_argument("checkpoint", help="a mnist-semisup checkpoint or classifier file, or an npgan classifier file")
    p.add_argument("-o", "--output", required=True, help=".npy of 10,000 ints, in the test set's order")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.set_defaults(func=cmd_classify)
    return p


def _is_classifier_file(path):
    try:
        with numpy.load(path, allow_pickle=False) as npz:
            return "format" in npz.files and str(npz["format"]) == classifier.FORMAT
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return False


def predictor(path):
    """A function from images (n, 784) to predicted digits (host int64), for the file at ``path``."""
    if _is_classifier_file(path):
        net, _ = classifier.load(path)
        return lambda x: to_numpy(net.logits(x).argmax(axis=1)).astype(numpy.int64)
    return load_model(path, "classify").classify


def cmd_classify(args):
    output_file(args.output, (".npy",), args.force, [args.checkpoint])
    predict = predictor(args.checkpoint)
    mnist = load_mnist()
    predicted = predict(mnist.test_x)
    wrong = int((predicted != mnist.test_y).sum())
    atomic_write(args.output, lambda f: numpy.save(f, predicted))
    print(f"test error {wrong / len(predicted):.4f} ({wrong} of {len(predicted)} MNIST test images); "
          f"predictions in {args.output}")
    return 0


def export_classifier(model_path, out_path):
    """Write a semi-supervised checkpoint's D alone, float16: what ``npgan classify`` needs.

    The file's state records its own test error (``test_errors``: how many of the 10,000
    MNIST test images its float16 weights misclassify), for ``npgan classify`` to reproduce.
    """
    gan = load(model_path)
    note = {"contents": "D only (the (K+1)-class discriminator, for npgan classify), float16; no generator",
            "source_epoch": gan.state.get("epoch"), "labelled_indices": gan.state.get("labelled_indices")}
    save(out_path, gan.config, note, {"D": gan.D}, kind="generator", dtype="float16")
    mnist = load_mnist()
    note["test_errors"] = int((load(out_path).classify(mnist.test_x) != mnist.test_y).sum())
    save(out_path, gan.config, note, {"D": gan.D}, kind="generator", dtype="float16")
