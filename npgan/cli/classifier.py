"""``npgan classifier``: train the classifier behind ``npgan evaluate``'s Frechet distance on your own labelled images.

    npgan classifier --data PATH -o FILE.npz [--image-size N] [--epochs E] [--hidden W W] [--pieces P] [--force]

PATH is a folder of images with one subfolder per class, or an ``.npz`` with labels under
``y`` (``npgan.datasets.own``), read at the size your runs were trained at (``--image-size``,
default 28). The network and its training are ``npgan.evaluation.classifier``'s (the maxout
network of the paper's discriminator, one output per class), trained on the training images
with the best epoch on the validation images kept, and its accuracy on the held-out test
images recorded. The file also stores each test image's distance to its nearest training
image, for the copy detector. Then ``npgan evaluate RUN/checkpoint.npz --classifier FILE``
reports the Frechet distance, precision, recall and class balance of a run on that data.
The training state goes to ``FILE.training.npz`` beside it after every epoch, so the same
command resumes a killed run; it is removed when the file is written.
"""

import os

from npgan.backend import to_numpy
from npgan.cli.arguments import output_file, positive_int
from npgan.datasets import OWN
from npgan.datasets import own as own_images
from npgan.errors import UsageError
from npgan.evaluation import classifier, metrics

DEFAULT_EPOCHS = 30


def add_parser(sub, common):
    """Register ``classifier`` on the ``npgan`` command's subparsers."""
    p = sub.add_parser("classifier", parents=[common],
                       help="train the classifier behind npgan evaluate's Frechet distance on your own labelled images")
    p.add_argument("--data", required=True, metavar="PATH",
                   help="a folder of images with one subfolder per class, or an .npz with labels under 'y'")
    p.add_argument("-o", "--output", required=True, help="the classifier file to write (.npz)")
    p.add_argument("--image-size", type=positive_int, default=28, metavar="N",
                   help="read the images at N x N, as the runs it will score were (default 28)")
    p.add_argument("--epochs", type=positive_int, default=DEFAULT_EPOCHS,
                   help=f"passes over the training images (default {DEFAULT_EPOCHS}); keeps the best validation epoch")
    p.add_argument("--hidden", type=positive_int, nargs="+", metavar="W",
                   help="maxout units per hidden layer (default 240 240)")
    p.add_argument("--pieces", type=positive_int, help="pieces per maxout unit (default 5)")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.set_defaults(func=run)
    return p


def run(args):
    output_file(args.output, (".npz",), args.force)
    data = own_images.load(args.data, args.image_size)
    if not data.classes:
        raise UsageError(f"{data.path}: images without labels; a classifier needs one subfolder per class "
                         "(or an .npz with labels under 'y')")
    split = data.split
    for line in (*data.notes, data.describe()):
        print(line, flush=True)
    c, side, _ = data.shape
    options = {"hidden": tuple(args.hidden) if args.hidden else None, "pieces": args.pieces}
    config = classifier.ClassifierConfig(dataset=OWN, n_in=c * side * side, n_classes=len(data.classes),
                                         epochs=args.epochs, batch_size=min(100, max(10, len(split.train_x) // 20)),
                                         **{key: value for key, value in options.items() if value})
    state_path = args.output[:-len(".npz")] + ".training.npz"
    try:
        net, state = classifier.train(config, split, state_path, log=lambda line: print(line, flush=True))
    except ValueError as exc:  # a training state of another configuration in the way
        raise UsageError(str(exc)) from None
    record = {
        "valid_accuracy": state["best_valid_accuracy"], "test_accuracy": state["test_accuracy"],
        "epoch": state["best_epoch"], "epochs_trained": state["epoch"],
        "training_seconds": round(state["seconds"], 1), "history": state["history"],
        "data": dict(data.fingerprint.record(), path=data.path, classes=list(data.classes)),
    }
    reference = {"test_to_train": to_numpy(metrics.nearest_distances(split.test_x, split.train_x))}
    classifier.save(args.output, net, record, reference)
    os.remove(state_path)
    print(f"epoch {record['epoch']} of {record['epochs_trained']}: validation {record['valid_accuracy']:.4f}, "
          f"test {record['test_accuracy']:.4f} on {len(split.test_x)} held-out images -> {args.output}")
    return 0
