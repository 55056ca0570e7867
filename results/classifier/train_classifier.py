"""Train npgan's classifier of a data set and write it (pretrained/npgan-*-classifier.npz).

    python results/classifier/train_classifier.py --out runs/classifier \\
        --write pretrained/npgan-mnist-classifier.npz
    python results/classifier/train_classifier.py --dataset fashion-mnist --hidden 200 200 --pieces 2 \\
        --epochs 30 --float16 --out runs/fashion-classifier \\
        --write pretrained/npgan-fashion-classifier.npz

The network and its training are ``npgan.evaluation.classifier.ClassifierConfig``'s defaults (the
maxout network of the paper's discriminator with ten outputs; see that module), but for
the options given (``--hidden``, ``--pieces``, ``--epochs``). ``--float16`` stores the
weights in half precision (they are only used for inference). The
training state is saved in ``OUT/training.npz`` after every epoch and resumed from if
present, so the same command continues a killed run. The written file keeps the epoch
with the best validation accuracy, and records its validation and test accuracy, the
training time, the per-epoch history and this command; beside the weights it stores
each test image's distance to its nearest training image, which ``npgan evaluate``'s
copy detector reads instead of recomputing (10,000 x 50,000 distances in 784-d).
"""

import argparse
import os
import sys

from npgan.backend import to_numpy
from npgan.datasets import load_images
from npgan.evaluation import classifier, metrics


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="directory for the resumable training state")
    parser.add_argument("--write", required=True, help="the classifier file to write (.npz)")
    parser.add_argument("--dataset", choices=sorted(classifier.PRETRAINED_FOR), default="mnist")
    parser.add_argument("--epochs", type=int, help=f"default {classifier.ClassifierConfig.epochs}")
    parser.add_argument("--hidden", type=int, nargs="+", help="maxout units per hidden layer (default 240 240)")
    parser.add_argument("--pieces", type=int, help="pieces per maxout unit (default 5)")
    parser.add_argument("--float16", action="store_true", help="store the weights in float16")
    parser.add_argument("--force", action="store_true", help="overwrite --write if it exists")
    args = parser.parse_args()
    if os.path.exists(args.write) and not args.force:
        parser.error(f"{args.write} exists; pass --force to overwrite it")
    options = {"epochs": args.epochs, "hidden": tuple(args.hidden or ()) or None, "pieces": args.pieces}
    config = classifier.ClassifierConfig(dataset=args.dataset,
                                         **{key: value for key, value in options.items() if value})
    os.makedirs(args.out, exist_ok=True)
    data = load_images(args.dataset)
    net, state = classifier.train(config, data, os.path.join(args.out, "training.npz"),
                                  log=lambda line: print(line, flush=True))
    best = state["history"][state["best_epoch"] - 1]
    assert best["valid_accuracy"] == state["best_valid_accuracy"]
    record = {
        "valid_accuracy": state["best_valid_accuracy"],
        "test_accuracy": state["test_accuracy"],
        "epoch": state["best_epoch"],
        "epochs_trained": state["epoch"],
        "training_seconds": round(state["seconds"], 1),
        "history": state["history"],
        "command": "python results/classifier/train_classifier.py " + " ".join(sys.argv[1:]),
        "weights": "float16: only used for inference" if args.float16 else "float32",
    }
    # What the copy detector compares samples with, computed once: each test image's
    # distance to its nearest training image (10,000 float32, 40 KB).
    reference = {"test_to_train": to_numpy(metrics.nearest_distances(data.test_x, data.train_x))}
    classifier.save(args.write, net, record, reference, dtype="float16" if args.float16 else "float32")
    print(f"epoch {record['epoch']} of {record['epochs_trained']}: validation {record['valid_accuracy']:.4f}, "
          f"test {record['test_accuracy']:.4f}, {record['training_seconds']:.0f} s of training -> {args.write}")


if __name__ == "__main__":
    main()
