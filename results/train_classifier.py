"""Train npgan's MNIST classifier and write pretrained/npgan-mnist-classifier.npz.

    python results/train_classifier.py --out runs/classifier \\
        --write pretrained/npgan-mnist-classifier.npz

The network and its training are ``npgan.classifier.ClassifierConfig``'s defaults (the
maxout network of the paper's discriminator with ten outputs; see that module). The
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

from npgan import classifier, metrics
from npgan.backend import to_numpy
from npgan.data import load_mnist


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="directory for the resumable training state")
    parser.add_argument("--write", required=True, help="the classifier file to write (.npz)")
    parser.add_argument("--epochs", type=int, help=f"default {classifier.ClassifierConfig.epochs}")
    parser.add_argument("--force", action="store_true", help="overwrite --write if it exists")
    args = parser.parse_args()
    if os.path.exists(args.write) and not args.force:
        parser.error(f"{args.write} exists; pass --force to overwrite it")
    config = classifier.ClassifierConfig()
    if args.epochs:
        config = classifier.ClassifierConfig(epochs=args.epochs)
    os.makedirs(args.out, exist_ok=True)
    net, state = classifier.train(config, load_mnist(), os.path.join(args.out, "training.npz"),
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
        "command": "python results/train_classifier.py " + " ".join(sys.argv[1:]),
    }
    # What the copy detector compares samples with, computed once: each test image's
    # distance to its nearest training image (10,000 float32, 40 KB).
    data = load_mnist()
    reference = {"test_to_train": to_numpy(metrics.nearest_distances(data.test_x, data.train_x))}
    classifier.save(args.write, net, record, reference)
    print(f"epoch {record['epoch']} of {record['epochs_trained']}: validation {record['valid_accuracy']:.4f}, "
          f"test {record['test_accuracy']:.4f}, {record['training_seconds']:.0f} s of training -> {args.write}")


if __name__ == "__main__":
    main()
