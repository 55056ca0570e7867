"""``npgan classify CKPT -o predictions.npy``, and ``npgan train``'s ``--labels`` / ``--label-seed``.

``classify`` writes the predicted digit of each of the 10,000 MNIST test images (int64,
in the test set's order) and prints the error. It reads a semi-supervised checkpoint
(training, or the D-only file of ``export_classifier``) and npgan's own classifier file
(``npgan.evaluation.classifier``, the evaluation metrics' network); any other model has no
classifier head and is refused in one line.
"""

import zipfile

import numpy

from npgan.backend import to_numpy
from npgan.cli.arguments import load_model, output_file
from npgan.datasets.idx import load_mnist_test
from npgan.errors import UsageError
from npgan.evaluation import classifier
from npgan.files import atomic_write
from npgan.progress import in_chunks


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
        if net.config.dataset != "mnist":
            raise UsageError(f"{path}: a classifier of {net.config.dataset}; npgan classify scores the MNIST test "
                             "images, which it was not trained on")
        return lambda x: to_numpy(net.logits(x).argmax(axis=1)).astype(numpy.int64)
    return load_model(path, "classify").classify


def cmd_classify(args):
    output_file(args.output, (".npy",), args.force, [args.checkpoint])
    predict = predictor(args.checkpoint)
    test_x, test_y = load_mnist_test()
    predicted = in_chunks(predict, test_x, "classifying", join=numpy.concatenate)
    wrong = int((predicted != test_y).sum())
    atomic_write(args.output, lambda f: numpy.save(f, predicted), size=predicted.nbytes + 128)
    print(f"test error {wrong / len(predicted):.4f} ({wrong} of {len(predicted)} MNIST test images); "
          f"predictions in {args.output}")
    return 0
